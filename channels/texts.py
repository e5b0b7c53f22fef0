"""Every zh-TW sentence the gateway says to users (handoff, channels). No programme figure here.

Officer-facing labels of the console are in channels/console/labels.py; the widget's and the
console's page strings are in one object at the top of widget.js and console.js.
"""
from knowledge import contract

SERVICE_NAME = "升級轉型諮詢小幫手"

# handoff reason code (knowledge/contract.py) → how it is said; the keys are exactly the contract's codes
REASONS = {
    contract.REQUESTED: "您要求專人服務",
    contract.COMPLAINT: "陳情／申訴",
    contract.CASE_STATUS: "案件進度或審查結果",
    contract.MISUNDERSTOOD: "小幫手未能理解您的問題",
}

HANDOFF_IN_HOURS = ("已為您轉接專人（{reason}）。目前排隊第{position}位，{wait}。"
                    "專人接手前，您可以繼續留言，內容會一併轉給專人。")
WAIT_MEASURED = "最近專人通常約{minutes}分鐘內回覆"
WAIT_DEFAULT = "專人通常約{minutes}分鐘內回覆"            # HANDOFF_TYPICAL_WAIT_MINUTES set by operations
WAIT_UNKNOWN = "專人會依排隊順序盡快回覆，等候時間視當時案件量而定"  # no measurement and no setting
HANDOFF_OUT_OF_HOURS = ("目前非專人服務時間（{hours}）。請留下聯絡電話或Email（可附上方便聯絡的時段），"
                        "專人將於{when}起依序與您聯繫；若不想留資料，請回覆「不用」，專人上班後會在這個對話回覆您。")
# a short reference the user can quote later (added after every handoff message that opens or confirms a ticket)
TICKET_REF = "您的案件編號：{ref}。"
TICKET_REF_FORMAT = "#{id}"
# a complaint opens with an apology before the handoff text
COMPLAINT_APOLOGY = "造成您的不便，非常抱歉。"
CONTACT_SAVED = "已記下您的聯絡方式：{contact}。專人將於{when}起與您聯繫。在那之前，我仍可以回答計畫相關問題。"
CONTACT_TIME_SAVED = "方便聯絡的時段「{note}」也已轉給專人。"
CONTACT_DECLINED = "好的，不留聯絡方式。專人將於{when}起在這個對話回覆您。在那之前，我仍可以回答計畫相關問題。"
CONTACT_INVALID = ("這看起來不是有效的電話或Email，請再輸入一次（例如 0912345678、02-2345-6789 或 name@example.com），"
                   "或回覆「不用」。")
CONTACT_GAVE_UP = "我還是沒能辨識聯絡方式，已先為您登記，專人將於{when}起在這個對話回覆您。"
# too many open handoff tickets from one network address (Hub.open_tickets_per_origin): no new ticket
HANDOFF_CAPPED = ("目前從您的網路位置送出的專人服務請求已達上限，專人會先處理排隊中的案件。"
                  "請稍後再試；急件請來電洽詢專線。我仍可以回答計畫相關問題。")
# while the bot waits for a contact, a question is answered and this reminder follows (with two buttons)
CONTACT_REMINDER = "若仍需要專人回電，請留下電話或Email；不需要的話請按「不用」。"
CONTACT_ASK = "請輸入電話或Email，也可以附上方便聯絡的時段（例如：0912345678 下午比較方便）。"
CONTACT_CHANGE_ASK = "請直接輸入新的電話或Email，也可以附上方便聯絡的時段。"
CONTACT_CHANGED = "已更新您的聯絡方式：{contact}。專人將於{when}起與您聯繫。"
CALLBACK_WITHDRAWN = "已取消專人回電（案件編號：{ref}）。之後如有需要，隨時輸入「找專人」。"
HANDOFF_BUTTON_STALE = "這個按鈕所屬的專人服務已結束或已處理；如仍需要專人，請輸入「找專人」。"
# buttons offered with the handoff messages (titles; their payloads are the hub's own)
BUTTON_LEAVE_PHONE = "留電話"
BUTTON_NO_CONTACT = "不用"
BUTTON_CHANGE_CONTACT = "更改聯絡方式"
BUTTON_WITHDRAW = "取消專人回電"
QUEUE_ACK = "已收到您的留言，會一併轉給專人，請稍候（目前排隊第{position}位）。"
OFFICER_TRANSFERRED = "您的問題已轉由專人「{name}」接續服務。"
TRANSFER_NOTE = "{frm} 轉交給 {to}：{note}"      # kept as a note on the ticket (officers read it)
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

# When and how officers can be reached (channels/core/hours.py)
MOMENT = "{month}月{day}日（{weekday}）{time}"                       # 11月30日（一）08:30
WEEKDAYS = "一二三四五六日"
HOURS_SPAN = "{open}～{close}"
# The officers' hours are this service's own setting (not the brief's); holidays named only when applied.
OFFICE_HOURS_CALENDAR = "本服務的專人線上時間為上班日 {hours}，週末、國定假日及補假休息"
OFFICE_HOURS_LISTED_DAYS_OFF = "本服務的專人線上時間為週一至週五 {hours}，公告的休息日除外"
OFFICE_HOURS = "本服務的專人線上時間為週一至週五 {hours}"
DAY_OFF = "休息日"                 # an operator-listed day off (OFFICE_HOLIDAYS) has no calendar name

