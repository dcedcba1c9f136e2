"""The abstention vetoes for near-miss questions: a best passage without the
kind of fact asked for or without the title or kind of people asked about,
names the documents never mention, a figure's qualifiers and names left
out; and the tie between two passages that only one of them settles."""

import pytest

from retrieval.abstain import settle_tie
from retrieval.answer_types import asked_type, asked_types, has_type
from retrieval.names import (
    abbreviated_in,
    chinese_names,
    is_also_a_word,
    names_in,
    pinyin_mentioned,
    pinyin_names,
    pinyin_spellings,
    written_in,
)
from retrieval.search import SearchResult
from retrieval.subjects import (
    asked_subjects,
    asks_for_name,
    leaves_out_others,
    leaves_unnamed,
    missing_comparison,
    missing_qualifier,
    missing_rank,
    missing_scope,
    missing_subject,
    withholds_name,
)
from retrieval.types import Hit, Passage


@pytest.mark.parametrize(
    "question, kind",
    [
        ("退休人员基本养老金上调了百分之几？", "percent"),
        ("What share of costs can outpatients get reimbursed?", "percent"),
        ("这个项目的总投资是多少亿元？", "money"),
        ("How much did the new road cost?", "money"),
        ("应急管理部派出了多少名救援人员？", "people"),
        ("How many Party members took part?", "people"),
        ("林道一共有多长？", "length"),
        ("富源县的新学校占地多少亩？", "area"),
        ("改革是哪一年启动的？", "year"),
        ("When did the pilot begin?", "date"),
        ("办结了多少个项目？", "quantity"),
        ("养老金具体上调了百分之多少？", "percent"),
        ("兰考县的人口有多少？", "people"),
        ("What is the population of Lankao County?", "people"),
        ("新学校预计什么时候建成？", "plan"),
        ("When will the pilot be extended to the whole country?", "plan"),
        ("我国计划在哪一年前实现碳达峰？", "plan"),
        ("我国力争什么时候实现碳中和？", "plan"),
        ("By when does China aim to reach carbon neutrality?", "plan"),
        ("成都家庭医生的签约率现在是多少？", "percent"),
        ("What was the province's GDP growth rate?", "percent"),
        ("党群服务中心的具体地址在哪？", "address"),
        ("富源县最后选了哪条路？", None),  # a path, not a street
        ("政务服务中心周末几点开门？", "clock"),
        ("政务服务中心节假日开门吗？", "clock"),
        ("养老金上调了几个百分点？", "percent"),
        ("What was the total amount of fines?", "quantity"),
        ("办理不动产登记证要几个工作日？", "duration"),
        ("Is the service centre open at weekends?", "clock"),
        ("这次暴雨造成了多少经济损失？", "money"),
        # Before when: a deadline, answered like a plan.
        ("增加的养老金各地大概什么时候之前发到位？", "plan"),
        ("By when is China aiming to hit carbon neutrality?", "plan"),
        ("What was the total budget of the programme?", "money"),
        ("这项工程的预算一共多少？", "money"),
        ("上调的养老金啥时候发到位？", "date"),  # colloquial 啥
        ("What was the largest single fine imposed?", "money"),
        ("兰考县政务服务中心的咨询电话是多少？", "contact"),
        ("What is the hotline number for the service centre?", "contact"),
        ("Which website do I apply on?", "contact"),
        ("12345热线接到了多少来电？", "quantity"),  # how many calls, not the number to call
        ("李先生今年多大年纪？", "age"),
        ("Can you recommend a good hotel in Suzhou?", "recommendation"),
        ("赤峰的肉牛产业一年产值有多少？", "money"),
        ("What was the company's crude steel output last year?", "quantity"),
        ("纳入监测的对象里，已经消除风险的占多少？", "percent"),  # a share
        ("富源县的第三小学占了多少地？", "quantity"),  # land, not a share
        ("兰考县政务服务中心周六周日开不开门？", "clock"),
        ("Which cities will be added next to the pilot?", "plan"),
        ("下一步还要在哪些城市试点？", "plan"),
        ("成都有什么好吃的火锅店推荐吗？", "recommendation"),
        ("How old is the village's oldest resident?", "age"),
        # 哪几 asks "which ones", and a "when" clause is not a question about time.
        ("党员干部需要提升哪几种能力？", None),
        ("Where can residents go when they have been turned away?", None),
    ],
)
def test_asked_type(question, kind):
    assert asked_type(question) == kind


