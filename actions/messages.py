"""Every zh-TW sentence the custom actions say, in one place. No programme figure is written here:
figures come from knowledge entries, which are quoted whole with their citation."""

GREET = ("您好！我是「產業及中小企業升級轉型」線上小幫手，可以回答免費課程、診斷輔導、升級轉型補助與低利貸款的問題，"
         "答案都會附上依據；也可以幫您試算補助、診斷費用與貸款（例如輸入「幫我試算補助」）。請直接輸入您的問題，或從下列主題開始：")
GREET_TOPICS = ("subsidy_caps", "diagnosis_cost", "training_free", "loan_overview", "hotline_main")
OUT_OF_SCOPE = ("不好意思，這個問題不在我能協助的範圍。我可以回答「產業及中小企業升級轉型」的免費課程、診斷輔導、"
                "補助與低利貸款問題，請換個方式問我，或從下列主題開始：")
OUT_OF_SCOPE_TOPICS = ("subsidy_caps", "diagnosis_cost", "loan_overview")
SUGGEST_INTRO = "我不太確定您想問的是哪一項，請從下列主題選一個（或換個說法再問一次）："
NONE_FOUND = (
    "抱歉，在計畫資料中找不到能確實回答這個問題的內容；為避免提供錯誤資訊，我不會用猜的。"
    "您可以換個說法再問一次，或洽詢專人："
)
TRUNCATED = "（您的訊息較長，我依開頭與結尾的內容回答；若有多個問題，歡迎分開詢問。）"
EMPTY_MESSAGE = "請輸入您想詢問的問題，例如「診斷輔導要多少錢」。"
UNKNOWN_TOPIC = "抱歉，這個選項已失效，請直接輸入您的問題。"
MISUNDERSTOOD_HANDOFF = "抱歉，我連續兩次沒能回答您的問題，為避免耽誤您，我請專人來協助。"
NOT_THESE = "都不是，找專人"
# A general question about a timeline ("補助款核准後多久會撥下來？") that NLU took for a case-status question:
# the brief does not say, so it is answered with who knows, and a person only if the user asks.
TIMELINE_NOT_STATED = "這個時程簡報沒有寫明，我無法提供確定的時間，以下是可以回答的窗口："
ASK_PERSON = "找專人"
TIMELINE_WORDS = ("多久", "多長", "何時", "什麼時候", "甚麼時候", "幾天", "幾個月", "幾週", "時程", "要等")
# words that make it about the user's own case (then a person looks at it)
OWN_CASE_WORDS = ("我的", "我們", "我司", "本公司", "敝公司", "案號", "統編", "送件", "送出", "申請了", "已申請",
                  "到哪", "審到", "進度", "沒消息", "還沒", "上個月", "上週", "結果出來")
# --- answering (issue 11): a likely answer with the runner-ups, two questions in one, English ---
ALSO_ASKED = "您可能也想問："
TWO_TOPICS = "您問了{count}件事，分別回答如下："
ANSWER_IN_CHINESE = "(This assistant answers in Traditional Chinese; the rule it used is cited at the end.)"

