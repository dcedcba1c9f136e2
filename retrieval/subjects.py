"""Whom or what a question asks about, and whether a passage speaks of it.

Common near-misses pass every other test: "Who is the mayor of Xiangyang?"
cited to a passage about Xiangyang that names no mayor; "How many rescuers
were sent to Zhengzhou?" cited to one that counts the people rescued; "How
many cases were found last year?" cited to this year's figures; "What is the
name of Mr. Li's company?" cited to a story that speaks only of "一家公司";
"排第二的是哪件" cited to one that says only what came first.
Each asks about a subject (the holder of a title, the kind of person or
thing counted, the period counted, the thing named) that the best passage
never gives, while the topic, the place and even the kind of fact match.

A subject is a small set of words that mean the same thing, in Chinese and
in English, so that an English question about Chinese documents is checked
against the Chinese words. The lists name what news reports count and
whose names they ask for; a subject they do not list is never checked, so a
missing entry can only let a near-miss through, never decline an answerable
question.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from .answer_types import asked_type, asked_types, counts_in, has_type
from .lexical import tagged
from .names import chinese_names, names_in, person_names, place_names, written_in
from .sentences import is_chinese, split_sentences


@dataclass(frozen=True)
class Subject:
    chinese: str  # regex alternatives, as written in Chinese text
    english: str  # regex alternatives, matched as whole words

    @cache
    def pattern(self, deputy: bool = False) -> re.Pattern:
        # A deputy is not the holder of the title: "副局长" does not name the 局长.
        not_deputy = "" if deputy else r"(?<!副)(?<!deputy )(?<!vice )(?<!vice-)"
        return re.compile(rf"{not_deputy}(?:{self.chinese})|{not_deputy}\b(?:{self.english})\b", re.I)


# Titles whose holder a "who" question may ask for.
TITLES = (
    Subject("市长", "mayors?"),
    Subject("省长", "governors?"),
    Subject("县长", r"county (?:heads?|chiefs?|magistrates?)|magistrates?|heads? of (?:the )?county"),
    Subject("书记", "secretary|secretaries"),
    Subject("部长", "ministers?"),
    # 局 is a "bureau", or for national bodies an "administration" (国家税务总局).
    Subject(
        "局长",
        r"(?:bureau|administration) (?:chiefs?|directors?|heads?)"
        r"|(?:directors?|heads?|chiefs?) of (?:the |its )?\w+(?: \w+){0,3} (?:bureau|administration)",
    ),
    Subject("主任|局长|处长|所长|司长|署长|厅长|馆长", "directors?"),
    Subject("董事长|主席", "chairman|chairwoman|chairperson|chair"),
    Subject("总经理|总裁|首席执行官|CEO", "ceo|chief executive|general manager|president of the company"),
    Subject("校长", "principals?|headmasters?|headmistress"),
    Subject("院长", "deans?"),
    Subject("村支书|村主任|村长|书记|主任", r"village (?:heads?|chiefs?|leaders?)"),
    Subject("总理", "premiers?|prime ministers?"),
    Subject("总统|主席", "presidents?"),
    # Any official, a deputy too: "the name of the official who led the reform".
    Subject(
        "负责人|负责同志|领导|官员|干部|副?(?:书记|市长|县长|局长|主任|部长|厅长|处长)",
        r"officials?|leaders?|person in charge|spokes(?:man|woman|person)|(?<=who )(?:leads|led|runs|ran|heads|headed|is in charge)",
    ),
)

# Kinds of people and things a "how many" question may count.
COUNTED = (
    Subject("救援人员|救援队员|消防员|消防救援人员|指战员|救援者", r"rescuers|rescue (?:workers|personnel|team members)|firefighters"),
    Subject(
        "遇难|死亡|丧生|身亡|罹难|伤亡|受伤|失踪",
        r"died|dead|deaths?|killed|death toll|lost their lives|injured|injuries|casualties|missing",
    ),
    Subject("嫌疑人|嫌犯|抓获|逮捕|拘留|被捕|落网", r"suspects?|arrested|arrests?|detained|detentions?"),
    Subject("学生|毕业生|学子", "students|pupils|graduates"),
    Subject("毕业生", "graduates"),
    Subject("教师|老师", "teachers"),
    Subject("医生|医务人员|医护人员|护士|医师", r"doctors|nurses|medical (?:staff|workers)"),
    Subject("患者|病人|病患", "patients"),
    Subject("志愿者", "volunteers"),
    Subject("游客|旅客", "tourists|travell?ers"),
    Subject("退休人员|离退休|退休职工", "retirees|pensioners"),
    Subject("员工|职工|工人|务工|劳动者|从业人员", "employees|workers|staff"),
    Subject("农民|村民|农户", "farmers|villagers"),
    Subject("党员", r"party members|members of the party"),
    Subject("医院|卫生院|诊所|医疗机构", "hospitals|clinics"),
    Subject("学校|小学|中学|幼儿园|高校|大学|学院", "schools|universities|colleges|kindergartens"),
    Subject("企业|公司|商户|市场主体|厂", "companies|enterprises|firms|businesses|factories"),
    Subject("村", "villages"),
    Subject("协会|商会|社会组织|行业组织", r"associations|chambers(?: of commerce)?|(?:social |trade )?organi[sz]ations"),
    # A rate is of something: a reimbursement rate is not a share of workers.
    Subject("报销", r"reimburse\w*"),
    Subject("干部|官员|公职人员", "officials|cadres"),
    Subject("移送|起诉|判刑|判处|追究刑事责任", r"referred|prosecuted|prosecutions?|convicted|sentenced"),
    Subject("增收|收入|营收|利润", r"income|earnings|revenues?|profits?"),
    Subject(
        "留言|来信|信件|来电|意见|建议|诉求|投诉|举报|工单",
        "messages|letters|calls|complaints|suggestions|opinions|requests|petitions|tip-offs|reports",
    ),
)

# One place's or body's share of a figure given for several together.
# 其中 ends a clause when it means "in it" (参与其中), not "of which".
_PART = Subject(
    r"单独|单是|各自|其中(?![，。；！？、]|$)", r"alone|by itself|on (?:its|their) own|individually|separately|specifically"
)
# "共同体里，肉牛产业的共同体有多少个", "实事里，教育类项目占多少项": a total
# set out, then a part of it counted; "天津一个城市有多少人": one of several.
_PART_ASKED = re.compile(
    r"(?:里|中|当中|之中)[，,][^，。？]{1,12}(?:的|类|占)[^，。？]{0,4}(?:多少|几)|(?:单|一个)(?:城市|省份?|市|县|地方|地区)"
)

# A part given as its share of the whole: "已消除风险的占…", not "占地".
_SHARE = re.compile(r"占(?!地)")

# What else may qualify the figure asked for: a superlative ("the largest
# single fine"), a period other than the story's own present. A question
# with one needs a figure given with it, not the story's total for this year.
QUALIFIERS = (
    Subject(
        "最(?:大|高|多|少|低|小|长|短|重)|之最",
        "largest|biggest|highest|lowest|smallest|fewest|greatest|maximum|minimum",
    ),
    Subject("去年|上一年|上年", r"last year|the previous year|a year (?:earlier|before|ago)|the year before"),
    Subject("前年", "the year before last|two years ago"),
    Subject("明年|下一年", "next year"),
    # Before a change, not before a date: "改革之前", not "6月30日之前".
    Subject(
        r"(?<![\d日月年底号天])(?:以|之)前|此前|原来|原先|[从由][^，。；]{0,8}(?:提高|增加|降低|减少|下降|上升|增长)",
        r"previously|used to be|originally|(?:before|prior to) (?:the |its |this |that )?(?:\w+ )?"
        r"(?:reforms?|changes?|pilots?|campaign|programm?e?s?|polic(?:y|ies)|measures?)",
    ),
)

# The whole country or province, as against the places a figure is given for:
# "电子驾驶证什么时候在全国推开" is not answered by "天津、成都、苏州三地开始试点".
_WHOLE = Subject(
    "全国|全省|全市|全县|全区|各地|各省|各市|所有(?:城市|地方|地区|省份)|全境",
    r"nationwide|nationally|across the country|country-?wide|throughout the country|all over the country"
    r"|(?:whole|entire|all) (?:of )?(?:the )?(?:[A-Z]\w+ )?(?:country|province|city)|province-?wide|city-?wide|all cities",
)

# Things whose name a question may ask for, which news stories often leave
# unnamed: "一家公司负责人李先生", "一个小山村", "4个重点园区".
NAMED = (
    Subject("公司|企业", "company|firm|business|enterprise"),
    Subject("村", "village"),
    Subject("园区|开发区|产业园", r"(?:industrial |industry |key )?parks?|zones?"),
    Subject("医院|卫生院", "hospital"),
    Subject("学校|小学|中学|幼儿园|大学|高校", "school|kindergarten|university|college"),
    Subject("小区|社区", "compound|community|neighbou?rhood"),
    Subject("工厂", "factory|plant"),
    Subject("App|APP|app|应用|软件|小程序|客户端", r"apps?|application|software|mini[- ]?programs?"),
)

_WHO = re.compile(r"谁|叫(?:什么|啥)|(?:什么|啥)名字|名字是|姓名|哪位|\bwho(?:m|se)?\b|\bname of\b|\bnamed?\b", re.I)
# Which body, place or programme: asks for a name as much as "who" does.
_WHICH_NAMED = re.compile(
    r"哪(?:些|个|几个|家|所)?(?:部门|单位|机构|部委|企业|公司|城市|地方|省份?|高校|学校|医院|平台|项目|工程|活动)"
    r"|\bwhich (?:\w+ ){0,2}?(?:ministr|department|agenc|bod(?:y|ies)|organi[sz]ation|compan|firm|cit(?:y|ies)"
    r"|province|universit|school|hospital|programm|project|campaign|initiative|platform)"
    r"|\bwhat (?:is|was|are|were)\b.{0,80}\bcalled\b",
    re.I,
)
_CLAUSE = re.compile(r"[，。；！？、,;!?]|\.(?=\s)")
# 一家公司, 4个重点园区, 某村: a thing counted or pointed at, not named.
_INDEFINITE = re.compile(
    r"(?:[一两几数某多]|\d+)(?:个|家|所|座|处|片)[^，。；、“”]{0,6}$|某[^，。；、“”]{0,4}$|(?:各|部分|一些|有些|相关|有关)$"
)
# A figure counted to a month's end ("截至7月底", "by the end of July").
_MONTH = r"([0-9０-９]{1,2}|十[一二]?|[一二三四五六七八九])"
_CUTOFF = re.compile(
    rf"截[至止](?:今年)?{_MONTH}月|{_MONTH}月底"
    r"|\b(?:by|as of|until|through|up to) (?:the end of )?(january|february|march|april|may|june|july|august"
    r"|september|october|november|december)\b",
    re.I,
)
_MONTH_NAMES = "january february march april may june july august september october november december".split()
_MONTH_NUMBER = {
    **{w: i for i, w in enumerate("一二三四五六七八九", start=1)},
    **{"十": 10, "十一": 11, "十二": 12},
    **{m: i for i, m in enumerate(_MONTH_NAMES, start=1)},
}
# A specific measure word or unit says what is counted: 多少起 asks for
# cases, 多少头 for head of livestock, 多少吨 for a weight, and a passage that
# gives none in that word does not count them. Words that count anything
# (个, 家, 名, 件, 次) are left out.
_MEASURED = re.compile(r"(?:多少|几)(公斤|千克|立方米|千瓦时|[起项场户头辆台套架艘棵株吨篇份张座栋例宗笔支])")
_FIGURE_KINDS = {"people", "quantity", "percent", "money", "duration", "area", "length"}
_TIME_KINDS = {"date", "year", "plan"}
# A title's holder may follow after 、 and another title, not after a comma.
_CLAUSE_END = re.compile(r"[，。；！？,;!?]")
# A question about a deputy; "the director (not the deputy)" is not one.
_DEPUTY = re.compile(r"(?<!不是)(?<!非)副|(?<!not )(?<!not the )(?<!not a )\b(?:deputy|vice)\b", re.I)
# Counting questions: how many rescuers, what share of the workers.
_COUNTING = {"people", "quantity", "percent"}
# What is counted stands next to the counting words: "多少名救援人员",
# "遇难人数是多少", "how many suspects were arrested". Farther off, a
# subject is usually someone else: "how many people did rescuers save".
_COUNTED_NEARBY = re.compile(
    r"(?P<before>[^，。？！,.?!]{0,6}(?:一共|总共|共计|共)?有?)(?:多少|几|百分之)(?P<after>[^，。？！,.?!]{0,8})"
    r"|\b(?:how many|what (?:number|percentage|percent|share|proportion|rate))\b(?: of\b)?(?:\W+\w+){0,4}"
    r"|(?:\w+\W+){0,3}(?:rates?|ratio|share|proportion)\b",
    re.I,
)


def asked_subjects(question: str) -> list[Subject]:
    """The titles a "who" question asks after, or the kinds of people and
    things a counting question counts."""
    return list(_asked(question)[0])


def asks_for_name(question: str) -> bool:
    """"谁", "叫什么", "哪些部门", "who", "which ministries", "the name of"."""
    return bool(_WHO.search(question) or _WHICH_NAMED.search(question))


@lru_cache(maxsize=256)
def _asked(question: str) -> tuple[tuple[Subject, ...], bool]:
    """The subjects asked about, and whether they are counted. A subject
    only named inside another's words ("workers" in "rescue workers") is not
    asked about on its own. Cached: the short answer checks every sentence
    of a passage against the same question, and reading it takes jieba."""
    if _WHO.search(question):
        candidates, phrase = TITLES, question
    elif asked_type(question) in _COUNTING:
        candidates, phrase = COUNTED, " | ".join(map(_counted_phrase, _COUNTED_NEARBY.finditer(question)))
    else:
        return (), False
    spans = {s: [m.span() for m in s.pattern(deputy=True).finditer(phrase)] for s in candidates}
    every = [span for found in spans.values() for span in found]

    def inside_another(span: tuple[int, int]) -> bool:
        return any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in every)

    asked = tuple(s for s, found in spans.items() if any(not inside_another(span) for span in found))
    return asked, candidates is COUNTED


def _counted_phrase(match: re.Match) -> str:
    """The words around a counting word that say what is counted. A noun
    after "多少" names it, and the people before are then only its
    context: "给毕业生提供了多少条岗位信息" counts job postings, not graduates."""
    after = match["after"] or ""
    if match["before"] and not any(s.pattern(deputy=True).search(after) for s in COUNTED) and _names_a_thing(after):
        return after
    return match.group()


def _names_a_thing(words: str) -> bool:
    # One-character nouns (人, 条, 村) are counters or too general to say what is counted.
    return any(len(word) > 1 and flag in ("n", "nz", "vn") for word, flag in tagged(words))


def missing_subject(question: str, text: str) -> bool:
    """True when the question asks about a subject that `text` does not
    name: a kind counted, in a clause with a number ("提供岗位信息2066万条"
    counts job postings, not graduates in work); a title, in Chinese text
    followed by the holder's name ("县委书记陈志说", not "党组负责同志分别带队")."""
    subjects, counted = _asked(question)
    deputy = bool(_DEPUTY.search(question))
    if counted:
        places = _clauses_with_numbers(text)
        return any(not any(s.pattern(deputy).search(place) for place in places) for s in subjects)
    return any(not _holder_named(s.pattern(deputy), text) for s in subjects)


