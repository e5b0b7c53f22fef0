"""Every zh-TW word the officer console's API says to officers: ticket state names, error and
conflict messages. (Users' sentences are in channels/texts.py; the console page's own strings in
one object at the top of static/console.js.)"""
from __future__ import annotations

from ..core.store import Refusal, TicketState

STATE_LABELS = {
    TicketState.AWAITING_CONTACT: "詢問聯絡方式中",
    TicketState.WAITING: "等候中",
    TicketState.WITH_OFFICER: "處理中",
    TicketState.CALLBACK: "待回撥",
    TicketState.RESOLVED: "已結案",
}

# handoff reason code (knowledge/contract.py) → what it tells the officer (the user's wording is texts.REASONS)
REASONS = {
    "requested": "使用者要求專人",
    "complaint": "陳情／申訴（請先致歉）",
    "case_status": "詢問案件進度或審查結果",
    "misunderstood": "小幫手連續答不出來",
}
# how a ticket ended (core/store/tickets.OUTCOMES)
OUTCOME_LABELS = {
    "answered": "已回答",
    "called_reached": "已回電・有聯繫上",
    "called_no_answer": "已回電・未接",
    "rescheduled": "改約時間",
    "spam": "騷擾／無效",
    "withdrawn": "使用者取消回電",
}
# the plain summary of a ticket (GET /console/api/tickets/{id} → facts)
FACT_REASON = "轉接原因"
FACT_QUESTION = "引發轉接的問題"
FACT_CONTACT = "聯絡方式"
FACT_CONTACT_TIME = "方便聯絡時段"
FACT_AFTER = "轉接後補充"
FACT_REF = "案件編號"
FACT_BOT_DOWN = "小幫手當時無法回應"
SLOT_LABELS = {
    "manufacturing": "製造業", "sme": "中小企業", "employees": "員工人數", "lead_factory": "以大帶小",
    "track": "轉型方向", "total_budget": "計畫總經費", "cost_items": "經費科目", "company_capital": "實收資本額",
    "transformation_plan": "有轉型計畫", "loan_purpose": "資金用途", "capital_spending": "資本性支出",
    "loan_amount": "貸款金額",
}
YES, NO = "是", "否"
MONEY = "{n} 元"
# 建議回覆 inserted in the officer's voice (the bot's citation wording removed)
CITATION_PATTERN = r"[（(]\s*依據[:：][^）)]*[）)]"     # the bot's citation, left out of an officer's reply
LIST_SEP = "、"
ASSIST_REPLY = "您好，關於您詢問的「{question}」：\n{answer}\n如有其他問題，歡迎再告訴我。"
MSG_BAD_OUTCOME = "請選擇結案結果：{choices}。"
MSG_BAD_OFFICER = "請選擇要轉交的專人。"
MSG_TRANSFER_SELF = "不能轉交給自己。"
MSG_CANNED_TITLE = "罐頭回覆的標題需為 1～60 字。"
MSG_CANNED_NOT_FOUND = "找不到這則罐頭回覆。"
MSG_BAD_DATE = "日期格式需為 YYYY-MM-DD。"
WHAT_CANNED = "罐頭回覆內容"
WHAT_TRANSFER = "轉交說明"

