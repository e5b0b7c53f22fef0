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
RESULT_FORMULA = "計算過程："
RESULT_NOTES = "請注意："
RESULT_ALTERNATIVES = "您可以考慮："
RESULT_CITATION = "（依據：{citations}）"
NOT_ELIGIBLE = "結果：目前不符合「{title}」的條件（{reason}）。"
ELIGIBLE = "結果：{label}{amount}（決定因素：{binding}）。"
ELIGIBLE_NO_BINDING = "結果：{label}{amount}。"
AMOUNT_BELOW = "須低於{limit}，即最多{amount}"