def _holder_named(title: re.Pattern, text: str) -> bool:
    if not is_chinese(text):
        return bool(title.search(text))
    # The name follows the title, perhaps after another one: "纪委书记、监委主任冯汉芬说".
    return any(person_names(_CLAUSE_END.split(text[m.end() : m.end() + 10])[0]) for m in title.finditer(text))


def missing_qualifier(question: str, text: str) -> bool:
    """True when the question asks for a figure with a qualifier (last
    year's, the one before a change, the largest, one place's alone) and no
    clause of `text` gives a number with that qualifier; when it asks for a figure up
    to one month's end and `text` counts only to another's; or when it counts
    in a specific measure word (多少起) that `text` never counts in."""
    if asked_type(question) not in _FIGURE_KINDS:
        return False
    asked = [q for q in QUALIFIERS if q.pattern().search(question)]
    clauses = _clauses_with_numbers(text)
    if any(not any(q.pattern().search(c) for c in clauses) for q in asked):
        return True
    # A part is split at commas only: "其中工艺流程、智能制造领域相关技术30余项".
    parts = _clauses_with_numbers(text, _CLAUSE_END)
    if _asks_part(question) and not any(_PART.pattern().search(c) or _SHARE.search(c) for c in parts):
        return True
    asked_months, given_months = _cutoff_months(question), _cutoff_months(text)
    if asked_months and given_months and not asked_months & given_months:
        return True
    return any(not counts_in(unit, text) for unit in _MEASURED.findall(question))