# the console API's answers to officers (every error is {"detail": one of these})
MSG_LOGIN_REQUIRED = "請先登入。"
MSG_BAD_LOGIN = "帳號或密碼錯誤。"
MSG_LOGIN_FIELDS = "請輸入帳號與密碼。"
MSG_THROTTLED = "登入失敗次數過多，請於 {seconds} 秒後再試。"
MSG_LOGIN_BUSY = "目前登入人數過多，請稍候數秒再試。"
MSG_CSRF = "安全驗證失敗，請重新整理頁面後再試。"
MSG_JSON_ONLY = "請以 JSON 格式（application/json）送出資料。"
MSG_BAD_JSON = "資料格式錯誤，無法解析。"
MSG_TOO_LARGE = "送出的資料過大。"
MSG_BAD_REQUEST = "請求格式不正確。"
MSG_POISON = "內容含有無法辨識的字元（控制字元 NUL 或不成對的 Unicode 代理字元），請刪除後再送出。"
MSG_NOT_FOUND = "找不到此案件。"
MSG_HELD_BY = "此案件目前由「{name}」處理中；如需接手，請按「接手」。"
MSG_CLAIM_FIRST = "請先認領此案件，才能回覆。"
MSG_RESOLVED = "此案件已結案。"
MSG_STATE = "此案件目前為「{state}」，無法執行此操作。"
MSG_CHANGED = "案件狀態剛剛已變更，請重新整理後再試。"
OTHER_OFFICER = "其他專人"
WHAT_REPLY = "回覆內容"     # {what} of MSG_TEXT_*
WHAT_NOTE = "備註內容"
MSG_TEXT_TYPE = "{what}必須是文字。"
MSG_TEXT_EMPTY = "{what}不可空白。"
MSG_TEXT_LONG = "{what}最多 {limit} 字（目前 {length} 字）。"
MSG_BAD_STATES = "不明的案件狀態：{value}"
MSG_BAD_CURSOR = "since 參數必須是數字（上次回應的 cursor）。"
MSG_BAD_TAKE_OVER = "take_over 必須是 true 或 false。"
MSG_BAD_ORDER = "order 必須是 newest 或 oldest。"
MSG_BAD_FILTER = "{name} 篩選條件不正確。"
MSG_BAD_BULK_ACTION = "action 必須是 resolve 或 spam。"
MSG_BAD_BULK_IDS = "ids 必須是 1～{limit} 個案件編號。"
# why a ticket action was refused (core/store/tickets.refusal) → what the officer is told
CONFLICT_MESSAGES = {Refusal.RESOLVED: MSG_RESOLVED, Refusal.HELD: MSG_HELD_BY, Refusal.NOT_CLAIMED: MSG_CLAIM_FIRST,
                     Refusal.STATE: MSG_STATE, Refusal.CHANGED: MSG_CHANGED}

# the officer accounts command, ``python -m channels.officers`` (operators; zh-TW and English)
CLI_DESCRIPTION = "專人服務台帳號管理 (officer console accounts). Database: HANDOFF_DATABASE_URL."
CLI_HELP_CREATE = "建立帳號 create an officer"
CLI_HELP_NAME = "顯示名稱 display name shown to users (default: the username)"
CLI_HELP_STDIN = "從標準輸入第一行讀取密碼 read the password from stdin"
CLI_HELP_PASSWD = "變更密碼 change a password"
CLI_HELP_LIST = "列出帳號 list officers"
CLI_HELP_DISABLE = "停用帳號（立即登出） disable an officer (ends every login)"
CLI_HELP_ENABLE = "啟用帳號 enable an officer"
CLI_DISABLED = "已停用「{username}」，其登入已全部失效。 Officer disabled."
CLI_ENABLED = "已啟用「{username}」。 Officer enabled."
CLI_PASSWORD_PROMPT = "密碼 Password: "
CLI_REPEAT_PROMPT = "再輸入一次 Repeat: "
CLI_NO_PASSWORD = "沒有從標準輸入讀到密碼 (no password on stdin)."
CLI_MISMATCH = "兩次輸入的密碼不一致 (passwords do not match)."
CLI_PASSWORD_SHORT = "密碼至少需要 {limit} 個字元 (password must be at least {limit} characters)."
CLI_PASSWORD_LONG = "密碼過長，最多 {limit} 個字元 (password too long)."
CLI_PASSWORD_SPACES = "密碼開頭或結尾不可有空白 (no leading or trailing spaces)."
CLI_BAD_USERNAME = ("帳號需為 2–60 個英數字或 . _ -，且以英數字開頭 "
                    "(username: 2-60 of A-Z a-z 0-9 . _ -, starting with a letter or digit).")
CLI_BAD_NAME = "顯示名稱需為 1–{limit} 個字 (display name: 1-{limit} characters)."
CLI_EXISTS_USE_PASSWD = "帳號「{username}」已存在；要改密碼請用 passwd (username exists; use passwd)."
CLI_EXISTS = "帳號「{username}」已存在 (username exists)."
CLI_NO_SUCH = "找不到帳號「{username}」(no such officer)."
CLI_CREATED = "已建立專人帳號「{username}」（{name}），編號 {id}。 Created officer {username} (id {id})."
CLI_PASSWORD_CHANGED = "已更新「{username}」的密碼。 Password changed."
CLI_NONE_YET = "尚未建立任何專人帳號。 No officers yet: python -m channels.officers create <username> --name <名稱>"
CLI_NAME_COLUMN = "顯示名稱"
CLI_ERROR = "錯誤 Error: {error}"
CLI_CANCELLED = "\n已取消 (cancelled)."

