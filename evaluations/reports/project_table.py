"""项目支出绩效自评表 (SPEC §9): seed 001's national layout or seed 004's Sichuan layout, by the year's profile.

``build_project_table`` reads one project into a plain dataclass tree; ``project_table_pdf`` and
``project_table_xlsx`` only lay that tree out. Scores come from ``build_scorecard``. Where the unit stated a
value (budget score, execution rate, indicator scores, total) the table prints what it stated, so a published
table comes out as published; the computed value sits beside it and a mismatch is listed in ``flags``.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from budgets.models import RuleProfile
from domain import formatting, scoring
from evaluations.reports.excel import GridWriter
from evaluations.scorecard import build_scorecard

NATIONAL = RuleProfile.Layout.NATIONAL
SICHUAN = RuleProfile.Layout.SICHUAN
# Printed in the Sichuan form where the unit wrote nothing: the form's own instructions (seed 004).
SICHUAN_GOAL_HINT = "对照年度目标，说明相关任务目标的完成情况（100字以内）"
SICHUAN_BUDGET_HINT = (
    "1.预算执行率=预算执行数/调整后预算数，预算执行率未达到90%的需说明原因（100字以内）;"
    "2.年中发生预算调整的（追加或调减）,应单独说明理由；3.其他资金包括：社会投入资金、银行贷款."
)
NOT_APPLICABLE = "/"
# The Sichuan form prints 指标性质 in full width (＝ ＞ ＜, seed 004); a bare "=" would also read as a formula.
SICHUAN_SIGNS = {"=": "＝", ">": "＞", "<": "＜"}


def amount_text(value: Decimal | None) -> str:
    """万元 with two decimals and thousands separators (1010 → "1,010.00"); empty stays empty."""
    return formatting.amount(value, empty="")


def rate_text(rate: Decimal | None) -> str:
    """A fraction as a percentage with two decimals (1 → "100.00%")."""
    return formatting.percent(rate, empty="")


def points_text(value: Decimal | None) -> str:
    """Points as the seeds print them: 10, 97.5, 0 (no trailing zeros)."""
    return formatting.points(value, trim=True)


@dataclass(frozen=True)
class BudgetRow:
    """One row of the budget block: the total row or one fund source."""

    label: str
    initial: Decimal | None
    adjusted: Decimal | None
    executed: Decimal | None
    rate: Decimal | None = None
    weight: Decimal | None = None
    score: Decimal | None = None
    # The Sichuan form prints "/" in 权重 and 得分 of the fund-source rows.
    not_scored: bool = False
    reason: str = ""
    reason_is_hint: bool = False
    is_total: bool = False
    computed_rate: Decimal | None = None
    computed_score: Decimal | None = None

    @property
    def initial_text(self):
        return amount_text(self.initial)

    @property
    def adjusted_text(self):
        return amount_text(self.adjusted)

    @property
    def executed_text(self):
        return amount_text(self.executed)

    @property
    def rate_text(self):
        return rate_text(self.rate)

    @property
    def weight_text(self):
        return NOT_APPLICABLE if self.not_scored else points_text(self.weight)

    @property
    def score_text(self):
        return NOT_APPLICABLE if self.not_scored else points_text(self.score)


@dataclass(frozen=True)
class IndicatorRow:
    """One 三级 row; ``level1_rowspan``/``level2_rowspan`` are 0 on rows covered by the cell above."""

    level1: str
    level1_rowspan: int
    level2: str
    level2_rowspan: int
    name: str
    sign: str
    target: str
    unit: str
    actual: str
    weight: Decimal | None
    score: Decimal | None
    computed_score: Decimal | None
    reason: str

    @property
    def weight_text(self):
        return points_text(self.weight)

    @property
    def score_text(self):
        return points_text(self.score)


@dataclass(frozen=True)
class ProjectTable:
    layout: str
    title: str
    year: int
    project_name: str
    department: str
    unit: str
    budget_heading: str
    budget_rows: list[BudgetRow]
    goal_expected: str
    goal_actual: str
    goal_actual_is_hint: bool
    content: str
    indicator_heading: str
    indicator_rows: list[IndicatorRow]
    total_weight: Decimal
    total_score: Decimal | None
    computed_total: Decimal | None
    conclusion: str
    problems: str
    improvements: str
    summary: str
    manager: str
    finance_manager: str
    flags: list[str] = field(default_factory=list)

    @property
    def is_sichuan(self):
        return self.layout == SICHUAN

    @property
    def indicator_groups(self) -> list[list[IndicatorRow]]:
        """The indicator rows cut at each 一级 cell: one page-unbreakable block per 一级."""
        groups = []
        for row in self.indicator_rows:
            if row.level1_rowspan or not groups:
                groups.append([])
            groups[-1].append(row)
        return groups

    @property
    def total_weight_text(self):
        return points_text(self.total_weight)

    @property
    def total_score_text(self):
        return points_text(self.total_score)


def _evaluation(project):
    from evaluations.models import ProjectEvaluation

    try:
        return project.evaluation
    except ProjectEvaluation.DoesNotExist:
        return None


def _level1_heading(name: str, weights: dict) -> str:
    """The 一级 cell: "产出指标(50分)" where the profile fixes the points, the bare name otherwise."""
    weight = weights.get(name)
    return f"{name}({points_text(weight)}分)" if weight is not None else name


def _fund_rate(line, layout) -> Decimal | None:
    if line.adjusted_wan is None or line.executed_wan is None:
        return None
    rate = scoring.execution_rate(adjusted=line.adjusted_wan, executed=line.executed_wan)
    # The Sichuan form prints 0.00% for a source with no budget at all (seed 004's 财政专户管理资金).
    if rate is None and layout == SICHUAN:
        return Decimal(0)
    return rate


def _budget_rows(project, profile, card, evaluation, flags) -> list[BudgetRow]:
    sichuan = profile.layout == SICHUAN
    computed_rate = card.budget.rate if card.budget else None
    computed_score = card.budget.score if card.budget else None
    stated_rate = evaluation.stated_execution_rate if evaluation else None
    claimed_score = evaluation.claimed_budget_score if evaluation else None
    rate = stated_rate if stated_rate is not None else computed_rate
    score = claimed_score if claimed_score is not None else computed_score
    if stated_rate is not None and computed_rate is not None and rate_text(stated_rate) != rate_text(computed_rate):
        flags.append(f"填报执行率 {rate_text(stated_rate)} 与计算的 {rate_text(computed_rate)} 不一致")
    if claimed_score is not None and computed_score is not None and claimed_score != computed_score:
        flags.append(f"填报预算执行得分 {points_text(claimed_score)} 与计算的 {points_text(computed_score)} 不一致")

    # The 年度资金总额 as published where it contradicts the fund rows (kept by the import), else their sums.
    amounts = {}
    for name in ("initial", "adjusted", "executed"):
        summed = getattr(card.totals, name)
        stated = getattr(evaluation, f"stated_{name}_wan", None) if evaluation else None
        amounts[name] = summed if stated is None else stated
        if stated is not None and summed is not None and amount_text(stated) != amount_text(summed):
            flags.append(f"年度资金总额 {amount_text(stated)} 与各资金来源合计 {amount_text(summed)} 不一致")

    reasons = "\n".join(text for text in (project.execution_reason, project.adjustment_reason) if text.strip())
    total = BudgetRow(
        label="总额" if sichuan else "年度资金总额：",
        **amounts,
        rate=rate,
        weight=profile.budget_weight,
        score=score,
        reason=reasons or (SICHUAN_BUDGET_HINT if sichuan else ""),
        reason_is_hint=sichuan and not reasons,
        is_total=True,
        computed_rate=computed_rate,
        computed_score=computed_score,
    )
    rows = [total]
    for n, line in enumerate(project.budget_lines.all()):
        label = f"其中：{line.fund_source}" if n == 0 else line.fund_source
        # A source that carries the whole budget is the total row again: the forms repeat its rate (and, in the
        # national form, its 分值 and 得分), as published in seeds 001 and 004.
        whole = bool(card.totals.adjusted) and (line.adjusted_wan, line.executed_wan) == (
            card.totals.adjusted,
            card.totals.executed,
        )
        rows.append(
            BudgetRow(
                label=label,
                initial=line.initial_wan,
                adjusted=line.adjusted_wan,
                executed=line.executed_wan,
                rate=total.rate if whole else _fund_rate(line, profile.layout),
                weight=total.weight if whole and not sichuan else None,
                score=total.score if whole and not sichuan else None,
                not_scored=sichuan,
            )
        )
    return rows


def _run_lengths(keys: list) -> list[int]:
    """For each position, the length of the run of equal keys starting there, or 0 inside a run."""
    spans = [0] * len(keys)
    start = 0
    for n in range(1, len(keys) + 1):
        if n == len(keys) or keys[n] != keys[start]:
            spans[start] = n - start
            start = n
    return spans


def _with_empty_categories(profile, lines) -> list:
    """The national form prints every 二级 of a 一级 it lists, empty where the project has no indicator (seed 001):
    after each run of a 一级's lines come its taxonomy's missing 二级 categories, as (一级, 二级) pairs."""
    taxonomy = {
        level1.name: [level2.name for level2 in level1.level2_categories.all()]
        for level1 in profile.level1_categories.all()
    }
    entries: list = []
    for n, line in enumerate(lines):
        entries.append(line)
        level1 = line.indicator.level1
        if n + 1 < len(lines) and lines[n + 1].indicator.level1 == level1:
            continue
        present = {other.indicator.level2 for other in lines if other.indicator.level1 == level1}
        entries.extend((level1, level2) for level2 in taxonomy.get(level1, ()) if level2 not in present)
    return entries


def _indicator_rows(profile, card, flags) -> list[IndicatorRow]:
    weights = {level.name: level.weight for level in profile.level1_categories.all()}
    sichuan = profile.layout == SICHUAN
    entries = card.lines if sichuan else _with_empty_categories(profile, card.lines)
    keys = [(e.indicator.level1, e.indicator.level2) if hasattr(e, "indicator") else e for e in entries]
    level1_spans = _run_lengths([level1 for level1, _ in keys])
    # Keyed by (一级, 二级), so a 二级 cell never reaches across a 一级 boundary.
    level2_spans = _run_lengths(keys)
    rows = []
    for n, entry in enumerate(entries):
        spans = {"level1_rowspan": level1_spans[n], "level2_rowspan": level2_spans[n]}
        if not hasattr(entry, "indicator"):
            level1, level2 = entry
            rows.append(_empty_category_row(_level1_heading(level1, weights), level2, spans))
            continue
        ind = entry.indicator
        computed = entry.result.score if entry.result else None
        if ind.claimed_score is not None and computed is not None and ind.claimed_score != computed:
            claimed = points_text(ind.claimed_score)
            flags.append(f"“{ind.name or ind.level2}”填报得分 {claimed} 与计算的 {points_text(computed)} 不一致")
        rows.append(
            IndicatorRow(
                level1=_level1_heading(ind.level1, weights),
                level2=ind.level2,
                name=ind.name,
                sign=SICHUAN_SIGNS.get(ind.sign, ind.sign) if sichuan else "",
                target=ind.target_text if sichuan else ind.target_display,
                unit=ind.unit if sichuan else "",
                actual=ind.actual_as_written if sichuan else ind.actual_display,
                weight=ind.weight,
                score=entry.score,
                computed_score=computed,
                reason=ind.deviation_reason,
                **spans,
            )
        )
    return rows


def _empty_category_row(level1: str, level2: str, spans: dict) -> IndicatorRow:
    return IndicatorRow(
        level1=level1,
        level2=level2,
        name="",
        sign="",
        target="",
        unit="",
        actual="",
        weight=None,
        score=None,
        computed_score=None,
        reason="",
        **spans,
    )


def build_project_table(project) -> ProjectTable:
    """The 项目支出绩效自评表 of ``project`` in its year's layout, as plain data."""
    profile = project.fiscal_year.profile
    card = build_scorecard(project, profile)
    evaluation = _evaluation(project)
    flags: list[str] = []
    sichuan = profile.layout == SICHUAN

    budget_rows = _budget_rows(project, profile, card, evaluation, flags)
    indicator_rows = _indicator_rows(profile, card, flags)
    claimed_total = evaluation.claimed_total if evaluation else None
    total_score = claimed_total if claimed_total is not None else card.total
    if claimed_total is not None and card.total is not None and claimed_total != card.total:
        flags.append(f"填报总分 {points_text(claimed_total)} 与按规则计算的 {points_text(card.total)} 不一致")
    weight_sum = profile.budget_weight + sum((row.weight or Decimal(0) for row in indicator_rows), Decimal(0))
    if indicator_rows and weight_sum != profile.total_points:
        flags.append(f"分值合计 {points_text(weight_sum)} 不等于满分 {points_text(profile.total_points)}")

    department = project.unit.department
    name = f"{project.code}-{project.name}" if sichuan and project.code else project.name
    return ProjectTable(
        layout=profile.layout,
        title="部门预算项目支出绩效自评表" if sichuan else "项目支出绩效自评表",
        year=project.fiscal_year.year,
        project_name=name,
        department=department.name if department else "",
        unit=project.unit.name,
        budget_heading=f"预算执行情况（{points_text(profile.budget_weight)}分）" if sichuan else "项目资金（万元）",
        budget_rows=budget_rows,
        goal_expected=project.goal_expected,
        goal_actual=project.goal_actual or (SICHUAN_GOAL_HINT if sichuan else ""),
        goal_actual_is_hint=sichuan and not project.goal_actual,
        content=project.content,
        indicator_heading=(
            f"绩效指标（{points_text(profile.indicator_points)}分）" if sichuan else "年度绩效指标完成情况"
        ),
        indicator_rows=indicator_rows,
        total_weight=profile.total_points,
        total_score=total_score,
        computed_total=card.total,
        conclusion=project.conclusion,
        problems=project.problems,
        improvements=project.improvements,
        summary=project.summary,
        manager=project.manager,
        finance_manager=project.finance_manager,
        flags=flags,
    )