def missing_scope(question: str, text: str) -> bool:
    """True when the question asks for a figure or date for the whole
    country or province and every sentence of `text` that gives one gives
    it for named places only: a pilot in three cities, one city's count."""
    kind = asked_type(question)
    if kind not in _FIGURE_KINDS | _TIME_KINDS or not _WHOLE.pattern().search(question):
        return False
    given = [s for s in split_sentences(text) if has_type(s, kind)]
    return bool(given) and not any(_WHOLE.pattern().search(s) or not place_names(s) for s in given)


def _asks_part(question: str) -> bool:
    # A share asked for is a part already: "已有91%的监测对象" gives it.
    return bool(
        _PART.pattern().search(question) or (_PART_ASKED.search(question) and asked_type(question) != "percent")
    )


def _clauses_with_numbers(text: str, separator: re.Pattern = _CLAUSE) -> list[str]:
    return [c for c in separator.split(text) if has_type(c, "quantity")]


def _cutoff_months(text: str) -> set[int]:
    months = set()
    for match in _CUTOFF.finditer(text):
        month = next(g for g in match.groups() if g).lower()
        month = unicodedata.normalize("NFKC", month)
        months.add(int(month) if month.isdigit() else _MONTH_NUMBER[month])
    return months


def leaves_unnamed(question: str, text: str) -> bool:
    """True when the question asks for the name of a thing that `text` only
    points at ("一家公司", "一个小山村") and never names, or never mentions."""
    for thing in NAMED:
        if not _asks_name_of(thing, question):
            continue
        if not re.search(thing.chinese, text):
            return True  # "which app" of a passage that mentions none
        before = [text[max(0, m.start() - 10) : m.start()] for m in re.finditer(thing.chinese, text)]
        before = [_CLAUSE.split(b)[-1] for b in before]
        pointed = [bool(_INDEFINITE.search(b)) for b in before]
        named = [not p and (b.endswith("”") or bool(chinese_names(b))) for b, p in zip(before, pointed)]
        if any(pointed) and not any(named):
            return True
    return False


