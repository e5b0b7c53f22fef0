"""Every zh-TW sentence the custom actions say, in one place. No programme figure is written here:
figures come from knowledge entries, which are quoted whole with their citation."""

SUGGEST_INTRO = "我不太確定您想問的是哪一項，請從下列主題選一個（或換個說法再問一次）："
NONE_FOUND = (
    "抱歉，在計畫資料中找不到能確實回答這個問題的內容；為避免提供錯誤資訊，我不會用猜的。"
    "您可以換個說法再問一次，或洽詢專人："
)
TRUNCATED = "（您的訊息較長，我依開頭與結尾的內容回答；若有多個問題，歡迎分開詢問。）"
EMPTY_MESSAGE = "請輸入您想詢問的問題，例如「診斷輔導要多少錢」。"
UNKNOWN_TOPIC = "抱歉，這個選項已失效，請直接輸入您的問題。"
HUMAN_INTRO = "好的，這類問題請由專人為您服務："
NOT_THESE = "都不是，找專人"
