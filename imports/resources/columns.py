"""The columns of the flat templates: their canonical Chinese headers, help texts and accepted aliases, and how a
header as written ("调整后预算数（万元）", "本年财政拨款-年初预算") is mapped to its canonical form."""

import re
from dataclasses import dataclass

from budgets.models import RuleProfile
from imports.wording import GRADE_CHOICES, fold

YEAR, DEPARTMENT, UNIT, PROJECT_NAME, PROJECT_CODE = "年度", "主管部门", "预算单位", "项目名称", "项目编码"
TOTAL, GRADE = "总分", "自评等级"
LEVEL1, LEVEL2, LEVEL3 = "一级指标", "二级指标", "三级指标"
SIGN, TARGET, MEASURE_UNIT, ACTUAL = "指标性质", "年度指标值", "度量单位", "实际完成值"
WEIGHT, SCORE, REASON = "分值", "得分", "偏差原因分析及改进措施"

INITIAL, ADJUSTED, EXECUTED = "年初预算数", "全年预算数", "全年执行数"
FUND_MEASURES = {INITIAL: "initial_wan", ADJUSTED: "adjusted_wan", EXECUTED: "executed_wan"}
MEASURE_ALIASES = {
    "年初预算数": INITIAL,
    "年初预算": INITIAL,
    "全年预算数": ADJUSTED,
    "调整后预算数": ADJUSTED,
    "全年执行数": EXECUTED,
    "预算执行数": EXECUTED,
}
FUND_SOURCE_ALIASES = {"当年财政拨款": "本年财政拨款"}
# Sum rows of the budget block: computed, never imported.
TOTAL_SOURCES = {"年度资金总额", "资金总额", "合计", "总计", "小计", "项目资金"}


@dataclass(frozen=True)
class Column:
    """One column of a flat template: its header, what to write in it, and the other headers accepted for it."""

    header: str
    help: str
    aliases: tuple[str, ...] = ()
    width: int = 14
    required: bool = False


_KEY_COLUMNS = (
    Column(YEAR, "四位数年度，例如 2024；导入时指定了年度则以指定的为准。", ("年份",), 8, True),
    Column(
        DEPARTMENT,
        "主管部门全称；系统中没有的部门会在该财政局下新建。新的预算单位必须填写；单位名称在全市唯一时可留空。",
        (),
        26,
    ),
    Column(
        UNIT,
        "实施项目的预算单位全称；部门本级的项目填部门名称或留空。系统中没有的单位会在所填主管部门下新建。",
        ("实施单位",),
        26,
    ),
    Column(PROJECT_NAME, "项目全称。同一年度同一单位的项目名称不能重复。", ("项目",), 30, True),
    Column(PROJECT_CODE, "可选。填写后优先按项目编码匹配已有项目。", (), 24),
)

PROJECT_HEAD_COLUMNS = (
    *_KEY_COLUMNS,
    Column("项目类型", "常年项目 或 一次性项目。", (), 12),
    Column("项目负责人", "", (), 12),
    Column("财务负责人", "", (), 12),
    Column("联系电话", "", (), 16),
    Column("项目概况/实施内容", "项目概况、实施内容。", ("项目概况", "实施内容", "项目概况及实施内容"), 40),
    Column("预期目标", "年度总体目标·预期目标。", ("年度总体目标", "年度目标"), 40),
    Column("实际完成情况", "年度总体目标·实际完成情况。", ("年度总体目标完成情况",), 40),
    Column("执行率偏低原因", "执行率低于规则方案阈值（默认 90%）时填写。", ("执行率偏低原因说明",), 30),
    Column("预算调整理由", "全年预算数与年初预算数不同（追加或调减）时填写。", ("预算调整原因",), 30),
)
PROJECT_TAIL_COLUMNS = (
    Column(TOTAL, "自评总分，按原表填写（不改动原值）；系统另行计算总分以便核对。", ("自评总分", "总得分"), 10),
    Column(GRADE, f"{GRADE_CHOICES}。", ("等级", "自评结果"), 10),
    Column("评价结论", "", (), 30),
    Column("存在问题", "", (), 30),
    Column("改进措施", "", (), 30),
)
# Accepted on import, not offered in the template.
PROJECT_OPTIONAL_COLUMNS = (
    Column("设立背景", "可选：项目设立背景。", ("立项依据",), 30),
    Column("绩效自评综述", "可选：绩效自评综述。", ("自评综述",), 30),
)