def _asks_name_of(thing: Subject, question: str) -> bool:
    """"小山村叫什么名字", "公司的名称", "哪几个园区", "the name of Mr. Li's
    company", "what is the park called", "which parks": the thing stands
    right by the words that ask for a name. "小山村投票排第一的实事叫什么"
    asks for the name of the 实事, not the village's."""
    return bool(
        re.search(
            rf"(?:{thing.chinese})(?:的|分别|具体|全)*(?:叫什么|叫啥|名字|名称|全称|叫做)|哪几?[个家所座些]?(?:{thing.chinese})",
            question,
        )
        or re.search(
            rf"\b(?:full )?names? of\b(?:\W+[\w.]+){{0,5}}?\W+(?:{thing.english})\b"
            rf"|\b(?:{thing.english})\b\W+(?:(?:is|are|was|were)\W+)?called\b|\bwhich (?:\w+ ){{0,2}}(?:{thing.english})\b",
            question,
            re.I,
        )
    )


# A place in a ranking or a sequence: "排第二的是哪件", "第三名", "第二批", "ranked second".
_RANK_ASKED = re.compile(
    r"(?:排名?|位列|名列|位居|居)第([一二三四五六七八九十]|\d+)|第([一二三四五六七八九十]|\d+)(?:名|位(?![置数])|批|轮|期|阶段)"
    r"|\b(?:rank(?:s|ed)?|came|comes|placed|finish(?:ed)?)\s+(?:in\s+)?(first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))\b"
    r"|\b(second|third|fourth|fifth|\d+(?:st|nd|rd|th))[- ](?:place|ranked|on the list|in line|priority|batch|round|phase|wave)\b",
    re.I,
)
_RANK_GIVEN = re.compile(r"第([一二三四五六七八九十]|\d+)|(首)(?=批|轮|期)|\b(first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))\b", re.I)
_ORDINALS = {
    "首": 1,
    **{w: i for i, w in enumerate("一二三四五六七八九十", start=1)},
    **{w: i for i, w in enumerate("first second third fourth fifth".split(), start=1)},
}