# --- guided calculations (texts with {placeholders} are filled from knowledge/parameters.yml) ---
FORM_INTRO = {
    "subsidy_form": "好的，我們來試算升級轉型補助。我會問幾個問題，隨時輸入「不算了」可停止。",
    "diagnosis_form": "好的，我們來試算診斷輔導費用。",
    "loan_form": "好的，我來幫您找適合的低利貸款並估算利息補貼。隨時輸入「不算了」可停止。",
}
NOTED = "已記下：{facts}。"
ASK = {
    "manufacturing": "請問貴公司是依法登記的製造業嗎？",
    "sme": "請問貴公司是中小企業嗎？（實收資本額{capital}以下，或經常僱用員工數未滿{staff}人，符合其一即是）",
    "employees": "請問貴公司經常僱用的員工有幾人？",
    "lead_factory": "請問是以「以大帶小」方式申請嗎？（貴公司為供應鏈中心廠，帶領合作廠商共同參與）",
    "track": "請問計畫是「智慧化」還是「低碳化」？",
    "total_budget": "請問計畫總經費是多少？（例如：八百萬）",
    "cost_items": "計畫經費中各科目大約多少？例如「新設備五百萬、委託研究一百萬」。沒有明細請按「沒有明細」。",
    "transformation_plan": "請問這筆資金是為了朝智慧化或低碳化轉型嗎？",
    "loan_purpose": "請問資金用途是「資本性支出」（購置設備、廠房）還是「週轉金」？",
    "capital_spending": "請問資本性支出（設備、廠房）的總金額是多少？",
    "loan_amount": "請問想借多少？不確定請按「不知道」，我會以最高額度試算。",
}
EXPLAIN = {
    "manufacturing": "補助對象為依法登記之製造業。請回答「是」或「否」。",
    "sme": "中小企業的認定：實收資本額{capital}以下，或經常僱用員工數未滿{staff}人，符合其一即屬中小企業。"
           "請回答「是」或「否」，也可以直接告訴我資本額或員工人數。",
    "employees": "請輸入經常僱用的員工人數，例如「二十五人」或「八個人」。",
    "lead_factory": "以大帶小是由供應鏈中心廠帶領合作廠商或供應鏈業者共同參與。若以中心廠身分申請請回「是」，"
                    "一般單一企業申請請回「否」。",
    "track": "請回答「智慧化」或「低碳化」。",
    "total_budget": "請輸入計畫總經費並加上單位，例如「八百萬」、「八百萬元」或完整金額（元）。",
    "cost_items": "請列出經費科目與金額，例如「新設備五百萬、委託研究一百萬」，科目包括：{items}。沒有明細請回「沒有」。",
    "transformation_plan": "轉型發展專案貸款的對象是朝智慧化及低碳化轉型之中小企業。請回答「是」或「否」。",
    "loan_purpose": "請回答資金用途：「資本性支出」（如購置設備、廠房）或「週轉金」。",
    "capital_spending": "請輸入資本性支出（設備、廠房）的總金額並加上單位，例如「一千萬」。",
    "loan_amount": "請輸入想借的金額並加上單位，例如「五百萬」；不確定請回「不知道」。",
}
UNIT_MISSING = "請問這個金額的單位是「元」還是「萬」？請加上單位再輸入一次，例如「八百萬」。"
NOT_UNDERSTOOD = "抱歉，我沒能理解這個回答。"
STILL_NOT_UNDERSTOOD = "我還是沒能理解這個回答。您可以再回答一次，或選擇停止試算、找專人協助："
COSTS_TOO_LARGE = "各經費科目加總超過計畫總經費，請再確認科目金額。"
STOP_BUTTON = "停止試算"
HUMAN_BUTTON = "找專人"
YES_BUTTON, NO_BUTTON, DONT_KNOW_BUTTON, NO_DETAIL_BUTTON = "是", "否", "不知道", "沒有明細"
# --- what the bot repeats back of the user's answers (「已記下：製造業、員工25人。」) ---
LIST_SEP = "、"
CHOICE_BUTTONS = {"track": ("智慧化", "低碳化"), "loan_purpose": ("資本性支出", "週轉金")}
DESCRIBE_BOOL = {  # slot → (said when true, said when false)
    "manufacturing": ("製造業", "非製造業"), "sme": ("中小企業", "非中小企業"),
    "lead_factory": ("以大帶小", "非以大帶小"), "transformation_plan": ("智慧化／低碳化轉型", "非轉型用途"),
    "registered_factory": ("特定工廠登記／納管工廠", "未取得特定工廠登記"),
}
DESCRIBE_EMPLOYEES = "員工{count}人"
DESCRIBE_TRACK = {"smart": "智慧化", "lowcarbon": "低碳化"}
DESCRIBE_PURPOSE = {"capital": "資本性支出", "working": "週轉金"}
AMOUNT_NAMES = {"total_budget": "計畫總經費", "capital_spending": "資本性支出", "company_capital": "資本額",
                "loan_amount": "借款金額"}
# An amount said as "about" is confirmed before it is used; a range is asked back (never guessed).
CONFIRM_ABOUT = "{name}以{amount}計算，對嗎？不對請直接輸入金額。"
CONFIRM_MORE_THAN = "{name}「{said}」先以{amount}計算（取較低的數，結果不會高估），對嗎？有確切金額請直接輸入。"
CONFIRM_NO = "好的，不以{amount}計算。"
RANGE_ASK_BACK = "「{said}」是一個範圍，我不能用猜的。請給一個金額，例如「{example}」。"
DESCRIBE_AMOUNT = "{name}{amount}"
DESCRIBE_COST = "{label}{amount}"
NO_COST_DETAIL = "無經費明細"
DESCRIBE_LOAN = "借款{amount}"
LOAN_AT_MAX = "借款金額以最高額度試算"
TAX_ONLY = "僅有稅籍登記"
# Words that, in answer to 「想借多少」, mean "as much as allowed" (input vocabulary, not said).
LOAN_MAX_WORDS = ("最高", "上限", "最多", "都可以")

