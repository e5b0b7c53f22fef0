"""What a question asks for, and whether the matched entry can say it (issue 11: refuse what the
brief does not answer instead of answering with a neighbouring entry).

A question about a detail the brief never states — a deadline, how long the review takes, which
forms to download, whether the subsidy is taxed, another ministry's programme — shares its words
with a real entry's topic (補助, 貸款, 申請), so retrieval finds that entry and would answer with it.
The fix is not a score threshold (those did not carry from dev to test) but a type check: each
question is read for the *kinds of detail* it asks (the slots below), and each entry declares in
its YAML (``details:``) which of those kinds its text actually answers. When the question asks for a
kind the best entry does not answer, the bot answers with the entry that says the brief does not
state it and gives the hotline (``not_in_brief_*``) instead.

Slots are about the domain, not about any question set: they list the ways people ask for things
the programme brief (a slide deck: amounts, shares, targets, course outlines, phone numbers) has no
room for. Pure Python, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .calc.numbers import parse_numeral
from .textnorm import normalize

#: slot → what it means; the names are the values an entry may list under ``details:``.
SLOTS: dict[str, str] = {
    "when": "a date, deadline, opening time or round (什麼時候、截止、幾月、梯次)",
    "until": "the end of a period: until when applications are received, a closing date (收到幾月底、受理到什麼時候、"
             "截止): the entries that state a time state a start (4月底開始收件) or service hours, not an end",
    "duration": "how long something takes or lasts (多久、幾天、期間、幾年)",
    "documents": "documents, forms, formats, where to download or apply online (文件、表格、網址)",
    "review": "how applications are reviewed, by whom, how long approval takes, pass rates, review results and "
              "their reasons (審查、委員、核貸要多久、銀行為什麼退件)",
    "payment": "when and how money is paid out or paid in: to whom, in instalments, before the work starts "
               "(撥款、入帳、頭期款、分期、撥給我還是銀行、自籌款開工前就要付嗎)",
    "closing": "closing, reporting and audits after the project (結案、成果報告、查核)",
    "tax": "tax and accounting treatment (所得稅、課稅、會計、認列)",
    "loan_terms": "loan terms the brief does not give: collateral, guarantors, fixed or floating rate, "
                  "tenor, grace period, the credit guarantee's ratio or fee, which old loans 借新還舊 may repay "
                  "(擔保品、保證人、固定利率、寬限期、保證成數、舊貸款要符合什麼條件)",
    "other_programme": "another ministry's, agency's or local government's programme, or personal loans "
                       "(勞動部、環境部、SBIR、台電、房貸)",
    "future": "whether the programme continues or comes back (明年還會有嗎、下一期)",
    "headcount_rule": "how head count or capital is measured (勞保人數、投保、計算方式)",
    "quota": "how many firms or people are accepted, places per class (名額、錄取幾家)",
    "location": "where and how a course takes place: venue, online or on site, meals, what to bring "
                "(上課地點、線上還是實體、課程可以線上上嗎、有沒有便當、要不要自備筆電)",
    "certificate": "certificates or proof of attendance (證書、結業證明、時數)",
    "instructor": "who teaches a course: instructors, teaching staff (講師是誰、師資)",
    "attendance": "attendance rules of a course: leave, missed sessions, make-up classes (請假、缺課、補課)",
    "remaining": "how much of the budget or of a cap is left, whether it has run out (預算還剩多少、用完了嗎)",
    "service_days": "on which days a service is open: weekends, holidays (週末有服務嗎、假日): the entries "
                    "that state a time state the hotline's hours (08:30～18:00), not its days",
    "validity": "how long a report, approval or certificate stays valid, what happens once it expires "
                "(診斷報告有效期限、過期還能用嗎)",
    "retroactive": "spending made before applying (已經買的設備、追溯、先買後補)",
    "bank": "which banks lend or handle the loans (哪家銀行、承貸銀行)",
    "combine": "whether the subsidy and a loan, or a loan's capital and working-capital parts, can be combined "
               "or stacked (補助跟貸款可以同時申請嗎、週轉金跟資本性支出合計)",
    "frequency": "how many times a firm may apply or use a service (一年可以申請幾次、申請次數、可以申請兩次嗎)",
    "provider": "choosing the expert, consultant or vendor oneself (專家可以自己指定嗎、自己找顧問)",
    "clawback": "paying the subsidy back when a target is missed (補助款要退回嗎、繳回)",
    "equipment_condition": "second-hand or leased equipment (二手、中古、租賃)",
    "group_size": "a lead factory's group of another size than the brief's 1+N tracks (帶6家、1+6)",
    "changes": "changing, extending or postponing an approved project, swapping its partners or expert "
               "(核定後可以變更計畫嗎、展延、延期、合作廠商中途換)",
    "fees": "fees the brief does not list: application, handling or set-up fees, deposits (申請費、開辦費、訂金)",
    "criteria": "conditions the brief does not state: losses, debt ratio, years in business "
                "(虧損的公司可以借嗎、成立不到一年可以申請嗎)",
    "project_duration": "how long a subsidy or diagnosis project runs (計畫執行期間多久): the entries that state a "
                        "duration state courses' days or the loans' subsidy years, not a project's period",
    "subsidy_rate": "the interest-subsidy rate of the 未滿5人 / 稅籍登記 loan class: the brief gives that class "
                    "only its 「2年約12萬」 estimate, no rate (未滿5人那類的利息補貼利率是多少)",
}

#: Slots that describe the asker's case rather than the detail asked (a 1+6 group, second-hand
#: equipment, spending already made): every question of a message naming one is about that case.
SITUATION_SLOTS = frozenset({"group_size", "equipment_condition", "retroactive"})

# Patterns on normalize(text): traditional characters, half-width, lower case.
_PATTERNS: dict[str, str] = {
    "when": r"什麼時候|甚麼時候|什麼時間|何時|哪一?天|幾月幾號|幾號(?:截止|前|之前|開始|結束|收件|受理)|幾月|日期|截止|期限|來得及|來不及|梯次|哪個月"
            r"|開放申請|開始受理|受理時間|收件時間|申請時間|報名時間|開課時間|開課日|上課時間|課表|上課日"
            r"|受理到|收件到|現在還(?:能|可以)申請|今年還(?:能|可以)申請|還(?:能|可以)報名"
            r"|\bstill (?:apply|open)\b|\bopen for applications\b|\bapplication (?:period|window)\b"
            r"|\bdeadline|^\W*when\b|\bwhen (?:is|are|does|do|will|can|could|should|must|did|would)\b|\bby when\b|\bdue date|\bclosing date",
    # the end of a period (收到幾月底): a start (4月底開始收件) or service hours do not say it
    "until": r"截止|(?:收|收件|受理|申請|報名|辦|辦理|開放|收案)到(?:幾月|幾號|哪個月|哪一?天|什麼時候|甚麼時候|何時|年底|月底|幾時)"
             r"|到(?:幾月|哪個月|哪一?天|什麼時候|甚麼時候|何時)(?:為止|截止|結束|收件|受理|停止)|(?:幾月|哪天|何時|什麼時候)(?:底|初)?(?:為止|結束收件|停止收件|收件截止|不收)"
             r"|(?:結束|停止|截止)(?:收件|受理|申請|報名)|最後(?:一天|期限|收件日)"
             r"|\buntil when\b|\bdeadline|\bclosing date\b|\bdue date\b|\b(?:last|final) day\b|\bwhen (?:does|do|will) (?:it|they|the \w+(?: \w+)?) (?:close|end|stop)\b",
    "duration": r"多久|幾天|多少天|幾個月|多少個?月|幾年|多少年|多長|(?<!疫情)期間|時程|工作天|天數|年限|期限多長"
                r"|幾週|幾周|多少週|多少周|跨年|分(?:兩|二|2|三|3|幾)年(?:執行|做|進行|完成)|幾個?禮拜|幾個?星期|多少時間|等多少"
                r"|\bhow long\b|\bhow many (?:days|months|years|weeks)\b|\bduration\b",
    "documents": r"文件|表格|表單|格式|(?<![原器])材料(?!費)|附件|資料要|準備哪些|準備什麼|計畫書|申請書|下載|網址|網站|網頁|線上申請|申請系統|官網|填寫"
                 r"|檢附|要附(?:上|什麼|哪些)?|附上|佐證|證明文件|用印|大小章|印鑑"
                 r"|(?:需要|要|得)(?:交|附|準備|提供|繳交|送)?(?:什麼|哪些)資料|資料清單|正本|影本|紙本|郵寄|寄送|親送|送件(?:方式|地址|地點)|怎麼送件|寄到哪"
                 r"|公告在哪|在哪(?:裡)?公告|哪裡(?:可以)?(?:看|查)(?:到)?(?:公告|最新消息)"
                 r"|\bwhat (?:do|must|should) (?:i|we) submit\b|\bhow (?:do|can|should) (?:i|we) submit\b"
                 r"|\bdocuments?\b|\b(?:application|download|which|fill (?:in|out) the) forms?\b|\bwhat forms? (?:do|should|must|are needed|are required)\b|\bdownload|\bwebsite|\burl\b|\bportal\b|\bpaperwork\b",
    "review": r"審查|審核|委員|評審|評分|通過率|核准率|錄取|會不會過|能不能過|有沒有過|有沒有通過|沒過|被退(?!件)"
              r"|有沒有拿到|有沒有獲得|是否獲得|有沒有申請到|獲補助名單|得獎名單|審覈|案件進度|申請進度|審核進度|進度到哪|核貸|機會過|會過嗎|比較好過|比較容易過|容易通過"
              r"|審到哪|審到什麼|查(?:詢)?進度|進度(?:如何|怎麼樣|怎樣|查詢)|核定了沒|過了沒|結果(?:出來|公布)|什麼時候公布"
              r"|我的案子|我們的案子|我們的申請案|案件編號|案號|受理編號"
              # how long the approval takes (核貸要多久), not a course's days or the subsidy's years
              r"|(?:核貸|核准|批准|放款|撥款|撥下來|審下來|核下來|批下來)[^，。？?]{0,6}(?:多久|幾天|多少天|幾個?月|幾週|幾周|多少時間|多長時間)"
              r"|(?:多久|幾天|多少天)(?:才|會|能|可以|才會|才能|才可以)?(?:核貸|核准|批准|放款|撥款|撥下來|審下來|核下來|批下來|下來)"
              r"|\bhow long\b[^.?!]{0,40}\b(?:approv|review|process|disburs)\w*|\b(?:approv|review|process)\w*[^.?!]{0,30}\btakes?\b[^.?!]{0,10}\b(?:how long|days|weeks)"
              # why a bank refused, what it judges a borrower's credit by: the bank's decision
              r"|為什麼[^，。？?]{0,6}(?:退件|退(?:我|我們|我的|我們的)?(?:的)?件|被退|被拒|拒絕|沒過)|退件(?:是)?(?:因為|為什麼|為何)"
              r"|被(?:銀行)?退(?:了|件|回)?[^。？?]{0,16}(?:原因|理由)|退件(?:的)?(?:理由|原因)|(?:拒絕|不借|不貸|不核貸)(?:的)?(?:理由|原因)|為什麼不(?:借|貸|核貸|給貸|讓我借)"
              r"|聯徵|信用(?:評分|評等|分數|紀錄|記錄|狀況|不好|不良|瑕疵|有問題)|信評|票信|債信|退票|跳票"
              r"|\breview(?:ed|er|ers)?\b|\bapproval rate\b|\bapproved\b",
    "payment": r"撥款|撥下來|撥付|入帳|頭期款|預撥|先撥|分期撥|請款|核銷|墊付|少撥|多撥|一次(?:撥|付清|給)|分幾(?:期|次)(?:撥|給|付)|核撥|匯款|匯入|給付方式|付款方式|怎麼領|何時領"
               r"|補貼(?:款)?(?:是|會)?(?:怎麼|如何)(?:給|發|撥|付|領|拿)|直接(?:從)?(?:利息|貸款|還款|本金)?(?:裡|中)?(?:扣|減)"
               r"|墊錢|墊款|先墊|自己墊|先(?:繳|付)(?:利息|款|錢)?(?:再|才)"
               r"|\bhow (?:is|are|will) (?:the )?(?:interest )?subsid(?:y|ies) (?:be )?paid\b"
               r"|(?:扣掉|扣除|抵扣)還是|退(?:給|還給?)(?:我|我們|公司)|匯(?:到|進)"
               # to whom (撥給我還是撥給銀行), in instalments, paid in before the work starts
               r"|(?:撥|匯|付|發|給)(?:給|到|入|進)?(?:我|我們|公司|企業|廠商|帳戶|戶頭)還是(?:撥|匯|付|發|給)?(?:給|到|入|進)?銀行"
               r"|(?:撥|匯|付|發|給)(?:給|到|入|進)?銀行還是|(?:補助|補貼|款|錢)[^，。？?]{0,8}撥(?:給|到|入|進|至)"
               r"|撥(?:入|進|至)|撥到(?:我|我們|公司|帳戶|戶頭|銀行)|還是分期|分期(?:付|繳|給|支付|撥|付款)|分(?:幾|兩|二|2|三|3)期(?:付|繳|撥|給|支付)?"
               r"|(?:開工|開始|動工|簽約|執行|診斷|輔導|施作)(?:之)?前(?:就)?(?:要|得|需要|必須)?(?:先)?(?:付|繳|支付|匯)(?!\S{0,3}資料)"
               r"|(?:自籌|自付|自己出|自備)(?:款|的)?[^，。？?]{0,8}(?:(?:怎麼|如何|何時|什麼時候)(?:付|繳|交|給)|付給誰|繳給誰|交給誰|給誰)"
               r"|要先(?:付|繳)(?:錢|款|費用)?(?:嗎|呢)|先付(?:錢|款)?還是|(?:付|繳)(?:錢|款|費用)?(?:是)?(?:要)?給誰|(?:自籌款|自籌|費用|錢)(?:是)?(?:要)?(?:付|繳|交)給誰|錢(?:是)?(?:要)?給誰"
               r"|\bpaid (?:to|directly)\b|\bwho (?:receives|gets) the (?:interest )?(?:subsidy|money|grant)\b|\binstal(?:l)?ments?\b"
               r"|\bdisburse|\bpaid out\b|\bpayment schedule\b|\badvance payment\b",
    "closing": r"會計師(?:簽證|查核|核閱|認證|證明|出具|簽核|審計)|(?:要|需要|得|必須)(?:請|找)?會計師|結案|成果報告|期末報告|期中報告|查核|稽核|驗收|追蹤考核|憑證|單據|收據要|保存幾年"
               r"|\bclose[- ]?out\b|\bfinal report\b|\baudit",
    "tax": r"含稅|未稅|稅前|稅後|所得稅|營業稅|營所稅|課稅|繳稅|報稅|扣繳|免稅|稅務|扣稅|稅金|稅率|稅額|抵減|會計(?:上|處理|科目|分錄|帳)|做帳|認列|帳務|入帳科目|發票"
           r"|\btax(?:ed|able|es)?\b(?! registration)|\baccounting\b",
    "loan_terms": r"(?:需要|要|提供|要不要|需不需要)(?:提供)?擔保品|擔保品要|抵押|保證人|連帶保證|固定利率|機動利率|浮動利率|固定還是|機動還是|寬限|還款期|還款方式|攤還|提前還|提前清償|違約金|貸款期限|借幾年|可以借多久|本金攤還|不動產擔保|擔保物|提供擔保|需要擔保|要不要擔保|需不需要擔保|(?:做|當|作為?)擔保|從每月還款|還款(?:時|裡|中)?(?:直接)?扣|還幾年|分幾年|還款年限|貸款年限|借款年限|借款期限|借款期間|貸多久|借多久|貸幾年|手續費|規費"
                  # the credit guarantee's ratio and fee: the brief names the funds and their numbers only
                  r"|保證成數|信保成數|保證(?:的)?比(?:例|率)|保證(?:幾|多少)成|保(?:證)?幾成|保證費|信保費|保證手續費"
                  # 借新還舊: the brief says the loans allow it, not which old loans qualify
                  r"|借新還舊[^，。？?]{0,10}(?:條件|資格|限制|規定|符合|哪些貸款|什麼貸款|哪種貸款|哪一種貸款)"
                  r"|借新還舊[^，。？?]{0,4}(?:可以|能|可不可以|能不能)(?:拿來)?(?:還|償還|清償|用在|用於|包含|包括)"
                  r"|(?:哪些|哪種|什麼|哪一種)(?:舊|原|既有)?(?:的)?(?:貸款|借款)(?:可以|能|才能|才可以)(?:拿來)?借新還舊"
                  r"|(?:舊貸款|原貸款|原有貸款|既有貸款|舊的貸款|原本的貸款|舊債)[^，。？?]{0,8}(?:條件|資格|限制|規定|符合|要求)"
                  r"|利率(?:是)?(?:固定|機動|浮動)|利率[^，。？?]{0,6}(?:會不會|會|可能)(?:再)?(?:調|變|漲|降|升)"
                  r"|\b(?:which|what) (?:old |existing |kinds? of )?(?:loans?|debts?) (?:can|may|qualify|are eligible)[^.?!]{0,20}\brefinanc"
                  r"|\brefinanc\w*[^.?!]{0,25}\b(?:conditions?|requirements?|criteria|eligible|qualify)\b|\bfixed (?:or|rate|interest)\b|\brates? (?:is |are )?fixed\b"
                  r"|\bguarantee (?:ratio|coverage|fee)|\bcollateral\b|\bguarantor\b|\bfixed rate\b|\bfloating\b|\bvariable rate\b|\bgrace period\b|\btenor\b|\brepay",
    "other_programme": r"其他部會|別的部會|其他政府|別的政府|其他計畫|別的計畫|其他補助計畫|勞動部|環境部|環保署|能源署|國發會|國科會|農業部|農委會|衛福部|交通部|文化部|數位部|台電|臺電"
                       r"|(?:縣市政府|地方政府|市政府|縣政府)的?(?:補助|獎勵|獎助|計畫|貸款)|sbir|siir|碳費|碳權|財政部|內政部|教育部|法務部|金管會|經發局|產發局|勞發署|職安署|其他政府補助|別的政府補助|別的補助計畫|就業保險|僱用獎助|雇用獎助|房貸|房屋貸款|購屋貸款|車貸|汽車貸款|信貸|信用貸款|學貸|個人貸款"
                       r"|定存|定儲|股價|匯率|青創|青年創業|創業貸款|\bministry of labo",
    "future": r"明年還|明年會不會|明年有沒有|還會不會有|下一期|下一年度|下一梯|第二梯|延續|會延長|延長辦理|還會再辦|會不會再辦|持續辦理"
              r"|\bnext year\b|\bcontinue next\b",
    "quota": r"(?:班|梯|課)[^，。？?]{0,4}(?:收|招|招收|限|開放|最多)?(?:幾|多少)(?:個|位|名)?(?:人|學員)|招生人數|收(?:幾|多少)(?:個|位|名)?(?:人|學員)"
             r"|開班(?:人數|門檻)|(?:幾|多少)(?:個)?人(?:才)?(?:能|可以|會)?(?:開班|成班)|(?:幾|多少)(?:個)?人一班"
             r"|名額|錄取幾家|錄取率|核定幾家|補助幾家|幾家會過|會補助幾家|每班幾人|一班幾個?人|一班多少人|額滿"
             r"|\bhow many (?:companies|firms) (?:will|get|are)\b|\bquota\b|\bseats?\b"
             r"|\bper class\b|\bclass size\b|\bhow many (?:people|participants|trainees|students)\b",
    "location": r"上課地點|地點在|在哪裡?上課|哪裡上課|線上還是實體|實體還是線上|線上上課|視訊上課|遠距上課|地址|在哪一?個?縣市|地點|線上課|線上上課|線上課程|有線上(?:的)?(?:課|版|班)|實體課"
                r"|(?:課|班|培訓|訓練)[^，。？?]{0,4}在哪(?:裡|邊|兒)?(?:上|開|辦|舉行)"
                # a course followed online (「課程可以線上上嗎」), not an online application or system
                r"|(?:課|班|培訓|訓練)[^，。？?]{0,6}(?:線上|遠距|視訊|直播|網路上)(?!申請|系統|品質|檢測)"
                r"|(?:線上|遠距|視訊|直播|網路上)(?:上|參加|參與|學習|聽|看)(?:課|嗎|呢)"
                r"|(?:上課|課程|培訓|訓練|課)[^，。？?]{0,8}(?:便當|午餐|供餐|餐點|停車|自備(?!款|金|資金)|筆電|帶電腦)"
                r"|(?:便當|午餐|供餐|餐點|停車)[^，。？?]{0,8}(?:上課|課程|培訓|課)"
                r"|\b(?:courses?|class(?:es)?|training|sessions?)\b[^.?!]{0,30}\b(?:online|remotely|virtual(?:ly)?)\b"
                r"|\b(?:online|virtual|remote)\s+(?:courses?|class(?:es)?|training|sessions?)\b"
                r"|(?:(?:台|臺)北|新北|桃園|新竹|苗栗|(?:台|臺)中|彰化|南投|雲林|嘉義|(?:台|臺)南|高雄|屏東|宜蘭|花蓮|(?:台|臺)東|基隆|澎湖|金門|(?:北|中|南|東)部)"
                r"(?:有沒有|有|也有|會不會|會)(?:開)?(?:班|課)"
                r"|\bwhere (?:is|are) the (?:course|class|training)|\bonline or in person\b|\baddress\b",
    "instructor": r"講師|師資|授課(?:老師|教師|者)|(?:哪位|哪些|哪個)老師(?:上課|授課|教)?|老師是誰|誰(?:來)?(?:授課|教課)"
                  r"|\binstructors?\b|\bwho teaches\b|\bwho (?:is|are) the (?:teachers?|trainers?|lecturers?)\b",
    "attendance": r"請假|缺課|缺席|補課|出席率|點名|簽到|\bmiss(?:ed)? (?:a |the )?(?:class|session)",
    "remaining": r"(?:預算|經費|額度|補助款)[^，。？?]{0,4}(?:還)?(?:剩|剩下|剩餘)|(?:用完|花完|發完|補完)了?(?:嗎|沒)|(?:還有沒有|還有)(?:預算|經費)(?:嗎|剩|可以申請|可申請)"
                 r"|\b(?:remaining|left in the) budget\b|\bbudget (?:left|remaining)\b|\brun out\b|\bused up\b",
    "service_days": r"週末|周末|假日|(?:星期|禮拜|週|周)(?:六|日|天)|六日|國定假日|連假|過年期間|春節"
                    r"|\bweekends?\b|\b(?:public )?holidays?\b|\bsaturdays?\b|\bsundays?\b",
    "certificate": r"證書|結業證明|結訓證明|上課證明|時數證明|證照|學分"
                   r"|\bcertificate",
    "validity": r"有效期|效期|有效(?:多久|幾年|幾個月|到)|過期|失效|逾期|還有效"
                r"|\bvalid(?:ity| for)\b|\bexpir",
    "retroactive": r"已經買|已經購買|已經採購|已購置|之前買|去年買|上個月買|先買後|先買再|追溯|事後申請|買了才"
                   r"|\balready (?:bought|purchased)\b|\bretroactive",
    "bank": r"哪家銀行|哪間銀行|哪些銀行|哪個銀行|承貸銀行|承辦銀行|合作銀行|配合銀行|指定銀行|哪幾家銀行|哪幾間銀行|銀行有承辦|銀行在承辦|去哪(?:家|間)銀行"
            r"|往來銀行|主力銀行|公股銀行|民營銀行|每一?家銀行|所有銀行|任何一?家銀行|哪一(?:家|間|個)銀行|推薦(?:一下)?(?:哪家|的)?銀行"
            r"|\bwhich banks?\b",
    "frequency": r"(?:可以|能|可)申請幾次|申請幾次|(?:一年|每年|一家)(?:最多)?(?:可以|能)?(?:申請|做|用)幾次|申請次數|次數(?:限制|上限)|可以重複申請|能重複申請|再申請一次"
                 r"|申請(?:過)?(?:兩|二|2|多|第二|好幾)次|(?:兩|二|2|多|好幾)次(?:申請|補助)|第二次申請|再次申請|重複(?:申請|請領|補助)"
                 r"|(?:同時|一起|分別|都)(?:申請|拿|送)[^，。？?]{0,10}(?:兩個|兩種|兩案|兩項|2個|二個|兩件)(?:補助|計畫|案)"
                 r"|(?:兩個|兩種|兩案|兩項|兩件)(?:補助|計畫|案子)[^，。？?]{0,6}(?:同時|一起|都)(?:申請|拿|送)"
                 r"|(?:申請|拿|領)過(?:補助)?(?:了)?[,，]?(?:今年|明年|之後|下次|以後)?(?:還|可以再|能再|可不可以再)"
                 r"|\bhow many times\b|\bhow often can\b"
                 r"|(?:到廠|來廠|訪視|診斷|輔導)[^，。？?]{0,4}(?:幾次|多少次)|(?:幾次|多少次)(?:到廠|訪視)"
                 r"|\bappl(?:y|ying|ication)\b[^.?!]{0,30}\b(?:twice|a second time|more than once)\b|\bsecond application\b",
    "provider": r"(?:專家|顧問|輔導老師|老師|輔導團隊)[^，。？?]{0,8}(?:自己|自行)(?:指定|挑|選|找)|(?:自己|自行)(?:挑|選)(?:專家|顧問)|(?:自己|自行|我們)(?:指定|挑選|選擇|找)(?:專家|顧問|老師|廠商)|(?:專家|顧問|輔導老師)(?:可以|能|可不可以|能不能)(?:由?我們)?(?:自己|自行)?(?:指定|挑|選|找)|指定專家|指定顧問"
                r"|指定[^，。？?]{0,4}(?:專家|顧問|老師|輔導團隊)|(?:挑|選)(?:哪位|哪個|哪一位|誰當)(?:專家|顧問|老師)"
                r"|(?:專家|顧問|輔導老師)(?:可以|能|可不可以|能不能)(?:由)?(?:我們|我)?(?:自己)?(?:指定|挑|選|換)"
                r"|\b(?:choose|pick|select|name) (?:our own |my own |which |a specific )?(?:expert|consultant)"
                r"|顧問公司|代寫|代辦|代撰|代為申請|幫忙寫計畫|幫(?:我們|我)?寫計畫"
                r"|\bchoose (?:our own|the) (?:expert|consultant)",
    "clawback": r"(?:補助款?|錢)(?:要|會|需要|得)?(?:被)?(?:退回|繳回|追回|收回|返還|吐回)|要不要(?:退|還)錢|(?:要不要|需不需要|會不會|是否|要)(?:被)?(?:退回|繳回|追回|返還|吐回)|沒(?:有)?(?:達成|達到)(?:目標|效益|指標|kpi)|未達(?:成)?(?:目標|效益|指標|kpi)|追繳|扣款|被扣|核減|刪減"
                r"|\b(?:pay|paid) (?:it |the subsidy |the grant )?back\b|\bclaw ?back",
    "equipment_condition": r"二手|中古|租賃|租用|租來|用租的|\bsecond-?hand\b|\bused (?:equipment|machines?|machinery)\b"
                           r"|\brefurbished\b|\bleas(?:e|ed|ing)\b",
    "fees": r"申請費|開辦費|帳管費|帳戶管理費|審查費|訂金|押金|保證金"
            r"|\b(?:application|processing|handling|admin(?:istration)?|set-?up) fees?\b|\bdeposit\b",
    "criteria": r"(?:虧損|赤字|負債比?(?:很|太|偏)?高|財務(?:狀況)?(?:不好|不佳)|成立(?:不到|未滿)\S{1,3}年|剛成立|新成立|新設立)"
                r"[^，。？?]{0,8}(?:能|可以|可不可以|能不能|還能|還可以|也能|也可以)(?:申請|借|貸)"
                r"|(?:額度|核定|核貸|審核)[^，。？?]{0,4}(?:是)?看(?:營收|資本額|財報|信用|什麼)|看(?:營收|資本額|財報)還是"
                r"|\bloss-?making\b|\bin the red\b|\bdebt ratio\b|\b(?:newly|recently|just) (?:established|founded|set up)\b",
    "changes": r"(?:變更|更改|修改|調整)(?:計畫|內容|項目|設備項目|預算|經費|合作廠商|廠商|專家|執行期間)"
               r"|(?:核定|核准|通過|核貸)(?:之)?後[^，。？?]{0,6}(?:變更|更改|修改|更換|換)|計畫(?:內容)?[^，。？?]{0,3}(?:變更|更改|修改)"
               r"|計畫(?:內容)?(?:可以|能)?(?:變更|更改|修改)|(?:可以|能|還能|還可以)改計畫|改(?:計畫|預算)"
               r"|中途(?:可以|能|可不可以|能不能)?(?:換|更換|變更|退出|加入)|(?:合作廠商|協力廠商?|專家|顧問)[^，。？?]{0,6}(?:可以|能)(?:更)?換|(?:可以|能)?(?:更)?換(?:人|專家|顧問|合作廠商|廠商)(?:嗎|呢)"
               r"|展延|延期|延後執行|延長執行"
               r"|\b(?:change|modify|amend)\b[^.?!]{0,25}\b(?:plan|project|proposal|budget|partners?)\b|\bextension\b|\bpostpone",
    "headcount_rule": r"(?:勞保|投保|兼職|工讀生?|外勞|移工|派遣)[^，。？?]{0,6}(?:算不算|算嗎|要算|也算|計入|算進|列入)"
                      r"|(?:算不算|是否計入|要不要算)[^，。？?]{0,6}(?:員工|人數)|人數(?:怎麼|如何)(?:算|計算|認定)|怎麼(?:算|認定)人數"
                      r"|(?:員工數|人數)是看|看勞保|以勞保|依勞保|勞保人數還是",
}
_COMPILED = {slot: re.compile(p) for slot, p in _PATTERNS.items()}

# "combine": the subsidy and a loan both named, with a word that stacks them
_SUBSIDY = re.compile(r"補助(?!款?比例)|\bsubsid(?:y|ies)\b|\bgrant\b")
_LOAN = re.compile(r"貸款|借款|\bloans?\b")
_STACK = re.compile(r"同時|一起|兩個都|兩者|都申請|都能申請|都可以申請|都拿|併用|合併|重複|兼得|疊加|又申請|再申請|也申請|也能申請|也可以申請|還能申請|還可以申請"
                    r"|\bboth\b|\bat the same time\b|\bcombine|\bstack|\btogether\b")
# …asked as a yes/no question (「我想同時申請補助跟貸款，要找哪個窗口」 asks for the window)
_MAY = re.compile(r"可以|可不可以|能不能|能否|可否|是否|行不行|會不會|嗎|\bcan\b|\bmay\b|\bis it possible\b|\ballowed\b")

# "combine" of the loan's purposes: capital expenditure and working capital in one loan
_CAPEX = re.compile(r"資本性|資本支出|\bcapital (?:expenditure|spending)\b|\bcapex\b")
_WORKING = re.compile(r"週轉|周轉|營運資金|\bworking capital\b")
_SUM = re.compile(r"合計|加起來|加總|總共|一共|\bin total\b|\bcombined\b")

#: The handoff entries: they answer every slot (by saying the brief does not state it).
HANDOFF_DEADLINE = "not_in_brief_deadline"
HANDOFF_CASE = "not_in_brief_case_status"
HANDOFF_OTHER = "not_in_brief_other"
HANDOFF_ENTRIES = (HANDOFF_DEADLINE, HANDOFF_CASE, HANDOFF_OTHER)


#: What each handoff entry's text speaks of (not_in_brief_other speaks of anything else).
HANDOFF_SPEAKS_OF = {HANDOFF_DEADLINE: frozenset({"when", "until", "future"}),
                     HANDOFF_CASE: frozenset({"review", "payment"})}


# "group_size": the number of partner firms a lead factory brings (帶6家、6家合作廠商、1+6); the brief
# states only its tracks' group sizes (parameters.yml: 1+4, 1+10), not how a group of another size counts
_NUM = r"(\d+|[一二兩三四五六七八九十]+)"
_PARTNERS = re.compile(rf"帶(?:領)?\s*{_NUM}\s*(?:家|間|個)|(?<![\d.])1\s*\+\s*{_NUM}(?![\d.])"
                       rf"|{_NUM}\s*(?:家|間)(?:合作廠商?|供應商|協力廠商?|衛星廠|中小企業|下游廠商?|上游廠商?)")


def _partner_counts() -> frozenset[int]:
    from .calc.params import parameters  # here: calc.params → loader → scope at import time
    return frozenset(t.partners for t in parameters().tiers.values() if t.lead_factory and t.partners)


def _other_group_size(norm: str) -> bool:
    """A lead factory's group of a size none of the brief's 1+N tracks has."""
    if not re.search(r"以大帶小|中心廠|1\s*\+\s*\d|帶(?:領)?\s*\S{1,2}\s*(?:家|間)|\blead factory\b", norm):
        return False
    sizes = set()
    for m in _PARTNERS.finditer(norm):
        value = parse_numeral(next(g for g in m.groups() if g))
        if value is not None:
            sizes.add(int(value))
    # fewer partners than the smallest track: the entry's 1+N conditions answer it (no track fits);
    # a size between or beyond the tracks (帶6家: 1+4 with extras? a higher cap?) the brief does not settle
    counts = _partner_counts()
    return any(n not in counts and n > min(counts, default=0) for n in sizes)


# "review": a rejection (被退件) is a case's result — unless the bank rejected a loan, which the brief
# settles (銀行退件轉介輔導: the loan application flow)
_REJECTED = re.compile(r"被退件|退件了")
_BANK_OR_LOAN = re.compile(r"銀行|貸款|借款|借錢|\bbank|\bloans?\b")

# "project_duration": a duration asked of a project (計畫, not a course or a loan)
_PROJECT = re.compile(r"計畫(?!書)|\bproject\b")
_NOT_PROJECT = re.compile(r"課|班|培訓|訓練|貸款|借款|補貼|\bcourses?\b|\bclass|\btraining\b|\bloans?\b|\bsubsidy years\b")

# "subsidy_rate": the 未滿5人 / 稅籍登記 class named and its interest-subsidy rate asked, in a sentence
# without a loan amount of the user's (with an amount, the class's rate tier for it answers:
# 「借80萬的小規模那類，補貼利率最高多少」)
_SENTENCE_END = re.compile(r"[。？?！!；;\n]")
_MICRO_CLASS = re.compile(r"(?:未滿|不到|不足|少於|低於)\s*(?:5|五)\s*(?:人|個人)|(?:5|五)\s*人以下|小規模|微型|稅籍"
                          r"|400\s*萬(?:的)?(?:那|這)"
                          r"|\b(?:fewer|less) than (?:5|five) (?:employees|staff|people|workers)\b|\bmicro\b|\btax registration\b")
_SUBSIDY_RATE_ASKED = re.compile(r"利息補貼(?:的)?(?:利率|比率|比例|趴數|是幾趴)|補貼(?:的)?(?:利率|比率|比例)"
                                 r"|補(?:貼)?(?:幾|多少)\s*(?:趴|%|％|個百分點)|利率[^，。？?]{0,6}補貼(?:幾|多少)"
                                 r"|\bsubsidy rate\b|\bsubsidi[sz]ed (?:at )?(?:what|which) rate\b")
_LOAN_AMOUNT = re.compile(r"\d[\d,.]*\s*(?:萬|億|千萬|元)(?!\s*(?:的)?(?:那|這))|[一二兩三四五六七八九十百千]+\s*萬(?!\s*(?:的)?(?:那|這))")


_VARIANTS = str.maketrans({"覈": "核", "纔": "才", "佈": "布"})


def asked_slots(text: str) -> frozenset[str]:
    """The kinds of detail ``text`` asks for (empty for most programme questions)."""
    # the traditional-character conversion writes some words with variants the patterns do not use
    # (核定 → 覈定, 稽核 → 稽覈, 才可以 → 纔可以, 公布 → 公佈): the patterns are written with the common form
    norm = normalize(text).translate(_VARIANTS)
    found = {slot for slot, rx in _COMPILED.items() if rx.search(norm)}
    if _other_group_size(norm):
        found.add("group_size")
    if "duration" in found and _PROJECT.search(norm) and not _NOT_PROJECT.search(norm):
        found.add("project_duration")
    if _REJECTED.search(norm) and not _BANK_OR_LOAN.search(norm):
        found.add("review")
    if any(_MICRO_CLASS.search(s) and _SUBSIDY_RATE_ASKED.search(s) and not _LOAN_AMOUNT.search(s)
           for s in _SENTENCE_END.split(norm)):
        found.add("subsidy_rate")
    if _SUBSIDY.search(norm) and _LOAN.search(norm) and _STACK.search(norm) and _MAY.search(norm):
        found.add("combine")
    # the loan's two purposes, each with its own limit, borrowed together: how they add up is not stated
    if _CAPEX.search(norm) and _WORKING.search(norm) and (_STACK.search(norm) or _SUM.search(norm)):
        found.add("combine")
    return frozenset(found)


def about_a_case(text: str) -> bool:
    """The message describes a case the brief does not settle (SITUATION_SLOTS), asks whether two
    things combine and what they add up to (「…可以一起借嗎？合計上限多少」), or asks the 未滿5人
    class's subsidy rate next to an amount to estimate: every question in it is about that case, so
    none of its parts is answered as if it stood alone."""
    asked = asked_slots(text)
    norm = normalize(text)
    # the 未滿5人 class's subsidy rate asked (the brief gives none), and an amount of the user's in
    # another sentence (「…補貼幾趴？借300萬兩年可以補多少」): the amount's estimate is of that class too
    micro_estimate = "subsidy_rate" in asked and bool(_LOAN_AMOUNT.search(norm))
    return bool(asked & SITUATION_SLOTS) or ("combine" in asked and bool(_SUM.search(norm))) or micro_estimate


@dataclass(frozen=True)
class ScopeMiss:
    """The question asks for ``missing`` details the entry does not answer; ``handoff`` says so."""
    missing: frozenset[str]
    handoff: str


def handoff_for(missing: frozenset[str]) -> str:
    """Which not_in_brief entry answers a question asking for ``missing`` details."""
    if "review" in missing or ("payment" in missing and "duration" not in missing):
        return HANDOFF_CASE      # review results, a case, money paid out: an officer knows
    if "when" in missing or "until" in missing:
        return HANDOFF_DEADLINE  # dates and deadlines
    return HANDOFF_OTHER


def scope_miss(text: str, answers: frozenset[str], entry_id: str) -> ScopeMiss | None:
    """None when the entry (answering the slots ``answers``) can answer ``text``; else what it
    lacks and the handoff entry to answer with."""
    if entry_id in HANDOFF_ENTRIES:
        # retrieval picked a "not in the brief" entry: keep it unless it speaks of another kind
        # (「貸款要準備什麼資料」 matched to the deadline entry → the one for documents)
        asked = asked_slots(text)
        speaks = HANDOFF_SPEAKS_OF.get(entry_id)
        if not asked or speaks is None or asked & speaks or handoff_for(asked) == entry_id:
            return None
        return ScopeMiss(missing=asked, handoff=handoff_for(asked))
    missing = asked_slots(text) - answers
    if not missing:
        return None
    return ScopeMiss(missing=missing, handoff=handoff_for(missing))