def missing_rank(question: str, text: str) -> bool:
    """True when the question asks for what stands at a place in a ranking
    ("排第二的是哪件") and `text` never gives that place: a story that says
    what came first does not say what came second."""
    asked = _ranks(_RANK_ASKED, question)
    return bool(asked) and not asked & _ranks(_RANK_GIVEN, text)


# "Which city had the most applicants": a comparison, which a story that
# gives one total for three cities does not make.
_MOST_ASKED = re.compile(
    r"最(?:大|高|多|少|低|小)|\b(?:largest|biggest|highest|lowest|smallest|fewest|greatest)\b"
    r"|\b(?:had|has|have|got|received|saw|with) the (?:most|fewest|least)\b",
    re.I,
)
_MOST_GIVEN = re.compile(
    r"最|之首|居首|第一|排名|领先|位居|\b(?:most|least|largest|biggest|highest|lowest|smallest|fewest|greatest|top|first|leading)\b",
    re.I,
)


def missing_comparison(question: str, text: str) -> bool:
    """True when a question that is not for a figure asks which thing is
    the largest or has the most and `text` compares nothing (figures are
    checked by missing_qualifier)."""
    if asked_type(question) in _FIGURE_KINDS or not _MOST_ASKED.search(question):
        return False
    return not _MOST_GIVEN.search(text)


