"""Every zh-TW sentence the gateway says (handoff, channels, console). No programme figure here."""

REASONS = {
    "requested": "您要求專人服務",
    "complaint": "陳情／申訴",
    "case_status": "案件進度或審查結果",
    "misunderstood": "小幫手未能理解您的問題",
}

HANDOFF_IN_HOURS = ("已為您轉接專人（{reason}）。目前排隊第{position}位，{wait}。"
                    "專人接手前，您可以繼續留言，內容會一併轉給專人。")
WAIT_MEASURED = "最近專人通常約{minutes}分鐘內回覆"
WAIT_DEFAULT = "專人通常約{minutes}分鐘內回覆"            # HANDOFF_TYPICAL_WAIT_MINUTES set by operations
WAIT_UNKNOWN = "專人會依排隊順序盡快回覆，等候時間視當時案件量而定"  # no measurement and no setting
HANDOFF_OUT_OF_HOURS = ("目前非專人服務時間（{hours}）。請留下聯絡電話或Email，專人將於{when}起依序與您聯繫；"
                        "若不想留資料，請回覆「不用」，專人上班後會在這個對話回覆您。")
CONTACT_SAVED = "已記下您的聯絡方式：{contact}。專人將於{when}起與您聯繫。在那之前，我仍可以回答計畫相關問題。"
CONTACT_DECLINED = "好的，不留聯絡方式。專人將於{when}起在這個對話回覆您。在那之前，我仍可以回答計畫相關問題。"
CONTACT_INVALID = ("這看起來不是有效的電話或Email，請再輸入一次（例如 0912345678、02-2345-6789 或 name@example.com），"
                   "或回覆「不用」。")
CONTACT_GAVE_UP = "我還是沒能辨識聯絡方式，已先為您登記，專人將於{when}起在這個對話回覆您。"
QUEUE_ACK = "已收到您的留言，會一併轉給專人，請稍候（目前排隊第{position}位）。"
OFFICER_JOINED = "專人「{name}」已加入對話，接下來由專人為您服務。"
BOT_BACK = "專人服務已結束，謝謝您的耐心。接下來由線上小幫手繼續為您服務，有需要隨時輸入「找專人」。"
UPSTREAM_DOWN = "抱歉，系統暫時忙碌，您的訊息已保存，請稍後再試一次；急件請來電洽詢專線。"
# at-least-once answering (channels/core/hub.py): the bot is down, the message waits; later it is answered
QUEUED_WHILE_DOWN = "抱歉，系統暫時忙碌，您的訊息已保存，恢復後會立即回覆您；急件請來電洽詢專線，或輸入「找真人」轉接專人。"
ANSWERED_AFTER_OUTAGE = "系統已恢復，以下回覆您先前的訊息「{question}」："
MESSAGE_FAILED = "抱歉，這則訊息無法處理（可能含有無法辨識的字元），請換個說法再傳一次。"
POISON_INPUT = "訊息含有無法辨識的字元（例如控制字元或不完整的表情符號），請刪除後再傳送。"
TOO_LONG = "您的訊息超過{limit}字，我只保留了前{limit}字；若有多個問題，歡迎分開詢問。"
UNSUPPORTED_MEDIA = "目前只能閱讀文字訊息，請用文字輸入您的問題，例如「診斷輔導要多少錢」。"

DECLINE_WORDS = ("不用", "不要", "不必", "不需要", "免了", "算了", "不方便", "不想", "拒絕", "不留")