@pytest.mark.parametrize(
    "question, kinds",
    [
        ("兰考县政务服务中心几点上班，咨询电话是多少？", ["clock", "contact"]),
        ("When did the programme start, and how many residents have signed up?", ["date", "people"]),
        ("富源县第三小学预计哪年建成？能招多少学生？", ["plan", "people"]),
        # Words before the question ask nothing of their own.
        ("截至4月底，全国纳入防返贫监测的易返贫致贫户有多少户？", ["quantity"]),
        ("In Xiangyang, where can residents go?", [None]),
    ],
)
def test_asked_types(question, kinds):
    assert asked_types(question) == kinds


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("报销比例也提高到了90%。", "percent", True),
        ("自2021年1月1日起继续提高退休人员基本养老金水平。", "percent", False),
        ("还需要增加一两亿元财政投入。", "money", True),
        ("启动了首批数十项重点研发项目的立项实施工作。", "money", False),
        ("3.2万名党员参与其中。", "people", True),
        ("覆盖了119万参保人员。", "people", True),
        ("观看人次超过1.9亿。", "people", True),
        ("已提供岗位信息2066万条。", "people", False),
        ("村民投票选出了5件实事。", "length", False),
        ("占地70余亩的第三小学。", "area", True),
        ("今年6月正式开工建设。", "year", True),
        ("林道建设排第一。", "quantity", True),
        ("没有任何数字。", "quantity", False),
        # A Chinese numeral counts before a measure word, not inside a word.
        ("居民可以一条龙办理不动产登记证，做到一站式服务。", "quantity", False),
        ("这是老百姓手中的一把尺子，十分重要。", "quantity", True),
        ("老百姓都说十分方便。", "quantity", False),
        ("开通了“党组信箱”，直通百万石油员工。", "quantity", True),
        ("天津、成都、苏州三地开始试点。", "quantity", True),
        ("任何文字", None, True),
        ("力争2030年前实现碳达峰。", "plan", True),
        ("各地增加的养老金于7月1日前基本发放到位。", "plan", True),
        ("今年6月正式开工建设。", "plan", False),
        ("力争2060年前实现碳中和。", "date", True),  # a year answers "when"
        ("609个红色驿站设在居民小区、建在街头巷尾。", "address", False),
        ("服务中心位于人民路18号。", "address", True),
        ("工作日上午9点开门。", "clock", True),
        ("今年6月1日起开始试点。", "clock", False),
        ("市民可拨打12345热线反映问题。", "contact", True),
        ("截至6月30日，共查处案件2769起。", "contact", False),
        ("78岁的张大爷说。", "age", True),
        ("3.2万名党员参与其中。", "age", False),
    ],
)
def test_has_type(text, kind, expected):
    assert has_type(text, kind) is expected


@pytest.mark.parametrize(
    "question, names",
    [
        ("How many red stations has Wuhan set up?", ["wuhan"]),
        ("How tall is Yao Ming?", ["yaoming"]),
        ("Is an iPhone cheaper in Hong Kong?", ["hongkong"]),
        ("According to Xi Jinping, what matters?", ["jinping"]),
        # English words that spell pinyin, non-pinyin names and the first word are not names.
        ("Which school opened in June in mainland China?", []),
        ("What did the Ministry of Finance of Japan do in Berlin?", []),
        ("Fuyuan is where?", []),
        ("How do I fix a ModuleNotFoundError?", []),
    ],
)
def test_pinyin_names(question, names):
    assert pinyin_names(question) == names


def test_names_in_a_question_come_with_every_spelling_the_documents_may_use():
    assert names_in("What has the Ministry of Commerce done?") == (("商务部", "ministry of commerce", "commerce ministry"),)
    # A listed English name is not read again as pinyin.
    assert names_in("Is an iPhone cheaper in Hong Kong?") == (("香港", "hong kong"),)
    assert names_in("交通运输部推出了哪些措施？")[0][0] == "交通运输部"  # jieba does not tag it
    assert names_in("电子驾驶证要在哪个App上申领？") == (("app",),)
    assert names_in("How many red stations has Wuhan set up?") == (("wuhan",),)


