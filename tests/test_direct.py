"""Direct answers with the user's own figures (knowledge/direct/): the formula and the result a
user sees, the rule cited, the guided calculation offered; rule questions without the user's
figures are left to the knowledge answer; nonsense figures get a polite request to check them."""
from __future__ import annotations

import re

import pytest

from knowledge.calc.params import parameters
from knowledge.calc.result import approx_wan, wan
from knowledge.direct import DirectAnswer, direct_answer, templates
from knowledge.loader import load_knowledge

KB = load_knowledge()
P = parameters()

# (question, rule, formula, a result sentence the reply must contain)
WITH_FIGURES = [
    # ---- new equipment: 總經費 × 30 %
    ("總經費950萬，買新機器最多補多少", "new_equipment", "950萬元 × 30% = 285萬元", "最多可由政府補助285萬元"),
    ("計畫總經費800萬，新設備可以補多少？", "new_equipment", "800萬元 × 30% = 240萬元", "補助240萬元"),
    ("我們計畫經費一千萬，買新機台補助上限多少", "new_equipment", "1,000萬元 × 30% = 300萬元", "補助300萬元"),
    ("總預算1200萬元，全新設備購置費最多能補多少", "new_equipment", "1,200萬元 × 30% = 360萬元", "補助360萬元"),
    ("950萬的計畫，新設備能補多少", "new_equipment", "950萬元 × 30% = 285萬元", "補助285萬元"),
    ("計畫總經費NT$5,000,000，買設備最多補助多少", "new_equipment", "500萬元 × 30% = 150萬元", "補助150萬元"),
    ("计划总经费600万，买新设备最多补多少", "new_equipment", "600萬元 × 30% = 180萬元", "補助180萬元"),
    ("總經費1億2千萬，添購新設備可補多少", "new_equipment", "1億2,000萬元 × 30% = 3,600萬元", "補助3,600萬元"),
    ("總經費3.5千萬，新機器最多補多少", "new_equipment", "3,500萬元 × 30% = 1,050萬元", "補助1,050萬元"),
    ("計畫總經費1000萬，新設備400萬，新設備可以補多少", "new_equipment", "1,000萬元 × 30% = 300萬元；400萬元 − 300萬元 = 100萬元",
     "新設備400萬元超過此上限，這個科目政府最多補助300萬元，超出的部分由業者自籌（400萬元 − 300萬元 = 100萬元）"),
    ("計畫總經費1000萬，新設備200萬，新設備能補多少", "new_equipment", "1,000萬元 × 30% = 300萬元",
     "新設備200萬元未超過此上限，這個科目政府最多補助200萬元"),
    ("總經費八百五十萬，機械手臂最多補幾成", "new_equipment", "850萬元 × 30% = 255萬元", "補助255萬元"),
    ("總經費 950 萬元 ， 購置新設備 補助最多？", "new_equipment", "950萬元 × 30% = 285萬元", "補助285萬元"),
    ("整個計畫2000萬，其中要買新機器，最多補多少", "new_equipment", "2,000萬元 × 30% = 600萬元", "補助600萬元"),
    # ---- commissioned research: 總經費 × 40 %
    ("計畫經費一千二百萬，委託研究可以補多少", "commissioned_research", "1,200萬元 × 40% = 480萬元", "補助480萬元"),
    ("總經費500萬，委託驗證費最多補多少", "commissioned_research", "500萬元 × 40% = 200萬元", "補助200萬元"),
    ("計畫總經費750萬元，委外研究補助上限？", "commissioned_research", "750萬元 × 40% = 300萬元", "補助300萬元"),
    ("总经费900万，委托研究能补多少", "commissioned_research", "900萬元 × 40% = 360萬元", "補助360萬元"),
    ("總經費1000萬，委託研究500萬，委託研究能補多少", "commissioned_research", "1,000萬元 × 40% = 400萬元；500萬元 − 400萬元 = 100萬元",
     "委託研究或驗證費500萬元超過此上限，這個科目政府最多補助400萬元，超出的部分由業者自籌"),
    ("計畫總經費三百萬，找法人做驗證最多補多少", "commissioned_research", "300萬元 × 40% = 120萬元", "補助120萬元"),
    # ---- 政府補助款 < 計畫總經費50 %, said as 「須低於」
    ("計畫1000萬，政府可以補到500萬嗎", "gov_share", "1,000萬元 × 50% = 500萬元",
     "您問的500萬元沒有低於500萬元，所以不行"),
    ("計畫總經費600萬，自籌至少要多少", "gov_share", "600萬元 × 50% = 300萬元", "政府補助款須低於300萬元，業者自籌須超過300萬元"),
    ("總經費800萬，補助比例上限是多少", "gov_share", "800萬元 × 50% = 400萬元", "須低於400萬元"),
    ("計畫經費九百萬，政府補助款要低於多少", "gov_share", "900萬元 × 50% = 450萬元", "須低於450萬元"),
    ("總經費1,000,001元，政府補助要小於多少", "gov_share", "1,000,001元 × 50% = 500,000.5元", "須低於500,000.5元"),
    ("計畫總經費700萬，政府補助300萬有低於50%嗎", "gov_share", "700萬元 × 50% = 350萬元", "您問的300萬元低於350萬元"),
    ("總經費2000萬，配合款要出多少", "gov_share", "2,000萬元 × 50% = 1,000萬元", "須低於1,000萬元"),
    ("计划1000万，自筹要一半以上吗", "gov_share", "1,000萬元 × 50% = 500萬元", "須低於500萬元"),
    # ---- tier cap for a head-count
    ("員工8人的製造業補助上限多少", "tier_cap", "員工8人 → 製造業9人以下，補助上限每案300萬元", "補助上限每案300萬元"),
    ("我們12個人，補助最多多少", "tier_cap", "員工12人 → 製造業10人以上，補助上限每案500萬元", "補助上限每案500萬元"),
    ("我們工廠只有五個人，補助上限是多少", "tier_cap", "員工5人 → 製造業9人以下，補助上限每案300萬元", "補助上限每案300萬元"),
    ("员工二十人的工厂补助最高多少", "tier_cap", "員工20人 → 製造業10人以上，補助上限每案500萬元", "工廠登記"),
    ("我們有250名員工，補助上限多少", "tier_cap", "員工250人 → 製造業10人以上，補助上限每案500萬元", "須實收資本額1億元以下才屬中小企業"),
    ("8人的工廠想申請補助，最多可以拿多少", "tier_cap", "員工8人 → 製造業9人以下，補助上限每案300萬元", "補助上限每案300萬元"),
    # ---- loan class and limit for a head-count
    ("我們公司3個人，可以借多少", "loan_class", "員工3人 → 「疫後振興專案貸款（員工未滿5人或僅有稅籍登記）」，貸款額度最高400萬元",
     "貸款額度最高400萬元"),
    ("員工4人的小公司貸款額度多少", "loan_class", "員工4人 → 「疫後振興專案貸款（員工未滿5人或僅有稅籍登記）」，貸款額度最高400萬元",
     "100萬以內最高1.595%、超過100萬最高2.095%"),
    ("我們有8個員工，疫後振興貸款可以借多少", "loan_class", "員工8人 → 「疫後振興專案貸款（一般）」，貸款額度最高3,500萬元",
     "貸款額度最高3,500萬元"),
    ("我們3個人想借500萬可以嗎", "loan_class", "員工3人 → 「疫後振興專案貸款（員工未滿5人或僅有稅籍登記）」，貸款額度最高400萬元",
     "您想借500萬元，超過此類額度上限400萬元"),
    ("员工两人能贷多少", "loan_class", "員工2人 → 「疫後振興專案貸款（員工未滿5人或僅有稅籍登記）」，貸款額度最高400萬元",
     "不含負責人"),
    ("公司30人，能借多少錢", "loan_class", "員工30人 → 「疫後振興專案貸款（一般）」，貸款額度最高3,500萬元", "轉型發展專案貸款"),
    # ---- interest-subsidy estimate = 本金 × 補貼利率 × 年數
    ("我借1000萬，政府大概補多少利息", "interest_subsidy", "1,000萬元 × 1.595% × 1年 = 159,500元", "利息補貼約16萬元，這是估算"),
    ("借500萬，利息補貼大概多少", "interest_subsidy", "500萬元 × 1.595% × 1年 = 79,750元", "約8萬元"),
    ("我們3個人，借200萬，利息補貼多少", "interest_subsidy", "200萬元 × 1.5% × 2年 = 6萬元", "約6萬元"),
    ("小規模企業借400萬，補貼多少利息", "interest_subsidy", "400萬元 × 1.5% × 2年 = 12萬元", "約12萬元"),
    ("借4000萬利息補貼多少", "interest_subsidy", "3,500萬元 × 1.595% × 1年 = 558,250元",
     "您想借4,000萬元，超過此類貸款額度上限3,500萬元，以3,500萬元估算"),
    ("借一千萬，補貼三年，利息補貼多少", "interest_subsidy", "1,000萬元 × 1.595% × 1年 = 159,500元",
     "您提到3年；依公開資料此類貸款補貼1年，以1年估算"),
    ("轉型發展貸款借800萬，利息補貼估算", "interest_subsidy", "800萬元 × 1.595% × 1年 = 127,600元", "轉型發展專案貸款"),
    ("只有稅籍登記，借300萬利息補貼多少", "interest_subsidy", "300萬元 × 1.5% × 2年 = 9萬元", "約9萬元"),
    ("我們4個人借100萬，只借1年，利息補貼多少", "interest_subsidy", "100萬元 × 1.5% × 1年 = 15,000元", "約1.5萬元"),
    ("貸款NT$2,000,000的利息補貼", "interest_subsidy", "200萬元 × 1.595% × 1年 = 31,900元", "約3.2萬元"),
    # ---- diagnosis split for the kind of firm
    ("診斷輔導我們中小企業要自己出多少錢？", "diagnosis_split", "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "貴公司自付4萬元"),
    ("大企業申請診斷要付6萬？", "diagnosis_split", "30萬元／案 = 政府負擔24萬元 + 業者自籌6萬元", "貴公司自付6萬元"),
    ("我們是以大帶小，診斷費用我們要負擔多少", "diagnosis_split", "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "以大帶小"),
    ("我們公司50人，診斷要自付多少", "diagnosis_split", "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "依員工50人（未滿200人）認定為中小企業"),
    ("资本额5000万的公司做诊断要付多少", "diagnosis_split", "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "貴公司自付4萬元"),
    # ---- head-count (or a lead factory's track) with the plan's total: the cap and the < 50 % share, the lower
    ("我們工廠12個人，計畫經費600萬，補助最多多少", "tier_cap",
     "員工12人 → 製造業10人以上，補助上限每案500萬元；600萬元 × 50% = 300萬元", "政府補助款須低於300萬元"),
    ("我們員工6個人，計畫700萬，最多補多少？", "tier_cap",
     "員工6人 → 製造業9人以下，補助上限每案300萬元；700萬元 × 50% = 350萬元", "政府補助款最多300萬元"),
    ("以大帶小低碳化1+10，總經費7,000萬，政府最多補多少？我們至少要自己出多少？", "tier_cap",
     "製造業以大帶小（低碳化1+10） → 每案最高3,000萬元；7,000萬元 × 50% = 3,500萬元；7,000萬元 − 3,000萬元 = 4,000萬元",
     "業者自籌至少7,000萬元 − 3,000萬元 = 4,000萬元"),
    ("1+4 智慧化，總經費3,000萬，補助抓多少？", "tier_cap",
     "製造業以大帶小（智慧化1+4） → 每案最高2,000萬元；3,000萬元 × 50% = 1,500萬元", "政府補助款須低於1,500萬元"),
    # ---- an item with a head-count: the tier's per-case cap beside the item limit
    ("我們是7個人的小工廠，計畫總經費1,100萬，新機台最多補多少？", "new_equipment", "1,100萬元 × 30% = 330萬元",
     "整案補助上限每案300萬元，所以這個科目實際最多也只能補助300萬元"),
    ("我們預計投560萬做產線自動化，新設備最多拿到幾萬？", "new_equipment", "560萬元 × 30% = 168萬元", "補助168萬元"),
    # ---- 不含負責人 is not 含負責人; the brief's own estimate for its example; 轉型發展's 8成 of capital spending
    ("員工5個人（不含我這個負責人），可以借400萬那種嗎？", "loan_class",
     "員工5人 → 「疫後振興專案貸款（一般）」，貸款額度最高3,500萬元", "在此類額度上限3,500萬元以內"),
    ("借滿3,500萬，一年利息補貼大概多少？", "interest_subsidy", "3,500萬元 × 1.595% × 1年 = 558,250元", "「1年約55萬」"),
    ("轉型發展貸款，設備3,000萬貸8成，第一年利息補貼估多少？", "interest_subsidy",
     "3,000萬元 × 8成 = 2,400萬元；2,400萬元 × 1.595% × 1年 = 382,800元", "約38.3萬元"),
    # the digits after 萬 count the years: not 3,500萬1千
    ("利息補貼：借3500萬一年多少", "interest_subsidy", "3,500萬元 × 1.595% × 1年 = 558,250元", "「1年約55萬」"),
    ("轉型發展貸款買設備2,500萬，能貸多少", "loan_capex", "2,500萬元 × 8成 = 2,000萬元", "最多可貸2,000萬元"),
    ("轉型發展：買設備3,000萬，可以貸多少？一年利息補貼大概多少？", "interest_subsidy",
     "3,000萬元 × 8成 = 2,400萬元；2,400萬元 × 1.595% × 1年 = 382,800元", "約38.3萬元"),
    # the capital that settles the SME question is a shown step, not a reason to refuse
    ("員工50人，資本額8000萬，總經費600萬，補助上限多少", "tier_cap",
     "員工50人 → 製造業10人以上，補助上限每案500萬元；600萬元 × 50% = 300萬元", "實收資本額8,000萬元（1億元以下），屬中小企業"),
    ("請問員工12人、計畫總經費960萬，最多可以申請多少補助？", "tier_cap",
     "員工12人 → 製造業10人以上，補助上限每案500萬元；960萬元 × 50% = 480萬元", "須低於480萬元"),
    ("員工20人、總經費1,200萬，補助多少", "tier_cap",
     "員工20人 → 製造業10人以上，補助上限每案500萬元；1,200萬元 × 50% = 600萬元", "政府補助款最多500萬元"),
    ("總經費800萬，補助400萬可以嗎", "gov_share", "800萬元 × 50% = 400萬元", "您問的400萬元沒有低於400萬元"),
    # half the total is not above the smallest cap: the < 50 % rule settles it whatever the head-count
    ("總經費500萬的計畫，政府最多補多少？", "gov_share", "500萬元 × 50% = 250萬元", "不論員工人數，政府補助款都須低於250萬元"),
    ("一座燒結爐1,000萬，如果整個計畫總經費是1,400萬，設備補助最多多少", "new_equipment",
     "1,400萬元 × 30% = 420萬元；1,000萬元 − 420萬元 = 580萬元", "超出的部分由業者自籌（1,000萬元 − 420萬元 = 580萬元）"),
    ("我們資本額2億，員工150人，診斷要付多少", "diagnosis_split", "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元",
     "員工150人未滿200人，仍認定為中小企業"),
    # the total a wanted subsidy needs
    ("想拿滿300萬補助，計畫總經費至少要抓多少？", "reverse_total", "300萬元 ÷ 50% = 600萬元", "計畫總經費須超過600萬元"),
    ("新設備要補到300萬，總經費至少要多少", "reverse_total", "300萬元 ÷ 30% = 1,000萬元", "計畫總經費至少要1,000萬元"),
    # the complement the caller asks for: the firm's own part, each step shown (「至少」 when only a bound is sure)
    ("總經費1,000萬全都用來買新機台，政府最多補多少？其餘我們要出多少", "new_equipment",
     "1,000萬元 × 30% = 300萬元；1,000萬元 − 300萬元 = 700萬元", "業者至少自籌1,000萬元 − 300萬元 = 700萬元"),
    ("計畫經費600萬，委託研究最多補多少，剩下的自己出多少", "commissioned_research",
     "600萬元 × 40% = 240萬元；600萬元 × 50% = 300萬元", "業者自籌須超過300萬元"),
    ("轉型發展貸款要買2,000萬的機台，除了貸款我們要自備多少", "loan_capex",
     "2,000萬元 × 8成 = 1,600萬元；2,000萬元 − 1,600萬元 = 400萬元", "至少要自備2,000萬元 − 1,600萬元 = 400萬元"),
    # a head-count bound that settles the loan class (未滿5人 → the micro class), Simplified too
    ("员工不满5人的小店能贷多少", "loan_class",
     "員工未滿5人 → 「疫後振興專案貸款（員工未滿5人或僅有稅籍登記）」，貸款額度最高400萬元", "不含負責人"),
    # a lead factory stating its own partner count and track: that track's cap
    ("以大帶小，我們帶10家協力廠做低碳化，補助上限多少", "tier_cap",
     "製造業以大帶小（低碳化1+10） → 每案最高3,000萬元", "每案最高3,000萬元"),
    # the diagnosis split from a kind's own amount, its government share, or which of two amounts applies
    ("診斷費30萬那種，政府出幾成", "diagnosis_split",
     "30萬元／案 = 政府負擔24萬元 + 業者自籌6萬元；24萬元 ÷ 30萬元 = 80%", "政府負擔比例"),
    ("資本額5,000萬、員工300人，診斷一案是20萬還是30萬", "diagnosis_split",
     "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "個案（非中小企業）則是30萬元／案"),
    # the diagnosis and a second computation in one message: both answered, both cited
    ("我們15個人，診斷要自付多少？補助上限又是多少", "diagnosis_split",
     "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元；員工15人 → 製造業10人以上，補助上限每案500萬元", "補助上限每案500萬元"),
    # the programme's whole budget quoted beside a head-count: not the plan's total
    ("聽說這個方案有110億，我們7個人的工廠補助最多多少", "tier_cap",
     "員工7人 → 製造業9人以下，補助上限每案300萬元", "不是單一計畫的經費"),
    # a lead factory's total with "what do we pay": the track's cap and the < 50 % share, the firm's part
    ("低碳化1+10以大帶小，計畫8,000萬，我們自己要出多少", "tier_cap",
     "製造業以大帶小（低碳化1+10） → 每案最高3,000萬元；8,000萬元 × 50% = 4,000萬元；8,000萬元 − 3,000萬元 = 5,000萬元",
     "業者自籌至少8,000萬元 − 3,000萬元 = 5,000萬元"),
    # 設備費 with the item's own amount, for a lead factory: the item limit and the track's cap
    ("我們中心廠做智慧化1+4，總經費1,500萬，裡面一台600萬的機台，設備費最多補多少", "new_equipment",
     "1,500萬元 × 30% = 450萬元；600萬元 − 450萬元 = 150萬元", "製造業以大帶小（智慧化1+4）每案最高2,000萬元"),
    # the micro loan class named, a head-count outside it: said so, the class that fits given
    ("公司7個人，能借小規模那一類的疫後貸款嗎", "loan_class",
     "員工7人 → 「疫後振興專案貸款（一般）」，貸款額度最高3,500萬元", "員工7人不符合"),
    # English figures
    ("How much can a company with 3 employees borrow under the post-pandemic loan?", "loan_class",
     "員工3人 → 「疫後振興專案貸款（員工未滿5人或僅有稅籍登記）」，貸款額度最高400萬元", "400萬元"),
    ("We have 8 employees and a project budget of NT$6 million. How much subsidy can we get?", "tier_cap",
     "員工8人 → 製造業9人以下，補助上限每案300萬元；600萬元 × 50% = 300萬元", "須低於300萬元"),
    ("We're a 4-person company. How much can we borrow?", "loan_class",
     "員工4人 → 「疫後振興專案貸款（員工未滿5人或僅有稅籍登記）」，貸款額度最高400萬元", "400萬元"),
    ("We have 150 employees. How much do we pay for the diagnosis?", "diagnosis_split",
     "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "貴公司自付4萬元"),
    ("If we borrow NT$10 million, how much interest subsidy would we get?", "interest_subsidy",
     "1,000萬元 × 1.595% × 1年 = 159,500元", "利息補貼約16萬元"),
    # a head-count bound that falls in one size tier, with the plan's total: the lower of cap and share
    ("員工10人以上，計畫總經費一千二百萬，補助款最多多少", "tier_cap",
     "員工10人以上 → 製造業10人以上，補助上限每案500萬元；1,200萬元 × 50% = 600萬元", "政府補助款最多500萬元"),
    ("我們9人以下的小廠，總經費2,000萬，補助多少", "tier_cap",
     "員工9人以下 → 製造業9人以下，補助上限每案300萬元；2,000萬元 × 50% = 1,000萬元", "政府補助款最多300萬元"),
    ("員工不到5人，計畫500萬，補助最多？", "tier_cap",
     "員工未滿5人 → 製造業9人以下，補助上限每案300萬元；500萬元 × 50% = 250萬元", "政府補助款須低於250萬元"),
    ("員工超過200人，總經費2000萬，補助上限", "tier_cap",
     "員工超過200人 → 製造業10人以上，補助上限每案500萬元；2,000萬元 × 50% = 1,000萬元",
     "員工超過200人：員工數已達200人，須實收資本額1億元以下才屬中小企業"),
    ("員工超過200人，可以借多少", "loan_class", "員工超過200人 → 「疫後振興專案貸款（一般）」，貸款額度最高3,500萬元",
     "員工超過200人：員工數已達200人"),
    # which size tier a head-count falls in, asked as 「哪一類」
    ("員工6人、資本額800萬，適用哪一類補助", "tier_cap", "員工6人 → 製造業9人以下，補助上限每案300萬元",
     "實收資本額800萬元（1億元以下），屬中小企業"),
    # the kind said in words and the capital that confirms it: the capital is shown with the verdict
    ("我們是資本額3000萬、員工40人的中小企業，做診斷政府出多少", "diagnosis_split",
     "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "依實收資本額3,000萬元（1億元以下）認定為中小企業"),
    # the interest subsidy asked by its years (「補1年」), without the word 補貼
    ("借2,000萬的疫後振興貸款，補1年大概多少", "interest_subsidy", "2,000萬元 × 1.595% × 1年 = 319,000元",
     "利息補貼約31.9萬元"),
    # the 轉型發展 loan named outright: its 8成 whatever the head-count
    ("員工40人的工廠，轉型發展貸款要買設備2,000萬，最多能貸多少", "loan_capex", "2,000萬元 × 8成 = 1,600萬元",
     "這筆資本性支出最多可貸1,600萬元"),
    # 「借2,500萬買設備」: the amount lent itself, not a capital outlay to take 8成 of
    ("轉型發展借2,500萬買設備，利息補貼大概多少", "interest_subsidy", "2,500萬元 × 1.595% × 1年 = 398,750元",
     "利息補貼約39.9萬元"),
    # 「未滿5人那類」 names the loan class, the firm's head-count is 員工3個人; the rate for the amount asked
    ("我想借200萬週轉，員工3個人，疫後振興未滿5人那類利率最高多少", "loan_class",
     "員工3人 → 「疫後振興專案貸款（員工未滿5人或僅有稅籍登記）」，貸款額度最高400萬元",
     "借200萬元屬「超過100萬」，利率最高2.095%"),
    # the turnover no rule reads does not stop the one rule the question needs
    ("我們去年營收2億，員工45人，資本額6000萬，診斷要自己出多少", "diagnosis_split",
     "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "貴公司自付4萬元"),
    # an amount the user supposes (「是不是要自付10萬」) that is none of the kind's figures: corrected
    ("診斷是不是要自付10萬？我們是中小企業，員工60人、資本額3000萬", "diagnosis_split",
     "20萬元／案 = 政府負擔16萬元 + 業者自籌4萬元", "所以不是10萬元"),
    # several firms, each its own diagnosis case, of kinds the message names
    ("兩家中小企業跟一家非中小企業都要做診斷，總共自付多少", "diagnosis_split",
     "個案（中小企業）：2家 × 業者自籌4萬元 = 8萬元（政府負擔2家 × 16萬元 = 32萬元）；"
     "個案（非中小企業）：1家 × 業者自籌6萬元 = 6萬元（政府負擔1家 × 24萬元 = 24萬元）；"
     "8萬元 + 6萬元 = 14萬元；32萬元 + 24萬元 = 56萬元", "業者自籌合計14萬元"),
    ("集團裡4家中小企業各做一次診斷，政府總共負擔多少", "diagnosis_split",
     "個案（中小企業）：4家 × 業者自籌4萬元 = 16萬元（政府負擔4家 × 16萬元 = 64萬元）", "政府負擔合計64萬元"),
]

FORM_OF_RULE = {"new_equipment": "subsidy_form", "commissioned_research": "subsidy_form", "gov_share": "subsidy_form",
                "tier_cap": "subsidy_form", "loan_class": "loan_form", "interest_subsidy": "loan_form",
                "diagnosis_split": "diagnosis_form", "loan_capex": "loan_form",
                "reverse_total": "subsidy_form"}


@pytest.mark.parametrize("question, rule, formula, result", WITH_FIGURES, ids=[q for q, *_ in WITH_FIGURES])
def test_question_with_its_own_figures_gets_the_rule_applied(question, rule, formula, result):
    answer = direct_answer(question, KB)
    assert isinstance(answer, DirectAnswer), question
    assert answer.rule == rule
    assert answer.formula == formula
    # a formula of several steps ("；") shows each on its own line
    assert all(step in answer.text for step in formula.split("；")) and result in answer.text, answer.text
    assert answer.form == FORM_OF_RULE[rule]
    citation = KB.get(answer.entry_id).citation
    assert answer.text.endswith(templates()["citation"].format(citations="；".join(
        KB.get(c).citation for c in answer.citations)))
    assert citation in answer.text.splitlines()[-1]


def test_enough_questions_with_figures_are_covered():
    assert len(WITH_FIGURES) >= 40
    assert {r for _, r, *_ in WITH_FIGURES} == set(FORM_OF_RULE)


def test_every_figure_in_a_reply_comes_from_the_question_the_parameters_or_a_shown_step():
    def numbers(text: str) -> set[str]:
        return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}

    allowed_params = set()
    for node in (P.raw["subsidy"], P.raw["cost_items"], P.raw["diagnosis"], P.raw["sme_definition"], P.raw["loans"]):
        allowed_params |= numbers(repr({k: v for k, v in node.items() if k != "sources"} if isinstance(node, dict) else node))
    # the parameters as the replies write them (wan(3000000) → 300; pct(1595) → 1.595)
    for tier in P.tiers.values():
        allowed_params |= numbers(wan(tier.cap))
    for loan in P.loans.values():
        allowed_params |= numbers(str(loan.subsidy_rate_milli_pct / 1000)) | numbers(loan.brief_estimate)
        for amount in filter(None, (loan.max_amount, loan.working_capital_max)):
            allowed_params |= numbers(wan(amount))
        for t in loan.rate_tiers:
            allowed_params |= numbers(str(t.rate_ceiling_milli_pct / 1000)) | (numbers(wan(t.up_to)) if t.up_to else set())
        if loan.rate_ceiling_milli_pct:
            allowed_params |= numbers(str(loan.rate_ceiling_milli_pct / 1000))
    for kind in P.diagnosis.values():
        allowed_params |= numbers(wan(kind.total)) | numbers(wan(kind.government)) | numbers(wan(kind.firm))
    allowed_params |= numbers(wan(P.sme_capital_max)) | {"1", "4", "10"}  # 1+4, 1+10 in the tier labels
    for question, *_ in WITH_FIGURES:
        answer = direct_answer(question, KB)
        body = "\n".join(answer.text.splitlines()[:-1])  # the citation line names rules, not figures
        steps = numbers(answer.formula)
        steps |= {n for s in list(steps) if s.isdigit() for n in numbers(approx_wan(int(s)))}  # 約55.8萬元
        from_question = numbers(question) | numbers(" ".join(map(str, answer.figures.values())))
        from_question |= {n for v in answer.figures.values() if isinstance(v, int) for n in numbers(wan(v))}
        stray = numbers(body) - steps - from_question - allowed_params
        assert not stray, (question, stray, answer.text)


def test_no_figure_is_typed_in_the_templates():
    import yaml

    from knowledge.direct import TEMPLATES_FILE

    def strings(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, str):
            yield node

    for text in strings(yaml.safe_load(TEMPLATES_FILE.read_text("utf-8"))):
        assert not re.search(r"\d", re.sub(r"\{[^}]*\}", "", text)), text


def test_the_full_calculation_is_offered_with_the_figures_the_form_can_read():
    from knowledge.calc.extract import extract_facts

    answer = direct_answer("總經費950萬，買新機器最多補多少", KB)
    assert templates()["offer"] in answer.text
    assert extract_facts(answer.prefill).total_budget == 9_500_000
    loan = direct_answer("我們公司3個人，可以借多少", KB)
    facts = extract_facts(loan.prefill)
    assert (facts.sme, facts.employees) == (True, 3)
    interest = direct_answer("我們3個人，借200萬，利息補貼多少", KB)
    facts = extract_facts(interest.prefill)
    assert (facts.loan_amount, facts.employees) == (2_000_000, 3)
    assert extract_facts(direct_answer("大企業申請診斷要付6萬？", KB).prefill).sme is False


def test_government_share_is_never_said_as_a_made_up_maximum():
    answer = direct_answer("總經費1,000,001元，政府補助要小於多少", KB)
    assert "須低於500,000.5元" in answer.text
    assert "500,000元" not in answer.text and "最多" not in answer.text


def test_interest_estimate_uses_the_loan_calculator():
    from knowledge.calc.loans import interest_subsidy

    general = P.loans["recovery_general"]
    answer = direct_answer("借500萬，利息補貼大概多少", KB)
    assert answer.formula.endswith(wan(interest_subsidy(5_000_000, general)))
    assert "估算" in answer.text
    assert "loan_interest_subsidy" in answer.citations


PLAIN_RULE_QUESTIONS = [
    "新設備補助比例多少",
    "買新機器可以補助多少？",
    "委託研究或驗證費最多佔多少",
    "補助上限是多少",
    "9人以下跟10人以上的補助是不同方案嗎",
    "10人以上的製造業補助上限是多少",
    "以大帶小最多補到3000萬嗎",
    "一家最多300萬還是500萬？怎麼分",
    "政府出一半嗎，剩下我們出？",
    "利息補貼怎麼算",
    "補貼55萬是怎麼算出來的",
    "2年約12萬是借多少才有",
    "借100萬以內利率是多少",
    "3500萬那個貸款是什麼條件",
    "員工不到10人可以借多少",   # a bound that does not settle the loan class
    "老闆自己算不算在5人裡面？",
    "診斷要花多少錢？",
    "以大帶小的診斷一案多少錢",
    "自籌4萬是每案嗎",
    "課程要錢嗎",
    "智慧化1+4最高補多少",
    "以大帶小低碳化最多補多少",
    "我們中心廠只想帶2家協力廠，做智慧化，總經費3000萬，上限多少",
    "我們三個廠區都做診斷（中小企業），政府總共出多少",
    "非中小企業的診斷費用和中小企業差多少",
    "诊断辅导一个案子多少钱，企业自己出多少",
    "轉型發展貸款，設備1,200萬，另外再借週轉金500萬，利息補貼多少",
    "轉型發展貸款，廠房5000萬，利息補貼多少",   # 8成 = 4,000萬: above the brief's estimate example
    "單一設備有沒有補助上限",
    "疫後振興貸款最多可以借多少？",
    "資本性支出可以貸到幾成",
    "小規模那類借200萬的話利率最高多少",
    "員工8人的製造業要怎麼申請補助",
    "總經費950萬，申請文件要準備什麼",
    "我們8人，補助款可以用來買原料嗎",
    "幫我試算補助",
    "估算利息補貼",
    "我們是25人的製造業中小企業，總經費800萬，新設備500萬，幫我算補助",
    "計畫總經費1000萬，買新設備400萬，政府能補多少",
    "我們是10人的製造業中小企業，幫我算補助",
    "我們是中心廠，想用以大帶小做智慧化，總經費五千萬，幫我算補助",
    "買一台500萬的機器可以補多少",
    # an amount the reply would not use, or several calculations in one message: no one-step answer
    "我們9人，想做診斷和申請補助，總經費500萬，各要出多少",
    "中小企業做兩次診斷要付多少",
    "我們9個人，總經費700萬，新設備300萬，補助最多多少",
    "總經費700萬，補助最多多少",   # half (350萬) is above the 9人以下 cap: the head-count decides
    "年營業額5000萬，員工20人，總經費800萬，補助最多多少",
    "我們公司12人，想借800萬，又想申請補助總經費600萬，各能拿多少",
    # a second question on another topic: the knowledge answers take both parts
    "中小企業診斷要自付多少？另外課程要錢嗎",
    "總經費950萬，買新機器最多補多少？補助的諮詢電話是幾號？",
    # which costs are paid for (the cost-items entry), not the head-count's cap
    "我們6人，哪些費用可以申請補助",
    "員工12人，哪一類費用可以補",
    # the < 50 % share asked beside a head-count, without the plan's total: the share's entry answers
    "我們8人，補助可以超過計畫的一半嗎",
    "員工15人，政府補助比例是多少",
    # a bound that spans both size tiers
    "員工不到20人，總經費800萬，補助最多多少",
    # a rate asked, not an amount; a rate of the user's own that is not the loan's
    "小規模貸款借60萬，補貼利率是多少",
    "疫後振興借1,000萬，用2%補一年，大概多少",
    # several firms whose kind is not said; the kind said and the figures disagree
    "我們有3家子公司要做診斷，自付多少",
    "資本額2億、員工300人的中小企業做診斷自付多少",
    # a capital loan above the brief's example: its subsidy is not stated (the 3,500萬 is the working-capital line)
    "轉型發展借5,000萬買設備，利息補貼大概多少",
    "/calc_subsidy{\"facts\": \"計畫總經費950萬元\"}",
]


@pytest.mark.parametrize("question", PLAIN_RULE_QUESTIONS)
def test_rule_questions_without_the_users_figures_are_not_answered_directly(question):
    assert direct_answer(question, KB) is None


def test_enough_plain_questions_are_covered():
    assert len(PLAIN_RULE_QUESTIONS) >= 20


@pytest.mark.parametrize("question, says", [
    ("總經費-500萬，新設備能補多少", "負數"),
    ("我們-3人，可以借多少", "負數"),
    ("員工0人，補助上限多少", "員工0人"),
    ("借999億利息補貼多少", "999億元"),
    ("總經費999億，買新機器最多補多少", "999億元"),
    ("計畫999億，自籌要多少", "999億元"),
])
def test_nonsense_figures_get_a_polite_request_to_check_them(question, says):
    answer = direct_answer(question, KB)
    assert answer is not None and answer.rule == "check_input"
    assert says in answer.text and "請確認" in answer.text
    assert "×" not in answer.text and answer.formula is None


def test_a_calculation_is_started_only_when_the_message_asks_for_one():
    """action_start_calculation's second opinion on NLU: every calculator training example and
    every held-out phrasing asks for a calculation; plain questions filed under calc_* do not."""
    import sys
    from pathlib import Path

    import yaml

    from actions.direct import CALCULATION_CUE
    from knowledge.calc.numbers import clean_text

    sys.path.insert(0, str(Path(__file__).parent))
    from test_direct_conversation import HELD_OUT_CALCULATIONS

    nlu = yaml.safe_load((Path(__file__).parents[1] / "bot/data/nlu/calculations.yml").read_text("utf-8"))["nlu"]
    requests = [line.strip()[2:] for block in nlu if block["intent"].startswith("calc_")
                for line in block["examples"].splitlines() if line.strip()]
    requests += [q for q, _ in HELD_OUT_CALCULATIONS] + ["估算利息補貼", "大概能拿多少", "幫我找適合的低利貸款"]
    assert [q for q in requests if not CALCULATION_CUE.search(clean_text(q))] == []
    questions = ["補助", "經費科目表可以給我看嗎", "我們公司的補助申請審查到哪裡了", "诊断辅导经费多少",
                 "我想買房子可以貸款嗎", "人事費可以報嗎"]
    assert [q for q in questions if CALCULATION_CUE.search(clean_text(q))] == []


def test_two_computations_in_one_message_cite_both_rules():
    answer = direct_answer("我們15個人，診斷要自付多少？補助上限又是多少", KB)
    assert {"diagnosis_cost", "subsidy_caps"} <= set(answer.citations)
    assert answer.text.count(templates()["offer"]) == 1
    # the second question has no rule to answer it: no one-step reply that would drop it
    assert direct_answer("診斷要自付多少？我們補助上限多少", KB) is None


def test_a_loan_and_the_subsidy_asked_together_are_both_answered_or_left_to_the_entries():
    both = direct_answer("員工40人，貸款最多借多少？補助上限又是多少", KB)
    assert both is not None and {"loan_recovery_general", "subsidy_caps"} <= set(both.citations)
    assert wan(P.loans["recovery_general"].max_amount) in both.text and wan(P.tiers["medium"].cap) in both.text
    # the subsidy part needs figures no one rule takes: not a loan-only reply that drops it
    assert direct_answer("員工40人，貸款最多借多少？總經費900萬，新設備300萬，補助總共最多多少", KB) is None
    # 補助 mentioned but not asked: the loan alone
    assert direct_answer("我們3個人，補助申請不到，可以借多少", KB).citations == ("loan_recovery_micro",)


def test_several_diagnosis_cases_and_existing_equipment_are_not_computed():
    assert direct_answer("我們三個診斷案都是中小企業，政府一共出多少", KB) is None
    assert direct_answer("總經費800萬，既有設備改善的設備費能補多少", KB) is None   # not the 30 % item
    # a share asked beside a loan is the < 50 % rule's, not the head-count's cap: left to the entries
    assert direct_answer("我們3個人，貸款能借多少？補助可以超過計畫一半嗎", KB) is None


def test_a_lead_factory_partner_count_must_fit_the_track_it_names():
    assert direct_answer("我們中心廠帶6家做智慧化，補助上限多少", KB) is None     # 1+4: 6 partners are not said
    assert direct_answer("我們中心廠帶10家，補助上限多少", KB) is None            # no track named
    assert direct_answer("我們中心廠帶4家做智慧化，補助上限多少", KB).formula.endswith(wan(P.tiers["lead_smart"].cap))


def test_the_firms_own_part_is_said_as_at_least_or_more_than_never_as_an_exact_sum():
    whole = direct_answer("總經費900萬全部買新設備，政府最多補多少，剩下公司出多少", KB)
    assert "業者至少自籌" in whole.text
    part = direct_answer("總經費900萬，買新設備最多補多少，剩下公司出多少", KB)
    assert "業者自籌須超過" in part.text and "subsidy_gov_share" in part.citations


def test_a_bound_head_count_is_read_in_simplified_chinese_too():
    from knowledge.direct import staff_range
    for text in ("员工未满5人", "員工未滿5人", "员工不到5人"):
        assert (staff_range(text).low, staff_range(text).high) == (0, 4), text


@pytest.mark.parametrize("question", ["我們這家工廠申請升級轉型補助，大概可以拿多少", "我們公司補助能拿到多少？"])
def test_how_much_can_we_get_without_any_fact_states_the_limits_and_offers_the_calculation(question):
    answer = direct_answer(question, KB)
    assert answer is not None and answer.rule == "subsidy_overview" and answer.form == "subsidy_form"
    for tier in P.tiers.values():
        assert f"{tier.label}" in answer.text and wan(tier.cap) in answer.text
    assert f"計畫總經費{P.gov_share_below_pct}%" in answer.text
    assert answer.citations == ("subsidy_caps", "subsidy_gov_share") and templates()["offer"] in answer.text
    # a calc verb starts the guided calculation itself; any fact goes to the one-step rules
    assert direct_answer(question + "，幫我估一下", KB) is None
    # how many times, not how much: not this answer
    assert direct_answer("我們公司一年可以申請幾次補助", KB) is None


@pytest.mark.parametrize("question", ["我們工廠7個人，能不能申請診斷輔導", "員工6人的公司可以申請診斷嗎？"])
def test_who_may_apply_for_a_diagnosis_is_left_to_the_entry_with_its_conditions(question):
    # not the cost split: the diagnosis entry states who may apply (10人以上 with 工廠登記)
    assert direct_answer(question, KB) is None
    assert direct_answer("我們工廠7個人，診斷要付多少", KB).rule == "diagnosis_split"


def test_a_head_count_that_includes_the_owner_is_counted_without_the_owner_for_the_loan_class():
    answer = direct_answer("連我在內5個人，疫後振興貸款可以借多少", KB)
    assert answer is not None and answer.rule == "loan_class"
    assert answer.entry_id == "loan_recovery_micro" and "不含負責人為4人" in answer.text
    assert answer.figures["employees"] == 4
    # the same head-count without the owner mentioned is the general class
    assert direct_answer("我們5個人，疫後振興貸款可以借多少", KB).entry_id == "loan_recovery_general"
    # said after the count
    assert direct_answer("我們5個人，老闆也算在內，疫後振興可以借多少", KB).entry_id == "loan_recovery_micro"
    assert direct_answer("我們5個人，老闆不算在內，疫後振興可以借多少", KB).entry_id == "loan_recovery_general"


@pytest.mark.parametrize("question, form, facts", [
    ("我們9個人，總經費700萬，新設備300萬，補助最多多少", "subsidy_form", "員工9人，計畫總經費700萬元，新設備300萬元"),
    ("總經費2000萬，員工30人，買新設備800萬，委託研究300萬，能補多少？", "subsidy_form",
     "員工30人，計畫總經費2,000萬元，新設備800萬元，委託研究300萬元"),
    ("我們15人，資本額2億，想借500萬，利息補貼多少", "loan_form", "員工15人，借款500萬元，實收資本額2億元"),
])
def test_several_figures_that_no_one_rule_settles_get_the_guided_calculation_offered(question, form, facts):
    from knowledge.calc.extract import extract_facts
    from knowledge.direct import guided_offer
    assert direct_answer(question, KB) is None
    offer = guided_offer(question)
    assert offer is not None and offer.form == form and offer.prefill == facts
    assert facts in offer.text
    # the form's own fact reader reads the prefill back to the same figures
    assert extract_facts(offer.prefill).employees == extract_facts(question).employees


@pytest.mark.parametrize("question", ["補助多少", "總經費800萬，補助多少",
                                      "我們公司12人，想借800萬，又想申請補助總經費600萬，各能拿多少"])
def test_no_guided_offer_for_one_figure_or_two_calculations(question):
    from knowledge.direct import guided_offer
    assert guided_offer(question) is None


@pytest.mark.parametrize("text, low, high", [
    ("員工二十幾個", 20, 29), ("我們十幾個人", 10, 19), ("幾十人的工廠", 10, 99), ("三四十人", 30, 49),
    ("30多人", 30, 39), ("員工五十多人", 50, 59), ("兩三個人", 2, 3), ("三十出頭人", 30, 35),
])
def test_an_approximate_head_count_is_a_range_never_one_figure(text, low, high):
    from knowledge.direct.common import staff_range

    staff = staff_range(text)
    assert staff is not None and (staff.low, staff.high) == (low, high) and staff.exact is None


@pytest.mark.parametrize("text", ["二十幾個案子", "十幾個月", "一百二十幾人"])
def test_an_approximate_count_of_other_things_is_no_head_count(text):
    from knowledge.direct.common import staff_range

    assert staff_range(text) is None


def test_an_approximate_head_count_settles_the_tier_with_the_total():
    answer = direct_answer("計畫六百萬，員工三十幾個，補助最多多少", KB)
    assert answer is not None and answer.rule == "tier_cap"
    assert "員工三十幾人 → 製造業10人以上" in answer.text and "600萬元 × 50% = 300萬元" in answer.text
    assert set(answer.citations) == {"subsidy_gov_share", "subsidy_caps"}


@pytest.mark.parametrize("question, step", [
    ("我們二十幾個人，補助上限多少", "員工二十幾人 → 製造業10人以上，補助上限每案500萬元"),
    ("員工七八個，補助最多多少", "員工七八人 → 製造業9人以下，補助上限每案300萬元"),
])
def test_an_approximate_head_count_alone_settles_the_tier(question, step):
    answer = direct_answer(question, KB)
    assert answer is not None and answer.rule == "tier_cap" and step in answer.text
    assert answer.citations == ("subsidy_caps",)


@pytest.mark.parametrize("question", ["員工幾百人，總經費2000萬，補助最多多少", "員工十幾二十人，補助上限多少"])
def test_an_approximate_head_count_that_does_not_settle_the_tier_is_not_computed(question):
    assert direct_answer(question, KB) is None


def test_an_approximate_head_count_below_the_sme_line_settles_the_diagnosis_kind():
    answer = direct_answer("員工三四十人，資本額2億，診斷要自付多少", KB)
    assert answer is not None and answer.rule == "diagnosis_split"
    assert "貴公司自付4萬元" in answer.text and "員工三四十人未滿200人" in answer.text and "None" not in answer.text
    assert direct_answer("員工幾百人，資本額2億，診斷要付多少", KB) is None   # 幾百 spans the SME line
