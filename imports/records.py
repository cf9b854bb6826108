"""What every reader turns a workbook into: plain records of projects, department-wide tables and summary rows,
with the problems found.

Readers (flat templates, the standard tables, the summary sheet) only read; ``imports.apply`` compares the records
with the database and writes them, all or nothing. Values stay as written: a reader parses numbers and signs
but never corrects a published figure (a score above its weight is history; the quality checks report it).
"""

from dataclasses import dataclass, field
from decimal import Decimal

ERROR = "错误"  # the file cannot be imported faithfully: nothing is written
WARNING = "提示"  # imported, but the reader had to interpret something (a label mapped, a value kept as text)


@dataclass(frozen=True)
class Problem:
    severity: str
    message: str  # Chinese, naming the value
    sheet: str = ""
    row: int | None = None  # 1-based, as Excel shows it
    column: str = ""  # Excel letter ("C") or the column's header

    @property
    def where(self) -> str:
        parts = [f"工作表“{self.sheet}”" if self.sheet else "", f"第 {self.row} 行" if self.row else ""]
        if self.column:
            parts.append(f"{self.column} 列")
        return " ".join(p for p in parts if p)

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "message": self.message,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
        }


@dataclass
class FundRecord:
    source: str  # the profile's fund-source name (本年财政拨款, 财政资金 …) after label mapping
    initial: Decimal | None = None  # 年初预算数, 万元
    adjusted: Decimal | None = None  # 全年预算数 A
    executed: Decimal | None = None  # 全年执行数 B


@dataclass
class IndicatorRecord:
    level1: str
    level2: str
    name: str = ""
    sign: str = ""  # ≥ > = ≤ < 定性, or "" when the table does not say
    target_text: str = ""
    target_value: Decimal | None = None
    unit: str = ""
    actual_text: str = ""
    actual_value: Decimal | None = None
    actual_label: str = ""  # one of the three official 定性 labels, or ""
    weight: Decimal | None = None
    claimed_score: Decimal | None = None
    deviation_reason: str = ""


@dataclass
class ProjectRecord:
    """One 项目支出绩效自评表 (or one flat-template row with its indicators)."""

    department: str  # 主管部门
    unit: str  # 预算单位 / 实施单位 (the department itself when it implements the project)
    name: str
    code: str = ""
    project_type: str = ""  # "recurring" / "one_off" / ""
    manager: str = ""
    finance_manager: str = ""
    phone: str = ""
    background: str = ""
    content: str = ""
    goal_expected: str = ""
    goal_actual: str = ""
    execution_reason: str = ""
    adjustment_reason: str = ""
    conclusion: str = ""
    problems: str = ""
    improvements: str = ""
    summary: str = ""
    funds: list[FundRecord] = field(default_factory=list)
    indicators: list[IndicatorRecord] = field(default_factory=list)
    claimed_total: Decimal | None = None  # 总分 as printed
    claimed_grade: str = ""  # 优 良 中 差, where the table states it
    claimed_budget_score: Decimal | None = None  # the 年度资金总额 row's 得分
    stated_execution_rate: Decimal | None = None  # the 年度资金总额 row's 执行率, as a fraction (0.9745)
    # The 年度资金总额 row's amounts, where they differ from the fund rows' sums (kept as published)
    stated_initial_wan: Decimal | None = None
    stated_adjusted_wan: Decimal | None = None
    stated_executed_wan: Decimal | None = None
    year: int | None = None  # from the table's title (（2024年度）), when it has one
    layout: str = ""  # "national" / "sichuan": which table layout it was read from
    read_as: str = ""  # how the reader chose the layout, for the preview ("按项目支出绩效自评表（全国表样）读取：…")
    sheet: str = ""  # where it was found, for messages
    row: int | None = None


@dataclass
class SummaryRecord:
    """One row of a 绩效自评结果汇总表: seed 000's columns, or another locality's with its 预算执行情况 columns."""

    number: int | None
    department: str
    unit: str
    project_name: str
    self_grade: str = ""
    finance_grade: str = ""
    opinion_html: str = ""  # sanitised before it is stored
    # The 预算执行情况 columns (万元), 执行率 and 自评得分 where the sheet has them; None when it does not say.
    initial_wan: Decimal | None = None  # 年初预算数
    adjusted_wan: Decimal | None = None  # 全年预算数
    executed_wan: Decimal | None = None  # 全年执行数
    execution_rate: Decimal | None = None  # as a fraction (0.9745)
    self_score: Decimal | None = None  # 自评得分
    sheet: str = ""
    row: int | None = None


@dataclass
class DepartmentItemRecord:
    """One 三级 line of a department-wide score sheet, named as the table names it."""

    level1: str
    level2: str
    name: str  # matched to the year's DepartmentIndicator by this name (levels only to tell namesakes apart)
    points: Decimal | None = None  # 指标分值 as printed; the profile's points are the ones that count
    claimed_score: Decimal | None = None  # 自评得分; None when the table leaves it blank
    note: str = ""  # 备注 / 扣分说明
    row: int | None = None
    column: str = ""  # the 三级指标 column's letter, for messages