def test_english_words_translate_through_cc_cedict_with_their_stems():
    from retrieval.cedict import translations

    assert "队" in translations("teams") and "老年人" in translations("elderly")
    assert translations("organised") & translations("organise")
    assert not translations("qwertyuiop")


def test_common_words_jieba_tags_as_names_are_not_names():
    assert "新开工" not in chinese_names("富源县新开工的第三小学面积有多大？")  # nz, "other proper noun"
    # jieba tags 宁可 as a person and 山坡 as a place; CC-CEDICT knows them as common words.
    assert chinese_names("富源县宁可少收财政收入也不把北部山坡拿去搞房地产？") == ["富源县"]
    assert chinese_names("明天北京会下雨吗？周杰伦的第一张专辑叫什么？") == ["北京", "周杰伦"]
    # jieba tags the verb 惠及 as a place; a two-character place must be one CC-CEDICT knows.
    assert chinese_names("东营市“三下沉”改革惠及了多少参保人？") == []
    assert chinese_names("兰考和杨浦区在哪里？") == ["兰考", "杨浦区"]


def test_a_name_that_is_also_a_word_is_not_unknown_when_no_passage_writes_it(engine):
    # 新建 is a county in Jiangxi and "newly built"; 兰考 is only a county.
    assert is_also_a_word("新建") and not is_also_a_word("兰考")
    assert engine.search_result("富源县新建的小学和幼儿园一共占地多大？").unknown_names == 0
    assert engine.search_result("洛阳市新建的小学一共占地多大？").unknown_names == 1


def test_a_name_is_written_in_a_text_as_itself_spelt_out_or_in_pinyin():
    text = "江苏省苏州工业园区一家公司负责人李先生家住上海市杨浦区。"
    assert written_in("苏州", text) and written_in("suzhou", text) and written_in("shanghai", text)
    assert not written_in("guannan", text) and not written_in("灌南县", text)


def test_abbreviations_are_found_spelt_out():
    assert abbreviated_in("中建", "中国建筑集团有限公司党组负责同志")
    assert abbreviated_in("人社部", "人力资源和社会保障部印发通知")
    assert not abbreviated_in("武汉", "湖北省襄阳市，一个综合性的党群服务中心管总")
    assert not abbreviated_in("中建", "中国。建筑")  # not across a sentence


def test_pinyin_names_are_found_through_the_bigrams_that_spell_them():
    terms = {"襄阳", "习近", "近平", "灌南", "南县", "吕梁"}.__contains__
    assert pinyin_mentioned("xiangyang", terms)
    assert pinyin_mentioned("xijinping", terms)
    assert pinyin_mentioned("guannanxian", terms)  # 灌南县
    assert pinyin_mentioned("luliang", terms)  # 吕梁, with ü written u
    assert not pinyin_mentioned("wuhan", terms)
    assert not pinyin_mentioned("xianggang", terms)
    assert pinyin_spellings("xiangyang", terms) == ["襄阳"]


