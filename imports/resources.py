"""django-import-export resources of the flat import templates: one row per project (with its fund rows) and one
row per indicator (SPEC §10.1).

``imports.readers.flat`` turns the sheets of an uploaded workbook into ``tablib.Dataset``s with canonical Chinese
headers (see :func:`normalise_header`) and hands them to :class:`ProjectResource` and :class:`IndicatorResource`.

How the resources use import-export, and why:

* ``use_bulk`` with ``batch_size``: rows are collected and written with ``bulk_create`` / ``bulk_update``. Bulk mode
  bypasses ``Model.save()`` and signals, so whatever ``save()`` would do is done here: ``Project.version`` is
  raised and ``updated_at`` set in :meth:`ProjectResource.before_save_instance` (``auto_now`` is not applied by
  ``bulk_update``); there are no signal receivers on these models.
* ``skip_diff``: no ``deepcopy`` of every instance and no HTML diff. import-export then cannot compare rows for
  ``skip_unchanged`` itself (its ``skip_row`` returns False whenever ``skip_diff`` is set), so each resource keeps
  a tuple of the tracked field values taken before the row is applied and :meth:`_FlatResource.skip_row` compares
  against it: unchanged rows are skipped (idempotent re-imports) and the changed fields are named for the preview.
* Foreign keys are never looked up per row: :meth:`before_import` resolves every row's fiscal year, organisation,
  project and existing instance from a few queries (the year's projects in one, the bureau's organisations in
  one, the existing indicators by project in chunks) and the instance loader only reads that.
* ``clean_model_instances`` stays off (``full_clean()`` would query once per foreign key and row); values are
  checked in Python as they are parsed: lengths, decimals, non-negative amounts and points.
* Callers must pass ``use_transactions=True`` and ``rollback_on_validation_errors=True`` to ``import_data``:
  import-export rolls back on exceptions, but a row with a validation error would otherwise leave every other row
  written (999 rows of 1,000).

Identity. A project is the row's 项目编码 when the year has a project with that code, else 预算单位 + 项目名称
(names compared ignoring full-width forms and blanks). An indicator is its project + position: the n-th indicator
row of a project on the sheet is the project's n-th stored indicator (by ``order``, then pk). Names would not do:
三级 names repeat, spacer rows have none, and a renamed indicator would be deleted and re-created, losing the
finance reviewer's 核查分数 attached to it. Positions are also what the standard-table import and the form use.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import F, Q
from django.utils import timezone
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader

from accounts.models import Organisation
from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from domain import scoring
from domain.numbers import fit
from evaluations.models import ProjectEvaluation
from imports.records import CREATED, IMPORTED_YEAR_NOTE, UNCHANGED, UPDATED, WARNING, Change, Outcome, Problem
from indicators.models import Indicator
from indicators.parsing import clean_text, is_placeholder, parse_decimal, parse_measure, qualitative_label_from_text

BATCH_SIZE = 500
# Key under which each row dict carries its RowState while import-export works on it.
STATE = "__flat_row_state__"

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
    Column(GRADE, "优、良、中 或 差。", ("等级", "自评结果"), 10),
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
_YEAR = re.compile(r"^(?P<year>\d{4})(?:\.0+)?(?:年度?)?$")
_DASHES = {"/", "／", "—", "——", "-", "--", "－"}


def fold(name: object) -> str:
    """A name for comparison: full-width forms folded (NFKC) and every blank removed."""
    return "".join(clean_text(name).split())


def _squash_header(value: object) -> str:
    text = "".join(clean_text(value).split()).strip("*")
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


# --- cell values --------------------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as text, kept as written (no NFKC: that would turn Chinese ，（） into ASCII in prose)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(value, ".15g")
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def parse_year(value: object) -> int | None:
    """2024, "2024", "2024年", "２０２４年度" → 2024; None for anything that is not a plausible year."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        number = int(value) if value == int(value) else None
    else:
        match = _YEAR.match(fold(cell_text(value)))
        number = int(match["year"]) if match else None
    return number if number is not None and 2000 <= number <= 2100 else None


def _fit_decimal(number: Decimal, *, label: str, text: str, places: int, digits: int, warn) -> Decimal:
    """``number`` as the database will keep it (``places`` decimals); a value that does not fit is refused."""
    try:
        fitted = fit(number, places=places, digits=digits)
    except ValueError:
        raise ValueError(f"“{label}”列的“{text}”数值过大，无法保存") from None
    if fitted != number:
        warn(f"“{label}”列的“{text}”超过 {places} 位小数，按 {fitted.normalize():f} 导入")
    return fitted


def parse_number(value: object, *, label: str, places: int, digits: int, warn, negative: bool = False):
    """A Decimal from a cell (number, text, full-width digits, "1,234.50", "100.00%"); None for blanks and "/"."""
    text = cell_text(value)
    if not text or is_placeholder(text):
        return None
    number = parse_decimal(value if not isinstance(value, str) else text)
    if number is None or isinstance(value, bool):
        raise ValueError(f"“{label}”列的“{text}”不是数字")
    if number < 0 and not negative:
        raise ValueError(f"“{label}”列的“{text}”是负数，这一列不能为负数")
    return _fit_decimal(number, label=label, text=text, places=places, digits=digits, warn=warn)