# Errors of the widget API (channels/widget/api.py), shown in the widget after 「訊息未送出：」
WIDGET_EXAMPLE_QUESTION = "診斷輔導要多少錢"     # the OpenAPI example of a widget message
WIDGET_ERR_SESSION = "session_id 格式不正確：需為16～64個英文字母、數字、底線或連字號。"
WIDGET_ERR_JSON = "請以 JSON 物件傳送訊息，例如 {\"session_id\": \"…\", \"text\": \"診斷輔導要多少錢\"}。"
WIDGET_ERR_TEXT_EMPTY = "請輸入訊息內容。"
WIDGET_ERR_TEXT_TYPE = "text 必須是文字。"
WIDGET_ERR_POISON = "訊息含有無法辨識的字元（例如控制字元 NUL 或不成對的 Unicode 代理字元），請刪除後再傳送。"
WIDGET_ERR_TEXT_HUGE = "訊息過長（超過{limit}字），請分段詢問。"
WIDGET_ERR_PAYLOAD = "payload 必須是{limit}字以內的文字。"
WIDGET_ERR_CLIENT_ID = "client_id 格式不正確：需為1～64個英文字母、數字、底線或連字號。"
WIDGET_ERR_AFTER = "after 必須是0或正整數。"
WIDGET_ERR_TOO_FAST = "訊息傳送得太頻繁了，請稍候{seconds}秒再試。"

# Input vocabulary (channels/core/contact.py): words before a phone extension, and replies that mean
# "no, I'd rather not leave a contact"
EXTENSION_WORDS = ("分機", "轉")
DECLINE_WORDS = ("不用", "不要", "不必", "不需要", "免了", "算了", "不方便", "不想", "拒絕", "不留")
# typed instead of pressing 「留電話」 (a short message with one of these and no number): the number is asked for
LEAVE_CONTACT_WORDS = ("留電話", "留手機", "留聯絡", "留號碼", "留email", "留信箱", "要留", "好，留")
# words that make the rest of a contact message a preferred time to call ("下午打比較方便")
TIME_WORDS = ("上午", "下午", "中午", "晚上", "早上", "傍晚", "白天", "點", "時前", "時後", "以後", "之前", "之後",
              "週", "星期", "禮拜", "平日", "假日", "明天", "今天", "後天", "方便", "有空", "隨時")

# A calculation card as LINE draws it (channels/line/messages.py). The card's own words (headline,
# amount, steps, headings) come from the action server; these are used only where a card leaves one out.
CARD_TITLE = "試算結果"
CARD_INELIGIBLE = "目前不符合條件"
CARD_ESTIMATE = "（估算）"
CARD_FIXED = "（固定金額）"     # a loan's limit beside the interest-subsidy estimate: not an estimate
CARD_HEADINGS = {"steps": "計算過程", "alternatives": "您可以考慮", "notes": "請注意", "citations": "依據",
                 "show_steps": "看計算過程", "next_step": "下一步"}

# Input vocabulary (not said): a request for a person, recognised by the gateway itself while the bot is
# down (channels/core/person.py); programme phrases containing a trigger word are removed first.
PERSON_NOT_A_REQUEST = (
    "專人(?:到廠|到場|到府|到公司|實地|現場|診斷|輔導|訪視|陪同)|人工(?:智慧|智能|成本|費用?|作業|處理費)|"
    "客服(?:系統|機器人|中心導入)|真人實境|"
    r"artificial intelligence"
)
PERSON_REQUEST = (
    "真人|專人|客服|人工|轉接|承辦人|打電話給我|打給我|回電|來電給我|請.{0,4}聯絡我|和人說|跟人說|找人(?:幫忙|協助|回答)|"
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|some\s*one|the\s+)?(?:human|person|agent|operator|people|officer|staff|real)"
    r"|\b(?:human|live|real)\s+(?:agent|person|operator|support)\b|\bcall\s+me\b|\boperator\b"
)

# --- learning from conversations (issue 16): answer feedback and satisfaction after a person helped ---
ANSWER_CITATION_RE = r"（依據：([^）]+)）\s*$"   # the citation line that ends every knowledge answer
CITATION_SEPARATOR = "；"
FEEDBACK_UP = "👍 有幫助"
FEEDBACK_DOWN = "👎 沒幫助"
FEEDBACK_REASONS = {"wrong": "答案不正確", "unclear": "看不懂", "not_asked": "不是我問的"}
FEEDBACK_THANKS = "謝謝您的回饋！"
FEEDBACK_ASK_REASON = "謝謝回饋！可以告訴我們哪裡不好嗎？（可略過，直接繼續提問）"
FEEDBACK_REASON_THANKS = "已記下原因，我們會改進這個答案。"
CSAT_ASK = "請問您對這次專人服務滿意嗎？請選 1～5 分（5 分最滿意），也可以略過。"
CSAT_SCORES = {1: "1 很不滿意", 2: "2 不滿意", 3: "3 普通", 4: "4 滿意", 5: "5 很滿意"}
CSAT_SKIP = "略過"
CSAT_THANKS = "謝謝您的評分！如有其他意見，可在下方留言（選填）。"
CSAT_THANKS_LINE = "謝謝您的評分！"
CSAT_COMMENT_THANKS = "已收到您的意見，謝謝！"
CSAT_SKIPPED = "好的，已略過。有需要隨時再問我。"
WIDGET_ERR_FEEDBACK = "這則訊息無法評分。"
WIDGET_ERR_FEEDBACK_VALUE = "評分只能是「有幫助」或「沒幫助」，原因須為選項之一。"
WIDGET_ERR_CSAT = "這份滿意度問卷已結束或不存在。"
WIDGET_ERR_CSAT_VALUE = "滿意度請選 1～5 分，意見最多 1000 字。"