# --- calculation results: the chat text and the card (actions/render.py) ---
HEADINGS = {"steps": "計算過程", "alternatives": "您可以考慮", "notes": "請注意", "citations": "依據",
            "show_steps": "看計算過程", "next_step": "下一步"}
RESULT_TITLE = "【{title}】"
RESULT_LINE = "結果：{headline}"
RESULT_SECTION = "{heading}："
RESULT_STEP = "{number}. {text}"
RESULT_BULLET = "・{text}"
RESULT_CITATION = "（{heading}：{citations}）"
CITATION_SEP = "；"
RESULT_CITATION_LINE = "{heading}：{citations}"
# The headline: one plain sentence (a card leads with it; the chat text says it after 「結果：」).
NOT_ELIGIBLE = "目前不符合「{title}」的條件（{reason}）。"
ELIGIBLE = "{label}{amount}（決定因素：{binding}）。"
ELIGIBLE_NO_BINDING = "{label}{amount}。"
# a strict limit said in words (政府補助款 < 計畫總經費50%): never an invented "at most" figure
AMOUNT_BELOW = "政府補助款須低於{limit}（{basis}）{also}。"
ALSO_AT_MOST = "，且不超過{tier}補助上限每案{cap}"
AMOUNT_UPPER_BOUND = "這是上限：部分經費未說明用途，若為僅能自籌的科目，可補助金額會更低。"
# loans: the interest subsidy is an estimate, the loan limit is a fixed amount
LOAN_HEADLINE = "{label}{estimate}（估算）；{limit_label}{limit}（依簡報規則，非估算）。"
LOAN_HEADLINE_NO_LIMIT = "可申請{label}；額度依您的資本性支出而定，請提供金額以試算。"
ESTIMATE_NONE = "無法估算"
# the amount a card shows in large type (the card adds 「（估算）」 when the result is an estimate)
AMOUNT_TEXT_BELOW = "須低於{limit}"

# Words that make a calc_* message a calculation request (input vocabulary, not said; actions/direct.py):
# a calc verb (試算/算算/估一下/評估), "how much can WE get/borrow", or "which loan fits us".
CALCULATION_CUE_PATTERN = (r"算|估|評估|試|calc|(拿|補|借|貸|領|申請)(到)?(多少|幾)|多少(補助|錢)|最多多少"
    r"|補貼.?.?.?.?多少|省.?.?多少"
    r"|適合|哪(一)?(種|個|類)(貸款|補助)?|找.*貸款|試算|simulate|estimate")

# The card's plain lead: one short sentence a non-accountant reads right, built from the same result
# fields as the headline (actions/render.py plain()); no figure is written here.
PLAIN_AT_MOST = "您最多可申請政府補助{amount}，其餘經費由企業自籌。"
PLAIN_BELOW = "政府補助款須低於{limit}（{basis}），其餘經費由企業自籌。"
PLAIN_UPPER_BOUND = "這是上限：有經費未說明用途，實際可能更低。"
PLAIN_DIAGNOSIS = "診斷輔導每案{total}：政府負擔{government}，貴公司自籌{firm}。"
PLAIN_LOAN = "{label}{estimate}（估算）；{limit_label}{limit}（固定金額）。"
PLAIN_NOT_ELIGIBLE = "目前不符合「{title}」的條件：{reason}。"
# What to do next, per calculator: (knowledge entry, the line of its answer that names the contact
# (None: the first line), the sentence). The contact and its number come from the entry.
NEXT_STEP = {
    "subsidy": ("hotline_main", None, "想申請或確認資格，請洽{contact}。"),
    "diagnosis": ("hotline_main", None, "想申請診斷輔導，請洽{contact}。"),
    "loan": ("loan_application_flow", "馬上辦服務中心：", "貸款申請與核貸問題，請洽{contact}。"),
}
SENTENCE_END = "。"