def _load(project):
    """The project with everything the table reads, in a handful of queries."""
    from budgets.models import Project

    return (
        Project.objects.select_related("fiscal_year__profile", "unit__parent", "evaluation")
        .prefetch_related("budget_lines", "indicators", "fiscal_year__profile__level1_categories__level2_categories")
        .get(pk=project.pk)
    )


def project_table_pdf(project) -> bytes:
    from evaluations.reports.pdf import render_pdf

    table = build_project_table(_load(project))
    template = "reports/project_table_sichuan.html" if table.is_sichuan else "reports/project_table_national.html"
    return render_pdf(template, {"table": table})


# ---- Excel -------------------------------------------------------------------------------------------------

NATIONAL_WIDTHS = [11, 12, 18, 14, 14, 9, 9, 22]
SICHUAN_WIDTHS = [11, 13, 16, 8, 10, 8, 10, 8, 8, 20]


class _Sheet(GridWriter):
    """The project table's grid, ``columns`` wide."""

    def __init__(self, ws, columns: int):
        super().__init__(ws)
        self.columns = columns

    def next(self, height=None):
        if height:
            self.ws.row_dimensions[self.row].height = height
        self.row += 1


def _xlsx_budget_row(sheet, row: BudgetRow, first_column: int, sichuan: bool):
    from evaluations.reports.excel import AMOUNT_FORMAT, RATE_FORMAT

    col = first_column
    sheet.put(col, row.label, align="left")
    for value in (row.initial, row.adjusted, row.executed):
        col += 1
        sheet.put(col, value if value is not None else "", fmt=AMOUNT_FORMAT, align="right")
    cells = [(row.rate, RATE_FORMAT)]
    weight = NOT_APPLICABLE if row.not_scored else row.weight
    score = NOT_APPLICABLE if row.not_scored else row.score
    if sichuan:
        cells += [(weight, None), (score, None)]
    else:
        cells = [(weight, None), (row.rate, RATE_FORMAT), (score, None)]
    for value, fmt in cells:
        col += 1
        sheet.put(col, value if value is not None else "", fmt=fmt, align="right" if fmt else "center")