@pytest.mark.parametrize(
    "question, text, missing",
    [
        ("Who is the mayor of Xiangyang?", "在湖北省襄阳市，609个红色驿站设在居民小区。", True),
        ("Who is the Party secretary of Fuyuan County?", "富源县委书记陈志说。", False),
        ("大数据管理局的局长是谁？", "大数据管理局副局长文超介绍。", True),  # a deputy is not the head
        ("大数据管理局的副局长叫什么名字？", "大数据管理局副局长文超介绍。", False),
        ("What is the name of the bureau director (not the deputy)?", "大数据管理局副局长文超介绍。", True),
        ("大数据管理局的局长（不是副局长）叫什么？", "大数据管理局副局长文超介绍。", True),
        ("应急管理部向郑州派出了多少名救援人员？", "共营救遇险群众3.5万余人。", True),
        ("这场暴雨造成多少人遇难？", "共营救遇险群众3.5万余人。", True),
        ("How many suspects were arrested?", "共查处危险废物环境违法案件2769起。", True),
        ("赤峰有多少名党员参与？", "3.2万名党员参与其中。", False),
        # Someone named far from the counting words is not what is counted.
        ("How many people in danger did rescuers save?", "共营救遇险群众3.5万余人。", False),
        # Neither a title nor a kind of people: nothing to check.
        ("How many red stations are there?", "609个红色驿站。", False),
        ("How many hospitals in Dongying joined the programme?", "覆盖了119万参保人员。", True),
        ("民政部的行动惠及多少家企业？", "惠及企业112.9万余家。", False),
        # What is counted must share a clause with a number: job postings are not graduates in work.
        (
            "How many graduates found jobs through the campus recruitment service?",
            "教育部把促进毕业生就业纳入重点事项，“24365校园招聘服务”已提供岗位信息2066万条；",
            True,
        ),
        ("灌南县有百分之多少的外出务工人员享受医保服务？", "为全县70%的外出务工人员提供医保服务。", False),
        ("What is the name of the official who led the reform?", "通过建立医保服务站，实施医保“网上办”改革。", True),
        # A title is not its holder's name.
        ("What is the name of the leader who led the visits?", "中国建筑集团有限公司党组负责同志分别带队下基层。", True),
        ("海口市纪委书记是谁？", "海南省海口市纪委书记、监委主任冯汉芬说。", False),
        ("Who is the head of the National Rural Revitalization Administration?", "国家乡村振兴局提出了12项实事。", True),
        ("介绍焦裕禄精神的兰考官员叫什么名字？", "兰考县政务服务和大数据管理局副局长文超介绍。", False),
        ("Which official said so?", "富源县委书记陈志说。", False),
        ("How many trade associations took part?", "各级行业协会商会通过减免收费，共减轻企业负担约26.96亿元。", True),
        # "How much" measures an amount; it counts no one.
        ("How much had trade associations cut from fees?", "各级行业协会商会通过减免收费，共减轻企业负担约26.96亿元。", False),
        # Messages are not the staff they come from.
        ("How many messages has the mailbox received?", "开通了“党组信箱”，直通百万石油员工，对员工留言实施分类闭环管理。", True),
        ("一共征集了多少条意见建议？", "各级党组织共征集意见建议3.5万条。", False),
        # A rate is of something.
        ("What is the medical insurance reimbursement rate in Guannan?", "为全县70%的外出务工人员提供医保服务。", True),
        ("东营的报销比例提高到了多少？", "报销比例也提高到了90%。", False),
        ("应急管理部派往郑州的救援人员一共有多少名？", "共营救遇险群众3.5万余人。", True),
        ("专项监督中问责了多少名干部？", "共查处问题线索1200余条。", True),
        ("有多少起案件被移送司法机关？", "共查处危险废物环境违法案件2769起。", True),
        ("有多少起案件被移送司法机关？", "其中移送司法机关案件300余起。", False),
        ("那些共同体一年能给农牧民增收多少？", "132个共同体开展的活动中，3.2万名党员参与其中。", True),
        ("Who leads China Minmetals' R&D projects?", "中国五矿启动了首批数十项重点研发项目。", True),
        ("Who is in charge there?", "富源县委书记陈志说。", False),
        # "officials" is not "of ficials".
        ("How many officials were disciplined?", "今年上半年，4个重点园区新设企业7000余户。", True),
        # A noun after the counting words says what is counted; the graduates are whom it serves.
        ("给毕业生提供了多少条岗位信息？", "“24365校园招聘服务”已提供岗位信息2066万条。", False),
        ("村民投票选出了几件实事？", "村民投票选出了需要优先办理的5件实事。", False),
        ("有多少名毕业生找到了工作？", "“24365校园招聘服务”已提供岗位信息2066万条。", True),
        ("遇难的群众有多少人？", "共营救遇险群众3.5万余人。", True),
    ],
)
def test_missing_subject(question, text, missing):
    assert missing_subject(question, text) is missing


_CASES = "为巩固去年工作成果，三部门决定今年继续开展专项行动。截至6月30日，共查处案件2769起，罚款3.33亿元。"


