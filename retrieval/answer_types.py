"""What kind of fact a question asks for, and whether a text holds one.

Used twice: to prefer the sentence that holds the kind of fact asked for when
picking the short answer, and as an abstention rule. A near-miss question
(on the documents' topic, asking for a fact they do not give) scores like an
answerable one on every similarity signal, but its best passage often has no
fact of the asked kind at all: a question asking for a percentage, an amount
of money or a number of people, cited to a passage without one, is not
answered by it.

Kinds go from specific to general; the first that matches a question wins.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NUMERAL = r"[0-9０-９一二三四五六七八九十百千万亿两几半]+(?:\.\d+)?"
# Between a number and its unit: 3.2万名, 190多万名, 900余项.
_MAGNITUDE = r"[万亿千百多余近约]*"
_CJK = r"[\u4e00-\u9fff]"
_MEASURE_WORDS = (
    r"个|名|位|项|次|件|条|家|所|座|户|元|倍|批|种|类|场|起|年|月|天|日|号|岁|成|地|处|辆|台|套|头|吨|亩|米|里"
    r"|人|只|支|片|份|张|本|篇|期|轮|届|级|层|栋|间|周|小时|分钟|秒|把|点|部|省|市|县|村|大"
)
_EN_PEOPLE = (
    r"(?:people|persons|residents|members|students|pupils|children|graduates|workers|employees|staff|volunteers"
    r"|officials|cadres|rescuers|teachers|doctors|patients|villagers|farmers|households|families|citizens|retirees)"
)


def _unit(chinese_units: str, english_units: str = "") -> str:
    """A number followed by one of the units, in Chinese or English text."""
    pattern = rf"{_NUMERAL}{_MAGNITUDE}(?:{chinese_units})"
    if english_units:
        pattern += rf"|\d[\d,.]*\s*(?:{english_units})"
    return pattern


_ASKS: list[tuple[str, re.Pattern]] = [
    # When something is going to happen: answered by a plan or a deadline,
    # not by the date something began ("预计什么时候建成" over "今年6月开工").
    (
        "plan",
        re.compile(
            r"(预计|计划|打算|将会?|要到|有望|力争|争取|目标)[^，。？]{0,12}(什么时候|何时|哪一?年|几月)|(什么时候|何时)(能|将|会|才能)"
            # "什么时候之前发到位": a deadline, answered by "7月1日前".
            r"|(什么时候|何时|哪一?天|几月几[日号])(之|以)前"
            # What comes next: answered only by a plan.
            r"|下一步|接下来|下一批|下一阶段|\bnext (step|stage|phase|batch|round)\b|\bwill be (added|extended|expanded|rolled out)\b"
            r"|\bwhen (will|is\b.{0,40}\b(expected|due|scheduled|planned)|are\b.{0,40}\b(expected|due|scheduled|planned))\b"
            r"|\b(by )?when\b.{0,40}\b(aim|target|plan|intend|striv)(s|es|ed|ing|ning|ned)?\b"
            r"|\b(what|which) year will\b",
            re.I,
        ),
    ),
    # A phone number, an e-mail or a web address.
    (
        "contact",
        re.compile(
            r"(电话|热线|手机号|号码)(号码)?(是|为)?(多少|几号|什么)|打(什么|哪个|几号)电话|联系方式|邮箱地址|电子邮件|网址|官网"
            r"|\b(phone|telephone|hotline|contact|fax) numbers?\b|\bwhat number\b.{0,30}\bcall\b|\be-?mail\b|\bwebsite\b|\burl\b",
            re.I,
        ),
    ),
    # Advice news does not give: "推荐一家火锅店", "recommend a good hotel".
    ("recommendation", re.compile(r"推荐|\brecommend\w*|\bsuggest (a|an|some)\b", re.I)),
    ("age", re.compile(r"几岁|多少岁|多大年纪|多大岁数|年龄|\bhow old\b|\bwhat age\b|\bthe age of\b", re.I)),
    ("address", re.compile(r"地址|门牌|哪条街|什么街上|\baddress\b|what street|which street", re.I)),
    (
        "clock",
        re.compile(
            r"几点|什么时间(开门|关门|上班|下班|营业)|营业时间|办公时间|opening hours|business hours|what time do"
            r"|(周末|节假日|双休日?|星期[六日天]|周[六日]|礼拜[六日天])[^，。？]{0,4}(上班|开门|营业|办公|开放|办理|开不开)"
            r"|\b(open|work|operate)\b.{0,20}\b(weekends?|holidays?|saturdays?|sundays?)\b",
            re.I,
        ),
    ),
    ("year", re.compile(r"哪一?年|几几年|什么年份|which year|what year|in what year", re.I)),
    ("date", re.compile(r"什么时候|何时|哪一?天|几月|哪个月|截至什么|^when\b|\bwhen (did|will|was|were|is|are|does|do|has|have|had)\b|what date|on what day|by when|up to what date", re.I)),
    (
        "percent",
        re.compile(
            rf"百分之(?:几|多少)|百分比|比例|比重|占比|占(?:多少|几成)(?=[？?。，]|$)|多少[%％]|{_CJK}率[^，。？]{{0,4}}(多少|几)|(几|多少)个百分点"
            r"|what (percentage|percent|share|proportion)|\brates?\b|how many percent(age points)?",
            re.I,
        ),
    ),
    (
        "money",
        re.compile(
            r"多少钱|多少[万亿]?元|(资金|费用|金额|投资|投入|罚款|罚没|花费|花了|成本|价格|票价|经费|预算|收入|损失|产值|销售额|营业额|交易额|成交额)[^，。？]{0,6}(多少|几)"
            r"|(多少|几)[^，。？]{0,4}(资金|费用|钱|经费|损失)|how many yuan|how much (money|funding)"
            r"|how much\b.*\b(cost|spend|spent|spending|invest|investment|fined?|funding|budget|paid|pay|worth|revenue|income)"
            r"|\b(what|which) (is|was|were|are) the (\w+ ){0,3}(budget|cost|price|investment|funding|fine|fee|spending|revenue)\b",
            re.I,
        ),
    ),
    (
        "people",
        re.compile(
            rf"(多少|几)(名|位|个人|人|万人|万名)|多少[名位个]?{_CJK}{{0,2}}(人员|队员|党员|干部|学生|毕业生|居民|村民|职工|员工|农民)"
            rf"|人口[^，。？]{{0,3}}(多少|几)|how many (\S+ ){{0,2}}{_EN_PEOPLE}\b|\bpopulation\b",
            re.I,
        ),
    ),
    (
        "duration",
        re.compile(
            r"多久|多长时间|(多少|几)个?(工作)?(天|日|年|月|小时|星期|周)(?!起)|how many (working |business )?(days|years|months|hours|weeks)",
            re.I,
        ),
    ),
    # "How long" and 多长 may ask for a length or a time; either kind answers.
    ("length", re.compile(r"多长|多远|多少(公里|米|千米)|how (long|far)\b", re.I)),
    ("area", re.compile(r"多少(亩|平方米|公顷|平方公里)|面积|how many (acres|mu|hectares|square)", re.I)),
    (
        "quantity",
        re.compile(
            # 哪几 asks "which ones", not "how many".
            r"多少|(?<!哪)几[个项条次家场人年月天万亿名所件种位户元倍批座]|多大|how (many|much)"
            r"|what (number|amount)|by how much|\b(what|which) (was|is|were|are) the (total |overall )?(number|amount|sum) of\b"
            r"|\b(what|which) (is|was|were|are)\b[^?]{0,60}\b(output|production|turnover|sales|volume)\b",
            re.I,
        ),
    ),
]

_DURATION = _unit("年|个月|月|天|日|小时|分钟|周|星期", r"years?|months?|days?|hours?|weeks?")
_HAS: dict[str, re.Pattern] = {
    "plan": re.compile(
        rf"将于|将在|将要|即将|预计|计划|力争|争取|有望|拟于|目标|{_NUMERAL}\s*[年月日号]底?前|年底前|月底前"
        r"|\b(will|plans?|planned|expected|aims?|target|due|scheduled|deadline)\b|\bby (the end of )?\d{4}\b",
        re.I,
    ),
    "contact": re.compile(r"\d{5,}|\d{3,4}-\d{7,8}|@|https?://|www\.|\.(com|cn|org|net)\b", re.I),
    "recommendation": re.compile(r"推荐|\brecommend", re.I),
    "age": re.compile(rf"{_NUMERAL}\s*(周)?岁|\b\d+\s*years? old\b|\baged? \d+", re.I),
    "address": re.compile(rf"{_NUMERAL}\s*号|[路街巷]\s*\d|地址|门牌|\baddress\b|\d+\s+\w+\s+(street|road|avenue)\b", re.I),
    "clock": re.compile(
        r"\d{1,2}\s*[:：]\s*\d\d|[0-9一二三四五六七八九十]+点|上午|下午|早上|晚上|\b[ap]\.?m\.?\b|o'clock"
        r"|周末|节假日|双休|星期|周[一二三四五六日]|全年无休|\b(weekends?|holidays?|saturdays?|sundays?)\b",
        re.I,
    ),
    "year": re.compile(r"(1[89]|20)\d\d\s*年?|今年|去年|明年"),
    # A year answers "when" too: "2060年前实现碳中和".
    "date": re.compile(rf"{_NUMERAL}\s*[月日号]|(1[89]|20)\d\d\s*年|[年月]底|[年月]初|今年|去年|上半年|下半年|季度|以来|起"),
    "percent": re.compile(rf"[%％]|百分之|{_NUMERAL}成|个百分点|\bper ?cent", re.I),
    "money": re.compile(_unit("元|块", r"yuan|dollars|rmb") + r"|[¥￥$]\s*\d", re.I),
    # Chinese counts people with a measure word (3.2万名), directly before a
    # noun for people (119万参保人员), or after a word for the count
    # (观看人次超过1.9亿).
    "people": re.compile(
        _unit(rf"名|位|人次|人|{_CJK}{{0,4}}?(?:人员|员|者|生|户|群众|居民|村民|党员|干部|职工|农民|家庭)", _EN_PEOPLE)
        + rf"|(?:人次|人数|人员|人口)[^，。；]{{0,4}}?{_NUMERAL}",
        re.I,
    ),
    "duration": re.compile(_DURATION, re.I),
    "length": re.compile(_unit("米|公里|千米|里", r"km|kilomet|met|miles?") + "|" + _DURATION, re.I),
    "area": re.compile(_unit("亩|平方米|平方公里|公顷", r"square|acres|hectares|mu\b") + "|㎡", re.I),
    # A Chinese numeral counts as an ordinal, before a measure word or unit,
    # or as a round number (百万石油员工): not in 老百姓, 十分, 四川 or 一条龙.
    "quantity": re.compile(
        rf"\d|第{_NUMERAL}|(?!一条龙){_NUMERAL}{_MAGNITUDE}(?:{_MEASURE_WORDS})|[一二三四五六七八九十两百千几]+[十百千万亿]"
    ),
}


# Cached, like subjects._asked: every sentence of a passage is checked
# against the same question.
@lru_cache(maxsize=256)
def asked_type(question: str) -> str | None:
    question = question.replace("啥", "什么")  # colloquial: 啥时候, 干啥
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


# Where a question asks a second thing: "几点上班，咨询电话是多少？",
# "When did it start, and how many have signed up?". A comma before a
# question word starts a part; the words before it ("截至4月底，") ask nothing.
_PARTS = re.compile(
    r"[？?]\s*(?=\S)|[，,;；]\s*(?:and\s+|还有|以及|并且|另外)?"
    r"(?=[^，,]*(?:多少|几|什么|何时|哪|谁|\bhow\b|\bwhen\b|\bwhat\b|\bwhere\b|\bwhich\b|\bwho\b))",
    re.I,
)


def asked_types(question: str) -> list[str | None]:
    """The kind of fact each part of a question asks for."""
    kinds = [kind for part in _PARTS.split(question) if (kind := asked_type(part))]
    return kinds or [asked_type(question)]


_WHY = re.compile(r"为什么|为啥|为何|什么原因|怎么考虑|\bwhy\b|\bwhat (?:was|is|were|are) the reasons?\b|\bfor what reason\b", re.I)
# Words that give a reason. An implicit one ("县城周围都是山") is missed,
# which is why this only settles ties and never declines a question.
_REASON = re.compile(
    r"因为|由于|为了|为[^，。；]{1,20}[，,]|如果|否则|之所以|原因|目的|旨在|才能|只有|得益于|面对|鉴于"
    r"|\b(?:because|so that|in order to|due to|thanks to|since)\b",
    re.I,
)


def asks_why(question: str) -> bool:
    return bool(_WHY.search(question))


def gives_reason(text: str) -> bool:
    return bool(_REASON.search(text))


def counts_in(unit: str, text: str) -> bool:
    """Whether `text` counts something in a Chinese measure word (2769起)."""
    return re.search(_unit(re.escape(unit)), text) is not None


def has_type(text: str, kind: str | None) -> bool:
    """True when `text` holds a fact of `kind` (always true for no kind)."""
    return kind is None or bool(_HAS[kind].search(text))