# --- row state ----------------------------------------------------------------------------------------------------


@dataclass
class RowState:
    """What the import knows about one data row: where it resolves to, its problems and what it changes."""

    index: int  # 1-based position in the dataset (import-export's row_number)
    excel_row: int
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (canonical column or "", message)
    fiscal_year: FiscalYear | None = None
    unit: Organisation | None = None
    name: str = ""
    code: str = ""
    project: Project | None = None  # indicator rows
    position: int | None = None  # indicator rows: n-th indicator row of its project on the sheet
    existing: object = None
    instance: object = None
    new: bool = False
    before: tuple | None = None
    changed: list[str] = field(default_factory=list)
    funds: dict[str, dict[str, Decimal]] | None = None  # project rows: None when the row states no amounts
    claims: dict = field(default_factory=dict)  # project rows: claimed_total / claimed_grade stated
    keys: tuple = ()  # project rows: how indicator rows may name this project
    pending: bool = False  # indicator row of a project listed on a 项目 sheet that could not be imported
    kept_name: str = ""  # project matched by a name differing only in full-width forms or blanks: the stored name
    saved: bool = False  # handed to import-export's save (bulk create or update)

    def error(self, column: str, message: str):
        self.errors[column or NON_FIELD_ERRORS].append(message)

    def warn(self, column: str, message: str):
        self.warnings.append((column, message))

    @property
    def action(self) -> str | None:
        if self.errors or self.pending or self.instance is None:
            return None
        if self.new:
            return CREATED
        return UPDATED if self.changed else UNCHANGED

    @property
    def label(self) -> str:
        if self.project is not None:
            indicator = self.instance
            name = (indicator.name if indicator is not None else "") or "（空）"
            return f"{self.project.unit.name} / {self.project.name} / 第 {self.position + 1} 条 {name}"
        unit = self.unit.name if self.unit else ""
        return f"{unit} / {self.instance.name if self.instance is not None else self.name}"


# --- widgets ------------------------------------------------------------------------------------------------------


class _CellWidget(widgets.Widget):
    """A widget that knows its column (canonical header, and the header as written in the file for messages)."""

    column = ""
    label = ""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)

    def _state(self, row) -> RowState | None:
        return row.get(STATE) if row is not None else None

    def _warner(self, row):
        state = self._state(row)
        return (lambda message: state.warn(self.column, message)) if state else (lambda message: None)


class TextWidget(_CellWidget):
    """Text as written. A blank cell gives ``blank`` (None: "not stated"); a dash ("/", "—") gives ""."""

    def __init__(self, *, max_length: int | None = None, blank=None, normalise: bool = False):
        self.max_length = max_length
        self.blank = blank
        self.normalise = normalise

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return self.blank
        if text in _DASHES:
            return ""
        if self.normalise:
            text = clean_text(text)
        if self.max_length and len(text) > self.max_length:
            raise ValueError(f"“{self.label}”列的内容有 {len(text)} 个字，超过了 {self.max_length} 个字的上限")
        return text


class NumberWidget(_CellWidget):
    """A Decimal with ``places`` decimals, through indicators.parsing (never float)."""

    def __init__(self, *, places: int, digits: int, negative: bool = False):
        self.places, self.digits, self.negative = places, digits, negative

    def clean(self, value, row=None, **kwargs):
        return parse_number(
            value,
            label=self.label,
            places=self.places,
            digits=self.digits,
            negative=self.negative,
            warn=self._warner(row),
        )


class ChoiceWidget(_CellWidget):
    """One of a few written forms mapped to a stored value; blank → None (not stated), a dash → ""."""

    def __init__(self, choices: dict[str, str], expected: str):
        self.choices = {fold(k): v for k, v in choices.items()}
        self.expected = expected

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        if text in _DASHES:
            return ""
        try:
            return self.choices[fold(text)]
        except KeyError:
            raise ValueError(f"“{self.label}”列的“{text}”无法识别，应为 {self.expected}") from None


PROJECT_TYPES = {
    "常年项目": Project.ProjectType.RECURRING,
    "常年": Project.ProjectType.RECURRING,
    "经常性项目": Project.ProjectType.RECURRING,
    "一次性项目": Project.ProjectType.ONE_OFF,
    "一次性": Project.ProjectType.ONE_OFF,
}
GRADES = {
    "优": "优",
    "优秀": "优",
    "良": "良",
    "良好": "良",
    "中": "中",
    "中等": "中",
    "一般": "中",
    "合格": "中",
    "差": "差",
    "较差": "差",
    "不合格": "差",
}


def _points(**kwargs):
    return NumberWidget(places=2, digits=7, **kwargs)


def _amount(**kwargs):
    return NumberWidget(places=6, digits=20, **kwargs)


# --- shared context -----------------------------------------------------------------------------------------------