@pytest.mark.parametrize(
    "question, text, missing",
    [
        ("How many cases were handled last year?", _CASES, True),
        ("去年一共罚款多少元？", _CASES, True),
        ("最大的一笔罚款是多少元？", _CASES, True),
        ("截至6月30日查处了多少起案件？", _CASES, False),
        # Before a date is not before a change.
        ("How many cases were handled before June 30?", _CASES, False),
        ("6月30日之前罚款多少元？", _CASES, False),
        ("报销比例在改革之前是多少？", "报销比例也提高到了90%。", True),
        ("报销比例在改革之前是多少？", "报销比例从60%提高到了90%。", False),
        ("海口新设企业比去年下半年增长了多少？", "新设企业7000余户，比去年下半年增长三成多", False),
        # One part of a total given for several together.
        (
            "How many licences were issued in Chengdu alone?",
            "天津、成都、苏州三地开始试点，已经有190多万名群众申领了电子驾驶证。",
            True,
        ),
        ("一共有多少名群众申领了电子驾驶证？", "天津、成都、苏州三地开始试点，已经有190多万名群众申领了电子驾驶证。", False),
        # A total set out, then a part of it counted.
        ("福建省梳理的项目里，涉及医疗卫生的有多少项？", "全省梳理确定项目6.35万多项，已办结4.12万多项。", True),
        ("赤峰的共同体里，肉牛产业的共同体有多少个？", "全市132个共同体开展的活动中，3.2万名党员参与其中。", True),
        ("中国五矿的研发项目里，智能制造方面的技术有多少项？", "启动了数十项重点研发项目，其中工艺流程、智能制造领域相关技术30余项。", False),
        ("这次救援中，一共营救了多少遇险群众？", "共营救遇险群众3.5万余人。", False),
        ("实事里，教育类项目占多少项？", "全省梳理确定项目6.35万多项，已办结4.12万多项。", True),
        ("天津一个城市有多少人领了电子驾照？", "天津、成都、苏州三地开始试点，已经有190多万名群众申领了电子驾驶证。", True),
        ("监测对象里，已经消除风险的占多少？", "已有91%的监测对象消除返贫致贫风险。", False),
        ("第三小学和幼儿园一共占了多少地？", "占地70余亩的第三小学和北片区幼儿园正式开工建设。", False),
        ("How many of the people rescued were saved by soldiers specifically?", "共营救遇险群众3.5万余人、转移群众8.77万人。", True),
        # Not a question for a figure: nothing to check.
        ("去年的工作成果靠什么巩固？", _CASES, False),
        # Counted to another month's end.
        ("截至5月底，共查处案件多少起？", _CASES, True),
        ("截至6月底，共查处案件多少起？", _CASES, False),
        ("By the end of March, how many cases had been handled?", _CASES, True),
        # Counted in a measure word the passage never counts in.
        ("共查处了多少起案件？", _CASES, False),
        ("共开展了多少场专项行动？", _CASES, True),
        ("赤峰市的肉牛存栏有多少头？", "完善设施蔬菜、肉牛、经济林等产业发展共同体，3.2万名党员参与其中。", True),
        ("赤峰市的肉牛存栏有多少头？", "全市肉牛存栏120万头。", False),
        ("一年能处理多少吨危险废物？", _CASES, True),
        ("应急管理部调派了多少支救援队伍？", "迅速调派专业救援力量驰援郑州等地，共营救遇险群众3.5万余人。", True),
    ],
)
def test_missing_qualifier(question, text, missing):
    assert missing_qualifier(question, text) is missing


_PENSIONS = "6月初，两部门完成各地实施方案批复，各地增加的养老金于7月1日前基本发放到位。"
_PILOT = "今年6月1日起，天津、成都、苏州三地开始试点驾驶证电子化。"