# --- the supervisor dashboard and knowledge drafts (issue 16; channels/console/dashboard.py) ---
MSG_SUPERVISORS_ONLY = "此功能僅限督導使用。"
MSG_BAD_PERIOD = "期間格式錯誤：請以 YYYY-MM-DD 指定起訖日，起日不晚於迄日，最長 400 天。"
MSG_BAD_TABLE = "不明的表格，可用：{tables}"
MSG_DRAFT_FIELDS = "知識草稿欄位不完整或不正確：{fields}"
MSG_DRAFT_NOT_RESOLVED = "案件結案後才能提出知識草稿。"
MSG_DRAFT_NOT_FOUND = "找不到此知識草稿。"
MSG_DRAFT_REVIEWED = "此草稿已審核（{state}）。"
MSG_DRAFT_NOT_APPROVED = "草稿核准後才能匯出。"
LIST_SEPARATOR = "、"
DRAFT_FIELD_LABELS = {"title": "標題（1–16 字）", "topic": "主題", "questions": "問法（3–12 個）",
                      "answer": "答案（最多 2000 字）", "rule": "依據的規定（最多 200 字）", "doc": "來源文件"}
DRAFT_STATES = {"proposed": "待審核", "approved": "已核准", "rejected": "已退回"}
FIG_LABELS = {"conversations": "對話數", "user_messages": "使用者訊息數", "messages": "訊息總數",
              "contained": "小幫手獨立完成的對話", "containment": "自助完成率", "handoffs": "轉接專人次數",
              "out_of_hours": "非服務時間轉接", "no_officer": "無專人認領", "queue_wait": "排隊等候",
              "first_response": "首次回覆（服務時間內）", "resolution": "結案時間（服務時間內）",
              "median": "中位數", "mean": "平均", "p80": "第80百分位",
              "callbacks_requested": "回撥登記", "callbacks_made": "已回撥", "callbacks_reached": "回撥聯繫上",
              "feedback_rate": "小幫手好評率（👍）", "csat_mean": "專人服務滿意度平均"}
HANDOFF_REASON_LABELS = {"requested": "使用者要求", "complaint": "申訴", "case_status": "案件進度",
                         "misunderstood": "小幫手無法理解"}
CLOSE_LABELS = {"resolved": "已處理結案", "spam": "垃圾訊息", "callback_reached": "回撥聯繫上",
                "callback_not_reached": "回撥未聯繫上"}
KIND_LABELS = {"answer": "知識回答", "direct": "規則直答", "calc": "試算結果", "unanswered": "無法回答"}
REASON_LABELS = {"wrong": "👎 答案不正確", "unclear": "👎 看不懂", "not_asked": "👎 不是我問的", "none": "👎 未說明原因"}
CSAT_SCORE_LABEL = "{score} 分"
CHART_DAILY = "每日提問與轉接"
CHART_DAILY_SERIES = ("使用者提問", "轉接專人")
CHART_REASONS = "轉接原因"
CHART_TOPICS = "熱門主題"
CHART_WAITS = "等候與處理時間（分鐘）"
CHART_CSAT = "專人服務滿意度分布"
CHART_EMPTY = "此期間沒有資料"
CSV_HEADERS = {"figure": "指標", "value": "數值", "minutes": "分鐘", "reason": "原因", "count": "次數",
               "close": "結案方式", "entry_id": "知識條目", "title": "標題", "group": "群組",
               "question": "問題", "question_count": "此問法次數", "day": "日期", "questions": "使用者提問",
               "handoffs": "轉接專人", "asked": "已詢問", "answered": "已回答", "skipped": "略過",
               "mean": "平均分數", "kind": "回答類型", "up": "👍", "down": "👎"}
# python -m channels.officers supervisor <username> [--off]
CLI_HELP_SUPERVISOR = "設定督導權限 grant (or with --off remove) the supervisor role"
CLI_HELP_OFF = "取消督導權限 remove the role"
CLI_SUPERVISOR_ON = "「{username}」現在是督導（可看儀表板、審核知識草稿）。 {username} is now a supervisor."
CLI_SUPERVISOR_OFF = "「{username}」已取消督導權限。 {username} is no longer a supervisor."
CLI_SUPERVISOR_COLUMN = "督導"