# The columns after 一级/二级 of each layout's indicator grid; the last one (the reason) is left-aligned.
NATIONAL_INDICATOR_FIELDS = ("name", "target", "actual", "weight", "score", "reason")
SICHUAN_INDICATOR_FIELDS = ("name", "sign", "target", "unit", "actual", "weight", "score", "reason")


def _xlsx_indicator_rows(sheet, table: ProjectTable, fields: tuple[str, ...]):
    """The indicator grid: 一级/二级 merged over their rows, then ``fields`` from column 3 on."""
    for ind in table.indicator_rows:
        if ind.level1_rowspan:
            sheet.put(1, ind.level1, rowspan=ind.level1_rowspan, bold=True)
        if ind.level2_rowspan:
            sheet.put(2, ind.level2, rowspan=ind.level2_rowspan)
        for column, name in enumerate(fields, 3):
            value = getattr(ind, name)
            sheet.put(column, "" if value is None else value, align="left" if name == "reason" else "center")
        sheet.next()


def _xlsx_national(sheet, table: ProjectTable):
    put, nxt = sheet.put, sheet.next
    put(1, table.title, span=8, bold=True)
    nxt(24)
    put(1, f"（{table.year}年度）", span=8)
    nxt()
    put(1, "项目名称", bold=True)
    put(2, table.project_name, span=7, align="left")
    nxt()
    put(1, "主管部门", bold=True)
    put(2, table.department, span=3, align="left")
    put(5, "实施单位", bold=True)
    put(6, table.unit, span=3, align="left")
    nxt()
    put(1, table.budget_heading, rowspan=len(table.budget_rows) + 1, bold=True)
    put(2, "")
    for col, label in enumerate(
        ["年初预算数", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分"], 3
    ):
        put(col, label, bold=True)
    nxt()
    for row in table.budget_rows:
        _xlsx_budget_row(sheet, row, 2, sichuan=False)
        nxt()
    put(1, "年度总体目标完成情况", rowspan=2, bold=True)
    put(2, "预期目标", span=4, bold=True)
    put(6, "实际完成情况", span=3, bold=True)
    nxt()
    put(2, table.goal_expected, span=4, align="left")
    put(6, table.goal_actual, span=3, align="left")
    nxt(36)
    put(1, table.indicator_heading, span=8, bold=True)
    nxt()
    labels = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    for col, label in enumerate(labels, 1):
        put(col, label, bold=True)
    nxt()
    _xlsx_indicator_rows(sheet, table, NATIONAL_INDICATOR_FIELDS)
    put(1, "总分", span=3, bold=True)
    put(4, "")
    put(5, "")
    put(6, table.total_weight)
    put(7, table.total_score if table.total_score is not None else "")
    put(8, "")
    nxt()
    if table.summary:
        put(1, table.summary, span=8, align="left")
        nxt(60)


def _xlsx_sichuan(sheet, table: ProjectTable):
    """The Sichuan form, cell by cell from top to bottom. Long on purpose: one piece reads against the printed
    form line by line, and its blocks share the running row (split, each part would need it passed back)."""
    from evaluations.reports.excel import write_cell

    put, nxt = sheet.put, sheet.next
    put(1, f"{table.title}（{table.year}年度）", span=10, bold=True)
    nxt(24)
    put(1, "项目名称", bold=True)
    put(2, table.project_name, span=9, align="left")
    nxt()
    put(1, "主管部门", bold=True)
    put(2, table.department, span=4, align="left")
    put(6, "实施单位（盖章）", span=2, bold=True)
    put(8, table.unit, span=3, align="left")
    nxt()
    put(1, "项目基本情况", rowspan=4, bold=True)
    put(2, "1.项目年度目标完成情况", span=9, align="left", bold=True)
    nxt()
    put(2, "项目年度目标", span=5, bold=True)
    put(7, "年度目标完成情况", span=4, bold=True)
    nxt()
    put(2, table.goal_expected, span=5, align="left")
    put(7, table.goal_actual, span=4, align="left")
    nxt(36)
    put(2, "2.项目实施内容及过程概述", span=2, bold=True)
    put(4, table.content, span=7, align="left")
    nxt(36)
    put(1, table.budget_heading, rowspan=len(table.budget_rows) + 1, bold=True)
    labels = ["年度预算数（万元）", "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分"]
    for col, label in enumerate(labels, 2):
        put(col, label, bold=True)
    put(9, "原因", span=2, bold=True)
    nxt()
    # The 原因 cell of the total row (the reason, or the form's note) reaches down over the fund rows.
    put(9, table.budget_rows[0].reason, span=2, rowspan=len(table.budget_rows), align="left", row=sheet.row)
    for row in table.budget_rows:
        _xlsx_budget_row(sheet, row, 2, sichuan=True)
        nxt(30 if row.is_total else None)
    put(1, table.indicator_heading, span=10, bold=True)
    nxt()
    labels = [
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "指标值",
        "度量单位",
        "完成值",
        "权重",
        "得分",
        "未完成原因分析",
    ]
    for col, label in enumerate(labels, 1):
        put(col, label, bold=True)
    nxt()
    _xlsx_indicator_rows(sheet, table, SICHUAN_INDICATOR_FIELDS)
    put(1, "合计", span=7, bold=True)
    put(8, table.total_weight)
    put(9, table.total_score if table.total_score is not None else "")
    put(10, "")
    nxt()
    for label, text in (("评价结论", table.conclusion), ("存在问题", table.problems), ("改进措施", table.improvements)):
        put(1, label, bold=True)
        put(2, text, span=9, align="left")
        nxt(36)
    write_cell(sheet.ws, sheet.row, 1, f"项目负责人：{table.manager}")
    write_cell(sheet.ws, sheet.row, 6, f"财务负责人：{table.finance_manager}")


def project_table_xlsx(project) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    from evaluations.reports.excel import a4_print_setup

    table = build_project_table(_load(project))
    wb = Workbook()
    ws = wb.active
    ws.title = "项目支出绩效自评表"
    widths = SICHUAN_WIDTHS if table.is_sichuan else NATIONAL_WIDTHS
    sheet = _Sheet(ws, len(widths))
    for n, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + n)].width = width
    if table.is_sichuan:
        _xlsx_sichuan(sheet, table)
    else:
        _xlsx_national(sheet, table)
    a4_print_setup(ws, landscape=False)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