@pytest.mark.parametrize(
    "question, text, missing",
    [
        ("电子驾驶证什么时候在全国所有城市推开？", _PILOT, True),
        ("When did electronic licences become available nationwide?", _PILOT, True),
        ("电子驾驶证什么时候开始试点？", _PILOT, False),
        ("全省有多少个红色驿站？", "在湖北省襄阳市，609个红色驿站设在居民小区。", True),
        ("襄阳有多少个红色驿站？", "在湖北省襄阳市，609个红色驿站设在居民小区。", False),
        ("How many red stations are there in the whole of Hubei province?", "在湖北省襄阳市，609个红色驿站设在居民小区。", True),
        # Given for the whole (各地, 全省), or for no place in particular.
        ("By when had the pensions been paid out across the country?", _PENSIONS, False),
        ("福建全省梳理了多少项实事？", "福建省坚持问题导向办实事。截至7月底，全省梳理确定项目6.35万多项。", False),
        ("全国查处了多少起危险废物案件？", _CASES, False),
    ],
)
def test_missing_scope(question, text, missing):
    assert missing_scope(question, text) is missing


_LI = "江苏省苏州工业园区一家公司负责人李先生家住上海市杨浦区，就可以快速办理公司事宜。"


@pytest.mark.parametrize(
    "question, text, unnamed",
    [
        ("李先生的公司叫什么名字？", _LI, True),
        ("他的公司全称是什么？", _LI, True),
        ("What is the name of Mr. Li's company?", _LI, True),
        ("What is the name of the Suzhou Industrial Park company that Mr. Li runs?", _LI, True),
        ("那个小山村叫什么？", "江西省上犹县一个小山村，村民投票选出了5件实事。", True),
        ("海口的4个重点园区分别叫什么名字？", "海口市4个自贸港重点园区新设企业7000余户。", True),
        ("海口的重点园区分别是哪几个园区？", "海口市4个自贸港重点园区新设企业7000余户。", True),
        ("Which parks are Haikou's four key parks?", "海口市4个自贸港重点园区新设企业7000余户。", True),
        ("直播课是哪些高校的老师来讲的？", "举办直播课65场，指导各地各高校用心做好就业帮扶。", True),
        # Never mentioned at all.
        ("Which app do I use to apply for the electronic licence?", "天津、成都、苏州三地开始试点驾驶证电子化。", True),
        ("申领电子驾驶证用哪个App？", "群众可通过“交管12123”App申领电子驾驶证。", False),
        # Named where it is mentioned.
        ("李先生的公司在哪个园区？", _LI, False),
        ("What is the industrial park called?", _LI, False),
        ("新开工的幼儿园叫什么名字？", "第三小学和北片区幼儿园正式开工建设。", False),
        ("那家公司的党组负责同志叫什么名字？", "中国建筑集团有限公司党组负责同志分别带队下基层。", False),
        # Not asking for a name.
        ("李先生的公司办理了什么事宜？", _LI, False),
        # Asking for the name of something else the question mentions.
        ("那个小山村投票排第一的实事叫什么？", "江西省上犹县一个小山村，村民投票选出了5件实事，林道建设排第一。", False),
        ("那家公司的负责人叫什么？", _LI, False),
    ],
)
def test_leaves_unnamed(question, text, unnamed):
    assert leaves_unnamed(question, text) is unnamed


@pytest.mark.parametrize(
    "question, missing",
    [
        ("村民投票选出的实事里，排第二的是哪件？", True),
        ("Which project ranked second in the villagers' vote?", True),
        ("Which one was the 2nd priority?", True),
        ("第二批试点会放在哪些城市？", True),  # a batch in a sequence
        ("Which cities are in the second batch?", True),
        ("村民投票排第一的实事是哪件？", False),
        ("Which project came first in the vote?", False),
        ("第三小学什么时候开工？", False),  # a name, not a place in a ranking
    ],
)
def test_missing_rank(question, missing):
    assert missing_rank(question, "村民投票选出了需要优先办理的5件实事，林道建设排第一。") is missing


@pytest.mark.parametrize(
    "question, text, missing",
    [
        ("Among Tianjin, Chengdu and Suzhou, which city had the most applicants?", _PILOT, True),
        ("三个试点城市里哪个城市申领的人最多？", _PILOT, True),
        ("村民投票选出的实事里，哪件排在最前面？", "村民投票选出了需要优先办理的5件实事，林道建设排第一。", False),
        ("电子驾驶证最早在哪几个城市试点？", _PILOT, False),  # the earliest is a time, not a comparison
        ("哪个项目的投入最大？", "在所有项目中，林道建设投入最大。", False),
    ],
)
def test_missing_comparison(question, text, missing):
    assert missing_comparison(question, text) is missing