class FlatContext:
    """What every sheet of one import shares: the bureau, its fiscal years and organisations, and the outcome that
    collects new organisations and years. Organisations are loaded in one query and created on demand."""

    def __init__(self, *, bureau: Organisation, outcome: Outcome, year: int | None = None, user=None):
        self.bureau = bureau
        self.outcome = outcome
        self.year_override = year
        self.user = user
        self.years: dict[int, FiscalYear] = {}
        self.created_years: set[int] = set()  # years this import creates
        self._fund_sources: dict[int, list[str]] = {}
        self.departments: dict[str, Organisation] = {}
        self.units: dict[tuple[int, str], Organisation] = {}
        self.by_name: dict[str, list[Organisation]] = defaultdict(list)
        self.organisations: dict[int, Organisation] = {}

    def fiscal_year(self, number: int) -> FiscalYear:
        """The bureau's year ``number``, created (with the latest year's profile, or "national") if missing."""
        found = self.years.get(number)
        if found is not None:
            return found
        found = FiscalYear.objects.filter(finance_bureau=self.bureau, year=number).select_related("profile").first()
        if found is None:
            latest = (
                FiscalYear.objects.filter(finance_bureau=self.bureau)
                .select_related("profile")
                .order_by("-year")
                .first()
            )
            profile = latest.profile if latest else RuleProfile.objects.get(code="national")
            # Not published on arrival: see imports.apply._fiscal_year.
            found = FiscalYear.objects.create(
                finance_bureau=self.bureau, year=number, profile=profile, status=FiscalYear.Status.CLOSED
            )
            self.outcome.changes.append(Change(CREATED, "年度", f"{number} 年度（{profile}）"))
            self.outcome.problems.append(Problem(WARNING, IMPORTED_YEAR_NOTE.format(number=number)))
            self.created_years.add(number)
        self.years[number] = found
        return found

    def fund_sources(self, year: FiscalYear) -> list[str]:
        if year.profile_id not in self._fund_sources:
            self._fund_sources[year.profile_id] = fund_source_names(year.profile)
        return self._fund_sources[year.profile_id]

    def load_organisations(self):
        """(Re)load the bureau's departments and units: one query."""
        self.departments.clear()
        self.units.clear()
        self.by_name.clear()
        self.organisations.clear()
        found = Organisation.objects.filter(Q(parent=self.bureau) | Q(parent__parent=self.bureau)).order_by("pk")
        for org in found:
            self._remember(org)

    def _remember(self, org: Organisation):
        self.organisations[org.pk] = org
        if org.kind == Organisation.Kind.DEPARTMENT and org.parent_id == self.bureau.pk:
            self.departments.setdefault(fold(org.name), org)
            self.by_name[fold(org.name)].append(org)
        elif org.kind == Organisation.Kind.UNIT:
            self.units.setdefault((org.parent_id, fold(org.name)), org)
            self.by_name[fold(org.name)].append(org)

    def unit(self, department: str, unit: str, *, create: bool) -> tuple[Organisation | None, str]:
        """The budget unit a row names, and an error message when there is none. With ``create``, a department or
        unit not yet known is created (under the bureau / the department) and listed in the outcome."""
        department, unit = cell_text(department), cell_text(unit)
        if not department and not unit:
            return None, f"没有填写“{DEPARTMENT}”和“{UNIT}”"
        if not department:
            matches = self.by_name.get(fold(unit), [])
            if len(matches) == 1:
                return matches[0], ""
            if matches:
                return None, f"预算单位“{unit}”在多个主管部门下都有，请填写“{DEPARTMENT}”"
            return None, f"找不到预算单位“{unit}”；新的预算单位须同时填写“{DEPARTMENT}”"
        for name in (department, unit):
            if len(name) > 200:
                return None, f"单位名称“{name[:20]}…”超过了 200 个字"
        found = self.departments.get(fold(department))
        if found is None:
            if not create:
                return None, ""
            found = Organisation.objects.create(name=department, parent=self.bureau, kind=Organisation.Kind.DEPARTMENT)
            self._remember(found)
            self.outcome.new_organisations.append(f"主管部门：{department}")
        if not unit or fold(unit) == fold(department):
            return found, ""
        department_org = found
        found = self.units.get((department_org.pk, fold(unit)))
        if found is None:
            if not create:
                return None, ""
            found = Organisation.objects.create(name=unit, parent=department_org, kind=Organisation.Kind.UNIT)
            self._remember(found)
            self.outcome.new_organisations.append(f"预算单位：{unit}")
        return found, ""


def _chunks(items, size=BATCH_SIZE):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- resources ----------------------------------------------------------------------------------------------------


class StateInstanceLoader(BaseInstanceLoader):
    """Returns the instance ``before_import`` already found for the row: no query per row."""

    def get_instance(self, row):
        return row[STATE].existing