INDICATOR_COLUMNS = (
    *_KEY_COLUMNS,
    Column(LEVEL1, "产出指标、效益指标、满意度指标（或规则方案中的其他一级指标）。", ("一级绩效指标",), 12, True),
    Column(LEVEL2, "例如 数量指标、质量指标、时效指标、成本指标、社会效益指标。", ("二级绩效指标",), 16, True),
    Column(LEVEL3, "指标名称；空行（占位行）可留空。", ("三级指标名称", "指标名称"), 30),
    Column(
        SIGN,
        "≥、>、=、≤、< 或 定性（全角 ＞ ＜ ＝ 与 >=、<= 也可）。留空时从年度指标值中读取，如“≥95%”。",
        ("指标方向",),
        10,
    ),
    Column(TARGET, "数值，或带符号和单位的写法如“≥95%”；定性指标填文字。", ("指标值", "年度目标值"), 16),
    Column(MEASURE_UNIT, "%、人、次、个、万元、元/台……；留空时从年度指标值中读取。", ("计量单位",), 10),
    Column(
        ACTUAL,
        "数值；定性指标填 达成年度指标 / 部分达成年度指标并具有一定效果 / 未达成年度指标且效果较差，或文字说明。",
        ("完成值", "实际值", "全年实际值"),
        16,
    ),
    Column(WEIGHT, "该指标的分值（权重）。", ("权重", "指标分值"), 8),
    Column(SCORE, "自评得分，按原表填写：高于分值的历史数据照原样导入，由智能审核提示。", ("自评得分",), 8),
    Column(REASON, "得分低于分值或超额完成时说明原因。", ("未完成原因分析", "偏差原因", "偏差原因分析"), 36),
)

HEADER_ALIASES = {
    alias: column.header
    for column in (*PROJECT_HEAD_COLUMNS, *PROJECT_TAIL_COLUMNS, *PROJECT_OPTIONAL_COLUMNS, *INDICATOR_COLUMNS)
    for alias in column.aliases
}

_SUFFIX = re.compile(r"\((?:万元|元|%|[A-Za-z]|\d+(?:\.\d+)?分|必填|选填)\)$")
_FUND_HEADER = re.compile(r"^(?P<source>.*?)[-_·/:]?(?P<measure>" + "|".join(MEASURE_ALIASES) + r")$")


def _squash_header(value: object) -> str:
    text = fold(value).strip("*")
    while True:
        shorter = _SUFFIX.sub("", text)
        if shorter == text:
            return text
        text = shorter


def fund_header(source: str, measure: str) -> str:
    return f"{source}{measure}"


def parse_fund_header(header: str) -> tuple[str, str] | None:
    """(source, measure) of a canonical fund column ("本年财政拨款全年预算数"); source "" for a bare measure."""
    match = _FUND_HEADER.match(header)
    if not match:
        return None
    return match["source"], MEASURE_ALIASES[match["measure"]]


def normalise_header(value: object) -> str:
    """The canonical header of a column as written: blanks and line breaks removed, full-width folded, suffixes
    such as "（万元）" or "(50分)" dropped, aliases mapped (指标名称 → 三级指标, 调整后预算数 → 全年预算数 …)."""
    text = _squash_header(value)
    if not text:
        return ""
    if text in HEADER_ALIASES:
        return HEADER_ALIASES[text]
    fund = _FUND_HEADER.match(text)
    if fund:
        source = FUND_SOURCE_ALIASES.get(fund["source"], fund["source"])
        return fund_header(source, MEASURE_ALIASES[fund["measure"]])
    return text


def fund_headers(profile: RuleProfile) -> list[str]:
    """The three columns of each fund source of ``profile``, in the profile's order."""
    return [fund_header(source, measure) for source in fund_source_names(profile) for measure in FUND_MEASURES]


def fund_source_names(profile: RuleProfile) -> list[str]:
    return list(profile.fund_sources.order_by("order", "pk").values_list("name", flat=True))


def project_headers(profile: RuleProfile) -> list[str]:
    return [
        *(c.header for c in PROJECT_HEAD_COLUMNS),
        *fund_headers(profile),
        *(c.header for c in PROJECT_TAIL_COLUMNS),
    ]


def indicator_headers() -> list[str]:
    return [c.header for c in INDICATOR_COLUMNS]


def is_fund_header(header: str) -> bool:
    parsed = parse_fund_header(header)
    return parsed is not None and parsed[0] not in TOTAL_SOURCES


def accepted_project_headers() -> set[str]:
    return {c.header for c in (*PROJECT_HEAD_COLUMNS, *PROJECT_TAIL_COLUMNS, *PROJECT_OPTIONAL_COLUMNS)}


def accepted_indicator_headers() -> set[str]:
    return {c.header for c in INDICATOR_COLUMNS}