def test_the_first_batch_is_given_as_首批():
    assert not missing_rank("中国五矿第一批研发项目有多少项？", "启动了首批数十项重点研发项目。")


_RAIN = "近期，河南省郑州市等地持续遭遇强降雨。应急管理部迅速调派专业救援力量驰援郑州等地。"


@pytest.mark.parametrize(
    "question, text, missing",
    [
        ("Apart from Zhengzhou, which cities did the rescue teams go to?", _RAIN, True),
        ("除了郑州，救援力量还去了哪些地方？", _RAIN, True),
        ("Which cities besides Tianjin are piloting electronic driving licences?", _PILOT, False),
        ("除了天津以外，还有哪些城市在试点电子驾驶证？", _PILOT, False),
        ("救援力量去了哪里？", _RAIN, False),  # no others asked for
    ],
)
def test_leaves_out_others(question, text, missing):
    assert leaves_out_others(question, text) is missing


@pytest.mark.parametrize(
    "question, text, withheld",
    [
        ("办理苏州公司事宜的李先生全名叫什么？", _LI, True),
        ("What is Mr. Li's full name?", _LI, True),
        ("李先生的全名是什么？", "负责人李先生（李明）说。", False),
        ("李先生去的窗口叫什么？", _LI, False),  # the name of a window, not his
    ],
)
def test_withholds_name(question, text, withheld):
    assert withholds_name(question, text) is withheld


@pytest.mark.parametrize(
    "question, asks",
    [
        ("富源县委书记叫啥？", True),
        ("哪些部门印发了通知？", True),
        ("Which ministries issued the notice?", True),
        ("In Xiangyang, what are the small stations in residential compounds called?", True),
        ("What's the name of the Chengdu programme?", True),
        ("养老金什么时候发到位？", False),
        ("Which year did it start?", False),
    ],
)
def test_asks_for_name(question, asks):
    assert asks_for_name(question) is asks


def test_a_subject_named_inside_another_is_not_asked_about_alone():
    asked = asked_subjects("How many rescue workers were sent?")
    assert [s.chinese.split("|")[0] for s in asked] == ["救援人员"]


@pytest.mark.parametrize(
    "question",
    [
        "How many red stations has Wuhan set up?",  # the article only speaks of Xiangyang
        "2021年退休人员基本养老金总体上调了百分之几？",  # the passage gives the date, not the rate
        "上犹县新修的那条林道一共有多长？",  # the passage names the road, not its length
        "襄阳市的市长叫什么名字？",  # the passage names no mayor
        "How many firefighters were sent to Zhengzhou?",  # it counts the people rescued
        "郑州强降雨中有多少人死亡？",
        "商务部出台了哪些便民措施？",  # the article never names the Ministry of Commerce
        "富源县第三小学预计哪一年建成？",  # it says when building began
        "襄阳市党群服务中心的具体地址在哪？",  # no street address
        # Tianjin is only named among the pilot cities for electronic licences.
        "天津为高校毕业生就业做了什么？",
        "How has Tianjin helped college graduates find work?",
        "苏州那位李先生开的公司叫什么名字？",  # the article says only "一家公司"
        "How many hazardous waste cases were handled last year?",  # it gives this year's
        "兰考县政务服务中心节假日开门吗？",  # no opening days
    ],
)
def test_near_misses_are_not_answered(engine, question):
    assert engine.answer(question).abstained


@pytest.mark.parametrize(
    "question, misses",
    [
        ("How has Tianjin helped college graduates find work?", True),  # the best passage is the ministry's
        ("Which cities besides Tianjin are piloting electronic driving licences?", False),
        ("天津试点了什么电子证件？", False),
    ],
)
def test_a_best_passage_that_writes_none_of_the_names_asked_about_is_flagged(engine, question, misses):
    assert engine.search_result(question).top_misses_names is misses