class _FlatResource(resources.ModelResource):
    """Common machinery: row states, messages naming the file's headers, change tracking with ``skip_diff``."""

    # model attribute → Chinese name shown in the preview when it changes
    tracked: dict[str, str] = {}
    bulk_update_fields: tuple[str, ...] = ()

    def __init__(self, *, context: FlatContext, labels: dict[str, str] | None = None, row_numbers=None):
        super().__init__()
        self.context = context
        self.labels = dict(labels or {})
        self.row_numbers = list(row_numbers) if row_numbers is not None else None
        self.states: list[RowState] = []
        for resource_field in self.fields.values():
            resource_field.widget.column = resource_field.column_name
            resource_field.widget.label = self.label(resource_field.column_name)

    def label(self, column: str) -> str:
        """The column's header as written in the file."""
        return self.labels.get(column, column)

    def excel_row(self, index: int) -> int:
        return self.row_numbers[index - 1] if self.row_numbers else index + 1

    def _new_states(self, dataset) -> list[tuple[RowState, dict]]:
        self.states = []
        pairs = []
        for index, values in enumerate(dataset, 1):
            state = RowState(index=index, excel_row=self.excel_row(index))
            self.states.append(state)
            pairs.append((state, dict(zip(dataset.headers, values, strict=False))))
        return pairs

    def _row_year(self, state: RowState, row: dict) -> FiscalYear | None:
        number = self.context.year_override
        if number is None:
            raw = row.get(YEAR)
            number = parse_year(raw)
            if number is None:
                text = cell_text(raw)
                state.error(
                    YEAR, f"“{self.label(YEAR)}”列的“{text}”不是有效的年度" if text else f"没有填写“{self.label(YEAR)}”"
                )
                return None
        return self.context.fiscal_year(number)

    def _text(self, row: dict, column: str) -> str:
        value = cell_text(row.get(column))
        return "" if value in _DASHES else value

    # import-export hooks

    def before_import_row(self, row, **kwargs):
        row[STATE] = self.states[kwargs["row_number"] - 1]

    def get_instance(self, instance_loader, row):
        return instance_loader.get_instance(row)

    def after_init_instance(self, instance, new, row, **kwargs):
        state = row[STATE]
        state.instance, state.new = instance, new
        state.before = None if new else self.snapshot(instance)

    def snapshot(self, instance) -> tuple:
        return tuple(getattr(instance, name) for name in self.tracked)

    def import_instance(self, instance, row, **kwargs):
        """Apply every column, collecting all of the row's problems (keyed by column) instead of stopping at one."""
        state = row[STATE]
        for resource_field in self.get_import_fields():
            try:
                self.import_field(resource_field, instance, row, **kwargs)
            except ValueError as exc:
                state.error(resource_field.column_name, str(exc))
        self.import_extra(instance, row, state)
        if state.errors:
            raise ValidationError({key: list(messages) for key, messages in state.errors.items()})

    def import_extra(self, instance, row, state: RowState):
        """Values that take more than one column or live outside the model."""

    def skip_row(self, instance, original, row, import_validation_errors=None):
        state = row[STATE]
        if import_validation_errors or state.errors:
            return False
        if state.pending:
            return True
        if state.new:
            return False
        after = self.snapshot(instance)
        state.changed = list(
            dict.fromkeys(
                label
                for (name, label), old, new in zip(self.tracked.items(), state.before, after, strict=True)
                if old != new
            )
        )
        return not state.changed

    def get_bulk_update_fields(self):
        return list(self.bulk_update_fields)