@dataclass
class DepartmentRecord:
    """One 部门整体支出绩效自评表 (SPEC §7). Field names are those of evaluations.DepartmentEvaluation."""

    department: str  # 主管部门, as written
    year: int | None = None  # from the title (（2024年度）), when it has one
    initial_wan: Decimal | None = None  # 年初预算数, 万元
    adjusted_wan: Decimal | None = None  # 全年预算数
    executed_wan: Decimal | None = None  # 全年执行数
    basic_expenditure_wan: Decimal | None = None  # 其中：基本支出
    project_expenditure_wan: Decimal | None = None  # 其中：项目支出
    goal: str = ""  # 年度总体目标
    performance_narrative: str = ""  # 履职效能
    management_narrative: str = ""  # 管理效率
    conclusion: str = ""
    problems: str = ""
    improvements: str = ""
    claimed_total: Decimal | None = None  # 合计 as printed
    claimed_grade: str = ""  # 优 良 中 差, where the table states it
    items: list[DepartmentItemRecord] = field(default_factory=list)
    sheet: str = ""  # where it was found, for messages
    row: int | None = None


@dataclass
class ReadResult:
    """What a reader found in one workbook."""

    kind: str  # "flat", "standard", "summary", "department"
    projects: list[ProjectRecord] = field(default_factory=list)
    summary_rows: list[SummaryRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    year: int | None = None  # from the title, when the workbook states one
    departments: list[DepartmentRecord] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    def settle_year(self, years: dict[int, tuple[str, int]], tables: str) -> None:
        """The workbook's year is its first table's; ``years`` maps each year found to (sheet, row) of its first
        table, and more than one gives a warning naming where each stands."""
        if years:
            self.year = next(iter(years))
        if len(years) > 1:
            listed = "、".join(f"{year}年度（工作表“{sheet}”第 {row} 行）" for year, (sheet, row) in years.items())
            self.problems.append(Problem(WARNING, f"工作簿中的{tables}年度不一致：{listed}。"))


CREATED, UPDATED, UNCHANGED = "新增", "更新", "不变"


@dataclass(frozen=True)
class Change:
    """What an import does (or, in a dry run, would do) to one record."""

    action: str  # CREATED / UPDATED / UNCHANGED
    kind: str  # "项目", "绩效指标", "汇总表行", "部门整体自评" …
    label: str  # e.g. "东莞市技师学院 / 人才发展资金"
    fields: tuple[str, ...] = ()  # the fields that change (UPDATED), in Chinese


@dataclass
class Outcome:
    """The preview of a dry run, or the record of a commit: the same structure for every kind of workbook."""

    kind: str  # "flat", "standard", "summary", "department"
    year: int | None = None
    bureau: str = ""
    changes: list[Change] = field(default_factory=list)
    new_organisations: list[str] = field(default_factory=list)  # "主管部门 东莞市某局", "预算单位 某中心"
    problems: list[Problem] = field(default_factory=list)
    committed: bool = False
    # Each project table as it will be stored (imports.apply.projects.table_preview), for the admin to check.
    tables: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    def count(self, action: str, kind: str | None = None) -> int:
        return sum(1 for c in self.changes if c.action == action and (kind is None or c.kind == kind))

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "year": self.year,
            "bureau": self.bureau,
            "committed": self.committed,
            "counts": {a: self.count(a) for a in (CREATED, UPDATED, UNCHANGED)},
            "changes": [
                {"action": c.action, "kind": c.kind, "label": c.label, "fields": list(c.fields)} for c in self.changes
            ],
            "new_organisations": list(self.new_organisations),
            "problems": [p.as_dict() for p in self.problems],
            "tables": list(self.tables),
        }


# Said when an import creates a year: it arrives 财政审核中, not 已公开 (create_imported_year says why).
IMPORTED_YEAR_NOTE = (
    "{number} 年度由本次导入新建，状态为“财政审核中”：全部导入并核对后，由财政审核员定稿、公开，"
    "单位和部门才能看到财政抽查审核结果。"
)


def create_imported_year(bureau, number: int, profile, outcome: "Outcome"):
    """Create the bureau's year ``number`` with ``profile`` for an import (either importer), listed in ``outcome``.

    Not published on arrival: a year is locked once finalised (SPEC §13), and a past year comes in as many
    workbooks, one per table; finance finalises and publishes it when the last one is in.
    """
    from budgets.models import FiscalYear

    year = FiscalYear.objects.create(
        finance_bureau=bureau, year=number, profile=profile, status=FiscalYear.Status.CLOSED
    )
    outcome.changes.append(Change(CREATED, "年度", f"{number} 年度（{profile}）"))
    outcome.problems.append(Problem(WARNING, IMPORTED_YEAR_NOTE.format(number=number)))
    return year


def refuse_locked_years(outcome: "Outcome", years) -> None:
    """An import that would change a 已定稿 or 已公开 year is refused whole (SPEC §13): an ERROR per such year."""
    from policy.locks import YearLocked

    if all(change.action == UNCHANGED for change in outcome.changes):
        return
    for fiscal_year in years:
        if fiscal_year.status in type(fiscal_year).LOCKED:
            outcome.problems.append(Problem(ERROR, f"{YearLocked(fiscal_year)} 没有导入任何数据。"))
