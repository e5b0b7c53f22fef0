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
    "duration": "how long something takes or lasts (多久、幾天、期間、幾年)",
    "documents": "documents, forms, formats, where to download or apply online (文件、表格、網址)",
    "review": "how applications are reviewed, by whom, pass rates, review results (審查、委員)",
    "payment": "when and how money is paid out (撥款、入帳、頭期款、分期)",
    "closing": "closing, reporting and audits after the project (結案、成果報告、查核)",
    "tax": "tax and accounting treatment (所得稅、課稅、會計、認列)",
    "loan_terms": "loan terms the brief does not give: collateral, guarantors, fixed or floating rate, "
                  "tenor, grace period (擔保品、保證人、固定利率、寬限期)",
    "other_programme": "another ministry's, agency's or local government's programme, or personal loans "
                       "(勞動部、環境部、SBIR、台電、房貸)",
    "future": "whether the programme continues or comes back (明年還會有嗎、下一期)",
    "headcount_rule": "how head count or capital is measured (勞保人數、投保、計算方式)",
    "quota": "how many firms or people are accepted, places per class (名額、錄取幾家)",
    "location": "where a course or service takes place, online or on site (上課地點、線上還是實體)",
    "certificate": "certificates or proof of attendance (證書、結業證明、時數)",
    "retroactive": "spending made before applying (已經買的設備、追溯、先買後補)",
    "bank": "which banks lend or handle the loans (哪家銀行、承貸銀行)",
    "combine": "whether the subsidy and a loan, or a loan's capital and working-capital parts, can be combined "
               "or stacked (補助跟貸款可以同時申請嗎、週轉金跟資本性支出合計)",
    "frequency": "how many times a firm may apply or use a service (一年可以申請幾次、申請次數)",
    "provider": "choosing the expert, consultant or vendor oneself (專家可以自己指定嗎、自己找顧問)",
    "clawback": "paying the subsidy back when a target is missed (補助款要退回嗎、繳回)",
    "equipment_condition": "second-hand or leased equipment (二手、中古、租賃)",
    "group_size": "a lead factory's group of another size than the brief's 1+N tracks (帶6家、1+6)",
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
    "duration": r"多久|幾天|多少天|幾個月|多少個?月|幾年|多少年|多長|(?<!疫情)期間|時程|工作天|天數|年限|期限多長"
                r"|幾週|幾周|多少週|多少周|幾個?禮拜|幾個?星期|多少時間|等多少"
                r"|\bhow long\b|\bhow many (?:days|months|years|weeks)\b|\bduration\b",
    "documents": r"文件|表格|表單|格式|(?<![原器])材料(?!費)|附件|資料要|準備哪些|準備什麼|計畫書|申請書|下載|網址|網站|網頁|線上申請|申請系統|官網|填寫"
                 r"|檢附|要附(?:上|什麼|哪些)?|附上|佐證|證明文件|用印|大小章|印鑑"
                 r"|(?:需要|要|得)(?:交|附|準備|提供|繳交|送)?(?:什麼|哪些)資料|資料清單|正本|影本|紙本|郵寄|寄送|親送|送件(?:方式|地址|地點)|怎麼送件|寄到哪"
                 r"|\bwhat (?:do|must|should) (?:i|we) submit\b|\bhow (?:do|can|should) (?:i|we) submit\b"
                 r"|\bdocuments?\b|\b(?:application|download|which|fill (?:in|out) the) forms?\b|\bwhat forms? (?:do|should|must|are needed|are required)\b|\bdownload|\bwebsite|\burl\b|\bportal\b|\bpaperwork\b",
    "review": r"審查|審核|委員|評審|評分|通過率|核准率|錄取|會不會過|能不能過|有沒有過|有沒有通過|沒過|被退"
              r"|有沒有拿到|有沒有獲得|是否獲得|有沒有申請到|獲補助名單|得獎名單|審覈|案件進度|申請進度|審核進度|進度到哪|核貸|機會過|會過嗎|比較好過|比較容易過|容易通過"
              r"|審到哪|審到什麼|查(?:詢)?進度|進度(?:如何|怎麼樣|怎樣|查詢)|核定了沒|過了沒|結果(?:出來|公布)|什麼時候公布"
              r"|我的案子|我們的案子|我們的申請案|案件編號|案號|受理編號"
              r"|\breview(?:ed|er|ers)?\b|\bapproval rate\b|\bapproved\b",
    "payment": r"撥款|撥下來|撥付|入帳|頭期款|預撥|先撥|分期撥|請款|核銷|墊付|少撥|多撥|一次(?:撥|付清|給)|分幾(?:期|次)(?:撥|給|付)|核撥|匯款|匯入|給付方式|付款方式|怎麼領|何時領"
               r"|\bdisburse|\bpaid out\b|\bpayment schedule\b|\badvance payment\b",
    "closing": r"結案|成果報告|期末報告|期中報告|查核|稽核|驗收|追蹤考核|憑證|單據|收據要|保存幾年"
               r"|\bclose[- ]?out\b|\bfinal report\b|\baudit",
    "tax": r"所得稅|營業稅|營所稅|課稅|繳稅|報稅|扣繳|免稅|稅務|扣稅|稅金|稅率|稅額|抵減|會計(?:上|處理|科目|分錄|帳)|做帳|認列|帳務|入帳科目|發票"
           r"|\btax(?:ed|able|es)?\b(?! registration)|\baccounting\b",
    "loan_terms": r"(?:需要|要|提供|要不要|需不需要)(?:提供)?擔保品|擔保品要|抵押|保證人|連帶保證|固定利率|機動利率|浮動利率|固定還是|機動還是|寬限期|還款期|還款方式|攤還|提前還|提前清償|違約金|貸款期限|借幾年|可以借多久|本金攤還|不動產擔保|擔保物|提供擔保|需要擔保|要不要擔保|需不需要擔保|(?:做|當|作為?)擔保|從每月還款|還款(?:時|裡|中)?(?:直接)?扣|還幾年|分幾年|還款年限|貸款年限|借款年限|借款期限|借款期間|貸多久|借多久|貸幾年|手續費|規費"
                  r"|\bcollateral\b|\bguarantor\b|\bfixed rate\b|\bfloating\b|\bvariable rate\b|\bgrace period\b|\btenor\b|\brepay",
    "other_programme": r"其他部會|別的部會|其他政府|別的政府|其他計畫|別的計畫|其他補助計畫|勞動部|環境部|環保署|能源署|國發會|國科會|農業部|農委會|衛福部|交通部|文化部|數位部|台電|臺電"
                       r"|(?:縣市政府|地方政府|市政府|縣政府)的?(?:補助|獎勵|獎助|計畫|貸款)|sbir|siir|碳費|碳權|財政部|內政部|教育部|法務部|金管會|經發局|產發局|勞發署|職安署|其他政府補助|別的政府補助|別的補助計畫|就業保險|僱用獎助|雇用獎助|房貸|房屋貸款|購屋貸款|車貸|汽車貸款|信貸|信用貸款|學貸|個人貸款"
                       r"|定存|定儲|股價|匯率|青創|青年創業|創業貸款|\bministry of labo",
    "future": r"明年還|明年會不會|明年有沒有|還會不會有|下一期|下一年度|下一梯|第二梯|延續|會延長|延長辦理|還會再辦|會不會再辦|持續辦理"
              r"|\bnext year\b|\bcontinue next\b",
    "quota": r"名額|錄取幾家|錄取率|核定幾家|補助幾家|幾家會過|會補助幾家|每班幾人|一班幾個?人|一班多少人|額滿"
             r"|\bhow many (?:companies|firms) (?:will|get|are)\b|\bquota\b|\bseats?\b",
    "location": r"上課地點|地點在|在哪裡?上課|哪裡上課|線上還是實體|實體還是線上|線上上課|視訊上課|遠距上課|地址|在哪一?個?縣市|地點|線上課|線上上課|線上課程|有線上(?:的)?(?:課|版|班)|實體課"
                r"|(?:課|班|培訓|訓練)[^，。？?]{0,4}在哪(?:裡|邊|兒)?(?:上|開|辦|舉行)"
                r"|(?:(?:台|臺)北|新北|桃園|新竹|苗栗|(?:台|臺)中|彰化|南投|雲林|嘉義|(?:台|臺)南|高雄|屏東|宜蘭|花蓮|(?:台|臺)東|基隆|澎湖|金門|(?:北|中|南|東)部)"
                r"(?:有沒有|有|也有|會不會|會)(?:開)?(?:班|課)"
                r"|\bwhere (?:is|are) the (?:course|class|training)|\bonline or in person\b|\baddress\b",
    "certificate": r"證書|結業證明|結訓證明|上課證明|時數證明|證照|學分"
                   r"|\bcertificate",
    "retroactive": r"已經買|已經購買|已經採購|已購置|之前買|去年買|上個月買|先買後|先買再|追溯|事後申請|買了才"
                   r"|\balready (?:bought|purchased)\b|\bretroactive",
    "bank": r"哪家銀行|哪間銀行|哪些銀行|哪個銀行|承貸銀行|承辦銀行|合作銀行|配合銀行|指定銀行|哪幾家銀行|哪幾間銀行|銀行有承辦|銀行在承辦|去哪(?:家|間)銀行"
            r"|往來銀行|主力銀行|公股銀行|民營銀行|每一?家銀行|所有銀行|任何一?家銀行|哪一(?:家|間|個)銀行|推薦(?:一下)?(?:哪家|的)?銀行"
            r"|\bwhich banks?\b",
    "frequency": r"(?:可以|能|可)申請幾次|申請幾次|(?:一年|每年|一家)(?:最多)?(?:可以|能)?(?:申請|做|用)幾次|申請次數|次數(?:限制|上限)|可以重複申請|能重複申請|再申請一次"
                 r"|\bhow many times\b|\bhow often can\b",
    "provider": r"(?:專家|顧問|輔導老師|老師|輔導團隊)[^，。？?]{0,8}(?:自己|自行)(?:指定|挑|選|找)|(?:自己|自行)(?:挑|選)(?:專家|顧問)|(?:自己|自行|我們)(?:指定|挑選|選擇|找)(?:專家|顧問|老師|廠商)|(?:專家|顧問|輔導老師)(?:可以|能|可不可以|能不能)(?:由?我們)?(?:自己|自行)?(?:指定|挑|選|找)|指定專家|指定顧問"
                r"|\bchoose (?:our own|the) (?:expert|consultant)",
    "clawback": r"(?:補助款?|錢)(?:要|會|需要|得)?(?:被)?(?:退回|繳回|追回|收回|返還|吐回)|要不要(?:退|還)錢|追繳|扣款|被扣|核減|刪減"
                r"|\b(?:pay|paid) (?:it |the subsidy |the grant )?back\b|\bclaw ?back",
    "equipment_condition": r"二手|中古|租賃|租用|租來|用租的|\bsecond-?hand\b|\bused (?:equipment|machines?|machinery)\b"
                           r"|\brefurbished\b|\bleas(?:e|ed|ing)\b",
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
HANDOFF_SPEAKS_OF = {HANDOFF_DEADLINE: frozenset({"when", "future"}),
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


# a loan the bank turned down (「銀行不借我，被退件了」): the brief's own case (銀行退件轉介輔導,
# the 馬上辦服務中心 helps file the application), not a question about a case's review result
_BANK_REFUSED = re.compile(r"銀行[^，。？?！!]{0,6}(?:不借|不貸|不核貸|拒絕|拒貸|婉拒|退件|退回|不給借|不肯借)"
                           r"|(?:被|遭)(?:銀行)?(?:退件|拒貸)[^，。？?！!]{0,4}$|(?:被|遭)銀行[^，。？?！!]{0,4}(?:退件|拒絕|拒貸|婉拒)"
                           r"|\b(?:rejected|turned down|declined|refused) by (?:the |my |our )?bank\b|\bbank (?:rejected|refused|declined|turned down)\b")
_LENDER = re.compile(r"銀行|\bbank")
_REVIEW_BEYOND_BANK = re.compile(r"審查|審核|委員|評審|評分|通過率|核准率|進度|結果|核定|補助")


def asked_slots(text: str) -> frozenset[str]:
    """The kinds of detail ``text`` asks for (empty for most programme questions)."""
    norm = normalize(text)
    found = {slot for slot, rx in _COMPILED.items() if rx.search(norm)}
    if ("review" in found and _BANK_REFUSED.search(norm) and _LENDER.search(norm)
            and not _REVIEW_BEYOND_BANK.search(norm)):
        found.discard("review")
    if _other_group_size(norm):
        found.add("group_size")
    if _SUBSIDY.search(norm) and _LOAN.search(norm) and _STACK.search(norm) and _MAY.search(norm):
        found.add("combine")
    # the loan's two purposes, each with its own limit, borrowed together: how they add up is not stated
    if _CAPEX.search(norm) and _WORKING.search(norm) and (_STACK.search(norm) or _SUM.search(norm)):
        found.add("combine")
    return frozenset(found)


def about_a_case(text: str) -> bool:
    """The message describes a case the brief does not settle (SITUATION_SLOTS), or asks whether two
    things combine and what they add up to (「…可以一起借嗎？合計上限多少」): every question in it is
    about that case, so none of its parts is answered as if it stood alone."""
    asked = asked_slots(text)
    return bool(asked & SITUATION_SLOTS) or ("combine" in asked and bool(_SUM.search(normalize(text))))


@dataclass(frozen=True)
class ScopeMiss:
    """The question asks for ``missing`` details the entry does not answer; ``handoff`` says so."""
    missing: frozenset[str]
    handoff: str


def handoff_for(missing: frozenset[str]) -> str:
    """Which not_in_brief entry answers a question asking for ``missing`` details."""
    if "review" in missing or ("payment" in missing and "duration" not in missing):
        return HANDOFF_CASE      # review results, a case, money paid out: an officer knows
    if "when" in missing:
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