class ProjectResource(_FlatResource):
    """The 项目 sheet: one row per project with its fund rows (three columns per fund source of the year's profile)
    and the claims of its self-evaluation (总分, 自评等级).

    A blank cell means "not stated" and keeps what is stored; a dash ("/") clears it. Fund rows: when a row states
    any amount, its fund sources are the budget block (a source left blank is removed); when it states none, the
    stored budget lines stay."""

    name = Field(attribute="name", column_name=PROJECT_NAME, widget=TextWidget(max_length=200))
    code = Field(
        attribute="code",
        column_name=PROJECT_CODE,
        widget=TextWidget(max_length=60, normalise=True),
        saves_null_values=False,
    )
    project_type = Field(
        attribute="project_type",
        column_name="项目类型",
        widget=ChoiceWidget(PROJECT_TYPES, "常年项目 或 一次性项目"),
        saves_null_values=False,
    )
    manager = Field(
        attribute="manager", column_name="项目负责人", widget=TextWidget(max_length=50), saves_null_values=False
    )
    finance_manager = Field(
        attribute="finance_manager", column_name="财务负责人", widget=TextWidget(max_length=50), saves_null_values=False
    )
    phone = Field(
        attribute="phone",
        column_name="联系电话",
        widget=TextWidget(max_length=30, normalise=True),
        saves_null_values=False,
    )
    background = Field(attribute="background", column_name="设立背景", widget=TextWidget(), saves_null_values=False)
    content = Field(attribute="content", column_name="项目概况/实施内容", widget=TextWidget(), saves_null_values=False)
    goal_expected = Field(
        attribute="goal_expected", column_name="预期目标", widget=TextWidget(), saves_null_values=False
    )
    goal_actual = Field(
        attribute="goal_actual", column_name="实际完成情况", widget=TextWidget(), saves_null_values=False
    )
    execution_reason = Field(
        attribute="execution_reason", column_name="执行率偏低原因", widget=TextWidget(), saves_null_values=False
    )
    adjustment_reason = Field(
        attribute="adjustment_reason", column_name="预算调整理由", widget=TextWidget(), saves_null_values=False
    )
    conclusion = Field(attribute="conclusion", column_name="评价结论", widget=TextWidget(), saves_null_values=False)
    problems = Field(attribute="problems", column_name="存在问题", widget=TextWidget(), saves_null_values=False)
    improvements = Field(attribute="improvements", column_name="改进措施", widget=TextWidget(), saves_null_values=False)
    summary = Field(attribute="summary", column_name="绩效自评综述", widget=TextWidget(), saves_null_values=False)

    tracked = {
        "name": "项目名称",
        "unit_id": "预算单位",
        "code": "项目编码",
        "project_type": "项目类型",
        "manager": "项目负责人",
        "finance_manager": "财务负责人",
        "phone": "联系电话",
        "background": "设立背景",
        "content": "项目概况/实施内容",
        "goal_expected": "预期目标",
        "goal_actual": "实际完成情况",
        "execution_reason": "执行率偏低原因",
        "adjustment_reason": "预算调整理由",
        "conclusion": "评价结论",
        "problems": "存在问题",
        "improvements": "改进措施",
        "summary": "绩效自评综述",
    }
    bulk_update_fields = (*(n.removesuffix("_id") for n in tracked), "version", "updated_at")

    class Meta:
        model = Project
        fields = Project.HEADER_FIELDS
        instance_loader_class = StateInstanceLoader
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True
        skip_unchanged = True
        clean_model_instances = False
        use_transactions = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._total = _points()
        self._grade = ChoiceWidget(GRADES, "优、良、中 或 差")
        self._amount = _amount()
        self.fund_columns: dict[str, tuple[str, str]] = {}

    def before_import(self, dataset, **kwargs):
        """Resolve every row's year, unit (creating new organisations) and existing project from cached lookups."""
        ctx = self.context
        ctx.load_organisations()
        self.fund_columns = {
            header: parse_fund_header(header) for header in dataset.headers or () if is_fund_header(header)
        }
        pairs = self._new_states(dataset)
        for state, row in pairs:
            state.fiscal_year = self._row_year(state, row)
            state.name = self._text(row, PROJECT_NAME)
            state.code = clean_text(self._text(row, PROJECT_CODE))
            if not state.name:
                state.error(PROJECT_NAME, f"没有填写“{self.label(PROJECT_NAME)}”")
            state.unit, problem = ctx.unit(row.get(DEPARTMENT), row.get(UNIT), create=True)
            if problem:
                state.error(UNIT if row.get(UNIT) else DEPARTMENT, problem)
            unit_name = cell_text(row.get(UNIT)) or cell_text(row.get(DEPARTMENT))
            number = state.fiscal_year.year if state.fiscal_year else None
            state.keys = (("name", number, fold(unit_name), fold(state.name)),) + (
                (("code", number, state.code),) if state.code else ()
            )
        years = {s.fiscal_year.pk for s in self.states if s.fiscal_year}
        by_code, by_name = {}, {}
        for project in Project.objects.filter(fiscal_year__in=years):
            if project.code:
                by_code[(project.fiscal_year_id, project.code)] = project
            by_name.setdefault((project.fiscal_year_id, project.unit_id, project.name), project)
            by_name.setdefault((project.fiscal_year_id, project.unit_id, fold(project.name)), project)
        seen: dict[tuple, int] = {}
        for state, _row in pairs:
            if state.fiscal_year is None or state.unit is None or not state.name:
                continue
            year_pk = state.fiscal_year.pk
            found = by_code.get((year_pk, state.code)) if state.code else None
            if found is None:
                found = by_name.get((year_pk, state.unit.pk, state.name)) or by_name.get(
                    (year_pk, state.unit.pk, fold(state.name))
                )
                if found is not None and found.name != state.name:
                    state.kept_name = found.name
            elif found.unit_id != state.unit.pk or fold(found.name) != fold(state.name):
                clash = by_name.get((year_pk, state.unit.pk, fold(state.name)))
                if clash is not None and clash.pk != found.pk:
                    state.error(
                        PROJECT_CODE,
                        f"项目编码“{state.code}”属于项目“{found.name}”，按本行改名后会与已有项目“{clash.name}”重名",
                    )
            state.existing = found
            keys = [("name", year_pk, state.unit.pk, fold(state.name))]
            if state.code:
                keys.append(("code", year_pk, state.code))
            if found is not None:
                keys.append(("pk", found.pk))
            for key in keys:
                if key in seen:
                    state.error(NON_FIELD_ERRORS, f"与第 {seen[key]} 行是同一个项目（重复的行）")
                    break
            for key in keys:
                seen.setdefault(key, state.excel_row)

    def init_instance(self, row=None):
        state = row[STATE]
        return Project(fiscal_year=state.fiscal_year, unit=state.unit)

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        state = row[STATE]
        if state.unit is not None:
            instance.unit = state.unit

    def import_extra(self, instance, row, state: RowState):
        if state.kept_name:
            instance.name = state.kept_name
        if instance.name is None:
            instance.name = ""
        self._import_claims(row, state)
        if state.fiscal_year is not None:
            self._import_funds(row, state)

    def _import_claims(self, row, state: RowState):
        for column, widget, attribute in ((TOTAL, self._total, "claimed_total"), (GRADE, self._grade, "claimed_grade")):
            if column not in row:
                continue
            widget.column, widget.label = column, self.label(column)
            try:
                value = widget.clean(row[column], row=row)
            except ValueError as exc:
                state.error(column, str(exc))
                continue
            if value is not None:
                state.claims[attribute] = value

    def _import_funds(self, row, state: RowState):
        sources = self.context.fund_sources(state.fiscal_year)
        funds: dict[str, dict[str, Decimal]] = {}
        stated = False
        for column, (source, measure) in self.fund_columns.items():
            widget = self._amount
            widget.column, widget.label = column, self.label(column)
            try:
                number = widget.clean(row.get(column), row=row)
            except ValueError as exc:
                state.error(column, str(exc))
                stated = True
                continue
            if number is None:
                continue
            stated = True
            source = source or (sources[0] if sources else "")
            if source not in sources:
                state.error(
                    column,
                    f"“{self.label(column)}”列的资金来源“{source}”不在 {state.fiscal_year.year} 年度的规则方案"
                    f"“{state.fiscal_year.profile}”中（应为 {'、'.join(sources)}）",
                )
                continue
            funds.setdefault(source, {})[FUND_MEASURES[measure]] = number
        state.funds = funds if stated else None

    def before_save_instance(self, instance, row, **kwargs):
        # bulk_update bypasses save(): do what it would (auto_now) and raise the optimistic-lock version.
        row[STATE].saved = True
        if instance.pk is not None:
            instance.version += 1
            instance.updated_at = timezone.now()

    def after_import(self, dataset, result, **kwargs):
        """Once the projects are written: sync their fund rows and compare the stated claims."""
        super().after_import(dataset, result, **kwargs)
        states = [s for s in self.states if s.action is not None]
        self._ensure_pks(states)
        states = [s for s in states if s.instance.pk is not None]
        funds_changed = self._sync_funds(states)
        self._compare_claims(states)
        # A project whose row was skipped but whose budget lines changed still moves on a version.
        bumped = [s.instance.pk for s in states if s.instance.pk in funds_changed and not s.saved]
        for chunk in _chunks(bumped):
            Project.objects.filter(pk__in=chunk).update(version=F("version") + 1, updated_at=timezone.now())

    def _ensure_pks(self, states):
        """Backends that cannot return ids from bulk_create leave new projects without a pk: look them up."""
        missing = [s for s in states if s.instance.pk is None]
        if not missing:
            return
        years = {s.fiscal_year.pk for s in missing}
        stored = {(p.fiscal_year_id, p.unit_id, p.name): p.pk for p in Project.objects.filter(fiscal_year__in=years)}
        for s in missing:
            s.instance.pk = stored.get((s.instance.fiscal_year_id, s.instance.unit_id, s.instance.name))

    def _sync_funds(self, states) -> set[int]:
        stated = [s for s in states if s.funds is not None]
        if not stated:
            return set()
        years = {s.fiscal_year.pk for s in stated}
        wanted_projects = {s.instance.pk for s in stated}
        stored: dict[int, dict[str, BudgetLine]] = defaultdict(dict)
        for line in BudgetLine.objects.filter(project__fiscal_year__in=years).order_by("project", "order", "pk"):
            if line.project_id in wanted_projects:
                stored[line.project_id].setdefault(line.fund_source, line)
        create, update, delete, changed = [], [], [], set()
        for s in stated:
            sources = self.context.fund_sources(s.fiscal_year)
            lines = stored.get(s.instance.pk, {})
            for source, amounts in s.funds.items():
                order = sources.index(source)
                values = {name: amounts.get(name) for name in FUND_MEASURES.values()}
                line = lines.get(source)
                if line is None:
                    create.append(BudgetLine(project_id=s.instance.pk, fund_source=source, order=order, **values))
                    changed.add(s.instance.pk)
                elif line.order != order or any(getattr(line, k) != v for k, v in values.items()):
                    line.order = order
                    for name, value in values.items():
                        setattr(line, name, value)
                    update.append(line)
                    changed.add(s.instance.pk)
            for source, line in lines.items():
                if source not in s.funds:
                    delete.append(line.pk)
                    changed.add(s.instance.pk)
            if s.instance.pk in changed and not s.new:
                s.changed.append("项目资金")
        BudgetLine.objects.bulk_create(create, batch_size=BATCH_SIZE)
        BudgetLine.objects.bulk_update(update, ["order", *FUND_MEASURES.values()], batch_size=BATCH_SIZE)
        for chunk in _chunks(delete):
            BudgetLine.objects.filter(pk__in=chunk).delete()
        return changed

    def _compare_claims(self, states):
        claimed = [s for s in states if s.claims and not s.new]
        if not claimed:
            return
        years = {s.fiscal_year.pk for s in claimed}
        evaluations = {
            e.project_id: e
            for e in ProjectEvaluation.objects.filter(project__fiscal_year__in=years).only(
                "project_id", "claimed_total", "claimed_grade"
            )
        }
        names = {"claimed_total": TOTAL, "claimed_grade": GRADE}
        for s in claimed:
            evaluation = evaluations.get(s.instance.pk)
            for attribute, value in s.claims.items():
                if evaluation is None or getattr(evaluation, attribute) != value:
                    s.changed.append(names[attribute])