def _ranks(pattern: re.Pattern, text: str) -> set[int]:
    words = (next(g for g in match.groups() if g).lower() for match in pattern.finditer(text))
    # "2nd" and "2" are both the second place.
    return {int(re.match(r"\d+", w).group()) if w[0].isdigit() else _ORDINALS[w] for w in words}


# A private person as news writes one: 李先生, 王女士, 张某.
_ANONYMOUS = re.compile(r"[\u4e00-\u9fff](?:先生|女士|某某?)")
_THEIR_NAME = re.compile(
    r"[\u4e00-\u9fff](?:先生|女士|某某?)的?(?:全名|真名|大名|名字|姓名|叫什么名字)"
    r"|\b(?:full|real|first|given) name\b|\b(?:mr|ms|mrs|miss)\.? \w+'s name\b",
    re.I,
)


def withholds_name(question: str, text: str) -> bool:
    """True when the question asks for the name of a private person whom
    `text` calls only 李先生: news withholds such names."""
    if not _THEIR_NAME.search(question):
        return False
    anonymous = set(_ANONYMOUS.findall(text))
    surnames = {a[0] for a in anonymous}
    named = [n for n in person_names(text) if n[0] in surnames and n not in anonymous]
    return bool(anonymous) and not named


# "除了郑州，还有哪些城市", "apart from Zhengzhou, which cities": others asked for.
_BESIDES = re.compile(
    r"除了?([^，。？！]{1,12}?)(?:以外|之外|外)?[，,]?[^，。？！]{0,12}?(?:还有|还|其他|其它|别的|另外)"
    r"|\b(?:apart from|aside from|besides|other than|except(?: for)?|in addition to)\s+([^,?;]+)",
    re.I,
)


def leaves_out_others(question: str, text: str) -> bool:
    """True when the question asks which others there are besides a name it
    gives, and the clauses of `text` that write that name list no other with
    it: "驰援郑州等地" answers nothing about the cities besides Zhengzhou."""
    match = _BESIDES.search(question)
    if not match:
        return False
    besides = next(g for g in match.groups() if g)
    given = [n for spellings in names_in(question) if any(written_in(n, besides) for n in spellings) for n in spellings]
    clauses = [c for c in _CLAUSE_END.split(text) if any(written_in(n, c) for n in given)]
    return bool(clauses) and not any(
        _listed(name, c) and not any(written_in(n, name) for n in given) for c in clauses for name in chinese_names(c)
    )


def _listed(name: str, clause: str) -> bool:
    """Whether a name stands in a list ("天津、成都、苏州"), not before the
    place it contains ("河南省郑州市")."""
    return re.search(rf"[、和与及]{re.escape(name)}|{re.escape(name)}[、和与及]", clause) is not None


def holds_asked_fact(question: str, text: str) -> bool:
    """Whether `text` could answer the question: it holds the kind of fact
    asked for (see answer_types), names the title or kind counted, gives
    the figure for the period, part, superlative or whole asked about, names the
    thing or person asked after, gives the place in a ranking or the
    comparison asked for and lists others where others are asked for."""
    return (
        all(has_type(text, kind) for kind in asked_types(question))
        and not missing_subject(question, text)
        and not missing_qualifier(question, text)
        and not missing_scope(question, text)
        and not leaves_unnamed(question, text)
        and not missing_rank(question, text)
        and not missing_comparison(question, text)
        and not leaves_out_others(question, text)
        and not withholds_name(question, text)
    )