@pytest.mark.parametrize(
    "question, fact",
    [
        ("How many red stations has Xiangyang set up?", "609个"),
        ("东营市门诊慢性病的报销比例提高到了多少？", "90%"),
        ("教育部的直播课观看人次有多少？", "1.9亿"),
        ("富源县委书记叫什么名字？", "陈志"),
        ("兰考县大数据管理局的副局长是谁？", "文超"),
        ("郑州强降雨中一共营救了多少遇险群众？", "3.5万余人"),
        ("中建集团的党组负责同志怎么了解实际需求？", "恳谈会"),
        ("我国力争哪一年前实现碳中和？", "2060年"),
        ("李先生的公司在哪个园区？", "苏州工业园区"),
        ("截至6月30日查处了多少起危险废物环境违法案件？", "2769起"),
    ],
)
def test_the_answerable_neighbours_of_near_misses_are_answered(engine, question, fact):
    answer = engine.answer(question)
    assert not answer.abstained and fact in answer.citations[0].text


def _result(*scored: tuple[str, float]) -> SearchResult:
    hits = [
        Hit(Passage(f"p{rank}", "doc.txt", rank, None, text, 0, len(text)), fused, 0.0, fused, rank, rank)
        for rank, (text, fused) in enumerate(scored, start=1)
    ]
    return SearchResult(hits, 1.0, 3.0)


_CHOICE = "在房地产开发和公共基础设施建设之间，富源县委和县政府选择了后者。"
_QUOTE = "“不能只算眼前账，还要算长远账。”富源县委书记陈志说。"


@pytest.mark.parametrize(
    "scored, first",
    [
        # A tie, and only the second names the secretary asked for: it goes first.
        (((_CHOICE, 0.982), (_QUOTE, 0.979)), _QUOTE),
        # Not a tie: the scores decide.
        (((_CHOICE, 0.982), (_QUOTE, 0.90)), _CHOICE),
        # Both name him: the scores decide.
        (((_QUOTE + "书记", 0.982), (_QUOTE, 0.979)), _QUOTE + "书记"),
    ],
)
def test_a_tie_goes_to_the_passage_that_holds_the_fact_asked_for(scored, first):
    result = settle_tie("富源县委书记叫什么名字？", _result(*scored))
    assert result.hits[0].passage.text == first
    assert [h.rank for h in result.hits] == [1, 2]
    assert not result.top_misses_names


_REASON = "“不能只算眼前账。如果公共服务水平跟不上，群众就不满意。”富源县委书记陈志说。"


def _scored(*scores: tuple[str, float, float]) -> SearchResult:
    hits = [
        Hit(Passage(f"p{rank}", "doc.txt", rank, None, text, 0, len(text)), dense, 0.0, fused, rank, rank)
        for rank, (text, dense, fused) in enumerate(scores, start=1)
    ]
    return SearchResult(hits, 1.0, 3.0)


@pytest.mark.parametrize(
    "question, scores, first",
    [
        # The words of a why-question restate the choice: only the cosine is a tie, and only the quote gives a reason.
        ("富源县为什么宁可少收财政收入也要建学校？", ((_CHOICE, 0.930, 0.997), (_REASON, 0.907, 0.924)), _REASON),
        ("Why did Fuyuan build schools instead?", ((_CHOICE, 0.790, 0.790), (_REASON, 0.775, 0.775)), _REASON),
        # Not a tie on the cosine either.
        ("富源县为什么宁可少收财政收入也要建学校？", ((_CHOICE, 0.930, 0.997), (_REASON, 0.880, 0.900)), _CHOICE),
        # Not a why-question: the fused scores decide.
        ("富源县在房地产开发和公共基础设施建设之间选择了什么？", ((_CHOICE, 0.930, 0.997), (_REASON, 0.907, 0.924)), _CHOICE),
    ],
)
def test_a_why_question_ties_on_the_cosine_and_goes_to_the_passage_that_gives_a_reason(question, scores, first):
    assert settle_tie(question, _scored(*scores)).hits[0].passage.text == first


def test_a_why_question_is_answered_by_a_sentence_that_gives_a_reason(engine):
    answer = engine.answer("富源县为什么宁可少收财政收入也要把地用来建学校？")
    assert "长远账" in answer.citations[0].text
    assert "如果公共服务水平跟不上" in answer.answer