class IndicatorResource(_FlatResource):
    """The 绩效指标 sheet: one row per 三级 indicator, matched to its project by 年度 + 预算单位 + 项目名称 (or
    项目编码) and to a stored indicator by its position among the project's rows on the sheet.

    The sheet is the indicator table of every project it names: a blank cell is blank, and stored indicators of
    such a project beyond the rows on the sheet are deleted (listed as a warning in the preview). Projects the
    sheet does not name keep their indicators."""

    level1 = Field(attribute="level1", column_name=LEVEL1, widget=TextWidget(max_length=50, blank=""))
    level2 = Field(attribute="level2", column_name=LEVEL2, widget=TextWidget(max_length=50, blank=""))
    name = Field(attribute="name", column_name=LEVEL3, widget=TextWidget(max_length=200, blank=""))
    weight = Field(attribute="weight", column_name=WEIGHT, widget=_points())
    claimed_score = Field(attribute="claimed_score", column_name=SCORE, widget=_points())
    deviation_reason = Field(attribute="deviation_reason", column_name=REASON, widget=TextWidget(blank=""))

    tracked = {
        "order": "顺序",
        "level1": LEVEL1,
        "level2": LEVEL2,
        "name": LEVEL3,
        "sign": SIGN,
        "target_text": TARGET,
        "target_value": TARGET,
        "unit": MEASURE_UNIT,
        "actual_text": ACTUAL,
        "actual_value": ACTUAL,
        "actual_label": ACTUAL,
        "weight": WEIGHT,
        "claimed_score": SCORE,
        "deviation_reason": REASON,
    }
    bulk_update_fields = tuple(tracked)

    class Meta:
        model = Indicator
        fields = ("level1", "level2", "name", "weight", "claimed_score", "deviation_reason")
        instance_loader_class = StateInstanceLoader
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True
        skip_unchanged = True
        clean_model_instances = False
        use_transactions = True

    def __init__(self, *, pending_keys=frozenset(), **kwargs):
        super().__init__(**kwargs)
        self.pending_keys = set(pending_keys)
        self.surplus: dict[int, list[Indicator]] = {}

    def before_import(self, dataset, **kwargs):
        ctx = self.context
        ctx.load_organisations()
        pairs = self._new_states(dataset)
        for state, row in pairs:
            state.fiscal_year = self._row_year(state, row)
        years = {s.fiscal_year.pk for s in self.states if s.fiscal_year}
        by_code, by_unit, by_name = {}, {}, defaultdict(list)
        for project in Project.objects.filter(fiscal_year__in=years).order_by("pk"):
            project.unit = ctx.organisations.get(project.unit_id) or project.unit
            if project.code:
                by_code[(project.fiscal_year_id, project.code)] = project
            by_unit.setdefault((project.fiscal_year_id, project.unit_id, fold(project.name)), project)
            by_name[(project.fiscal_year_id, fold(project.name))].append(project)
        positions: dict[int, int] = defaultdict(int)
        for state, row in pairs:
            if state.fiscal_year is None:
                continue
            project = self._find_project(state, row, by_code, by_unit, by_name)
            if project is None:
                continue
            state.project = project
            state.position = positions[project.pk]
            positions[project.pk] += 1
        stored: dict[int, list[Indicator]] = defaultdict(list)
        for chunk in _chunks(positions):
            for indicator in Indicator.objects.filter(project__in=chunk).order_by("project", "order", "pk"):
                stored[indicator.project_id].append(indicator)
        for state in self.states:
            if state.project is not None:
                existing = stored.get(state.project.pk, [])
                state.existing = existing[state.position] if state.position < len(existing) else None
        self.surplus = {pk: stored[pk][count:] for pk, count in positions.items() if len(stored[pk]) > count}

    def _find_project(self, state: RowState, row, by_code, by_unit, by_name) -> Project | None:
        year = state.fiscal_year
        name = self._text(row, PROJECT_NAME)
        code = clean_text(self._text(row, PROJECT_CODE))
        department, unit_text = cell_text(row.get(DEPARTMENT)), cell_text(row.get(UNIT))
        if code and (year.pk, code) in by_code:
            return by_code[(year.pk, code)]
        if not name and not code:
            state.error(PROJECT_NAME, f"没有填写“{self.label(PROJECT_NAME)}”")
            return None
        project = None
        if name:
            if department or unit_text:
                unit, _problem = self.context.unit(department, unit_text, create=False)
                project = by_unit.get((year.pk, unit.pk, fold(name))) if unit else None
            else:
                candidates = by_name.get((year.pk, fold(name)), [])
                project = candidates[0] if len(candidates) == 1 else None
        if project is not None:
            return project
        unit_name = unit_text or department
        keys = {("name", year.year, fold(unit_name), fold(name)), ("code", year.year, code)}
        if keys & self.pending_keys:
            state.pending = True
            return None
        if name:
            who = f"“{unit_name}”的项目“{name}”" if unit_name else f"项目“{name}”"
        else:
            who = f"项目编码为“{code}”的项目"
        state.error(
            PROJECT_NAME if name else PROJECT_CODE,
            f"第 {state.excel_row} 行：找不到 {year.year} 年度{who}（请先在“项目”表中列出）",
        )
        return None

    def init_instance(self, row=None):
        state = row[STATE]
        return Indicator(project=state.project, order=state.position or 0)

    def import_extra(self, instance, row, state: RowState):
        if state.position is not None:
            instance.order = state.position
        for attribute, column in ((instance.level1, LEVEL1), (instance.level2, LEVEL2)):
            if not attribute and column not in state.errors:
                state.error(column, f"没有填写“{self.label(column)}”")
        self._import_measures(instance, row, state)

    def _import_measures(self, instance, row, state: RowState):
        """指标性质, 年度指标值, 度量单位 and 实际完成值 together: "≥95%" gives sign, number and unit."""
        warn = lambda message: state.warn(TARGET, message)  # noqa: E731
        sign_text = self._text(row, SIGN)
        sign = ""
        if sign_text and not is_placeholder(sign_text):
            try:
                sign = scoring.normalise_sign(clean_text(sign_text)) or ""
            except ValueError:
                state.error(SIGN, f"“{self.label(SIGN)}”列的“{sign_text}”无法识别，应为 ≥、>、=、≤、< 或 定性")
        target_raw = self._text(row, TARGET)
        target = parse_measure(target_raw)
        if target.sign:
            if not sign:
                sign = target.sign
            elif target.sign != sign and SIGN not in state.errors:
                warn(
                    f"“{self.label(TARGET)}”的“{target_raw}”与“{self.label(SIGN)}”“{sign_text}”不一致，"
                    f"按“{self.label(SIGN)}”导入"
                )
        qualitative = sign == scoring.SIGN_QUALITATIVE
        unit = self._text(row, MEASURE_UNIT)
        unit = "" if is_placeholder(unit) else unit
        instance.sign = sign
        instance.unit = unit or target.unit
        instance.target_text = (
            target.text if target.number is not None else ("" if is_placeholder(target_raw) else target_raw)
        )
        instance.target_value = None
        if target.number is not None and not qualitative:
            instance.target_value = self._measure_number(target.number, target_raw, TARGET, state)
        actual_raw = self._text(row, ACTUAL)
        actual = parse_measure(actual_raw)
        instance.actual_text = (
            actual.text if actual.number is not None else ("" if is_placeholder(actual_raw) else actual_raw)
        )
        instance.actual_value = None
        instance.actual_label = ""
        if qualitative:
            instance.actual_label = qualitative_label_from_text(instance.actual_text)
            if instance.actual_text and not instance.actual_label:
                state.warn(
                    ACTUAL,
                    f"定性指标的“{self.label(ACTUAL)}”“{instance.actual_text}”不是标准的完成情况"
                    f"（{scoring.LABEL_ACHIEVED} / {scoring.LABEL_PARTIAL} / {scoring.LABEL_NOT_ACHIEVED}），"
                    "按原文保留，请在系统中选择完成情况",
                )
        elif actual.number is not None:
            instance.actual_value = self._measure_number(actual.number, actual_raw, ACTUAL, state)
        for attribute, column, limit in (("target_text", TARGET, 200), ("unit", MEASURE_UNIT, 30)):
            value = getattr(instance, attribute)
            if len(value) > limit:
                state.error(column, f"“{self.label(column)}”列的内容有 {len(value)} 个字，超过了 {limit} 个字的上限")

    def _measure_number(self, number: Decimal, text: str, column: str, state: RowState) -> Decimal | None:
        try:
            return _fit_decimal(
                number,
                label=self.label(column),
                text=text,
                places=6,
                digits=20,
                warn=lambda message: state.warn(column, message),
            )
        except ValueError as exc:
            state.error(column, str(exc))
            return None

    def after_import(self, dataset, result, **kwargs):
        """Delete the stored indicators of the sheet's projects beyond the rows given for them."""
        super().after_import(dataset, result, **kwargs)
        doomed = []
        for project_pk, indicators in self.surplus.items():
            doomed.extend(i.pk for i in indicators)
            state = next(s for s in self.states if s.project is not None and s.project.pk == project_pk)
            names = "、".join(f"“{i.name or '（空）'}”" for i in indicators[:5])
            more = f"等 {len(indicators)} 条" if len(indicators) > 5 else ""
            state.warnings.append(
                (
                    "",
                    f"项目“{state.project.name}”在系统中还有 {len(indicators)} 条指标不在本表中（{names}{more}），"
                    "导入后将删除",
                )
            )
        for chunk in _chunks(doomed):
            Indicator.objects.filter(pk__in=chunk).delete()

    def touched_projects(self) -> set[int]:
        """Projects whose indicators this import creates, changes or deletes."""
        touched = {s.project.pk for s in self.states if s.action in (CREATED, UPDATED)}
        return touched | set(self.surplus)
