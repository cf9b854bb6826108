"""Writing the project records of standard tables: each project with its fund rows, indicators and the claims of
its self-evaluation, created, updated or left as it is; then the quality checks' findings on what was written."""

from budgets.models import BudgetLine, FiscalYear, Project
from domain import formatting, signs
from evaluations.models import ProjectEvaluation
from evaluations.workflow.services import evaluation_recalculate
from imports.apply.context import Context, by_name, fit_value, record_transition
from imports.records import CREATED, ERROR, UNCHANGED, UPDATED, WARNING, Change, Problem, ProjectRecord, ReadResult
from indicators.models import Indicator

# Header fields a table can carry (the name identifies the project), with their labels for the preview.
HEADER_FIELDS = {name: Project._meta.get_field(name).verbose_name for name in Project.HEADER_FIELDS if name != "name"}
INDICATOR_FIELDS = Indicator.VALUE_FIELDS
# The 年度资金总额 row where it contradicts the fund rows: part of the fund table, replaced with it (None clears).
STATED_TOTAL_FIELDS = ("stated_initial_wan", "stated_adjusted_wan", "stated_executed_wan")
EVALUATION_FIELDS = {
    "claimed_total": "总分",
    "claimed_grade": "等级",
    "claimed_budget_score": "预算执行得分",
    "stated_execution_rate": "执行率",
}


def layout(result: ReadResult) -> str:
    """The table layout ("national" / "sichuan") of the file's projects; "" when none or mixed."""
    layouts = {record.layout for record in result.projects if record.layout}
    return layouts.pop() if len(layouts) == 1 else ""


def fund_order(profile) -> dict[str, int]:
    return {name: order for order, name in enumerate(profile.fund_sources.values_list("name", flat=True))}


def _record_funds(record: ProjectRecord, order: dict[str, int]) -> list[tuple]:
    ranked = sorted(enumerate(record.funds), key=lambda item: (order.get(item[1].source, len(order)), item[0]))
    return [(f.source, f.initial, f.adjusted, f.executed) for _, f in ranked]


def _stored_funds(project) -> list[tuple]:
    return [(b.fund_source, b.initial_wan, b.adjusted_wan, b.executed_wan) for b in project.budget_lines.all()]


def _record_indicators(record: ProjectRecord) -> list[tuple]:
    return [tuple(getattr(i, name) for name in INDICATOR_FIELDS) for i in record.indicators]


def _stored_indicators(project) -> list[tuple]:
    return [tuple(getattr(i, name) for name in INDICATOR_FIELDS) for i in project.indicators.all()]


def _fit_record(ctx: Context, record: ProjectRecord) -> bool:
    """Round every number of ``record`` to what the database keeps; an ERROR for a number too large to keep."""
    where = {"sheet": record.sheet, "row": record.row}
    of = f"项目“{record.name}”的"
    fits = [
        fit_value(ctx, fund, attribute, BudgetLine, column, f"{of}{fund.source}金额", where)
        for fund in record.funds
        for attribute, column in (
            ("initial", "initial_wan"),
            ("adjusted", "adjusted_wan"),
            ("executed", "executed_wan"),
        )
    ]
    fits += [
        fit_value(
            ctx,
            indicator,
            column,
            Indicator,
            column,
            f"{of}指标“{indicator.name}”的{Indicator._meta.get_field(column).verbose_name}",
            where,
        )
        for indicator in record.indicators
        for column in ("target_value", "actual_value", "weight", "claimed_score")
    ]
    fits += [
        fit_value(ctx, record, column, ProjectEvaluation, column, f"{of}{EVALUATION_FIELDS[column]}", where)
        for column in ("claimed_total", "claimed_budget_score", "stated_execution_rate")
    ]
    fits += [
        fit_value(ctx, record, column, ProjectEvaluation, column, f"{of}年度资金总额", where)
        for column in STATED_TOTAL_FIELDS
    ]
    return all(fits)


# The preview lists this many tables as they will be stored; a bigger file's others are counted only.
PREVIEW_TABLES = 200


def table_preview(record: ProjectRecord, label: str) -> dict:
    """One table as it will be stored, in the preview's words and figures (JSON-safe: every figure as text)."""

    def amount(value) -> str:
        return formatting.amount(value, empty="")

    def points(value) -> str:
        return formatting.points(value, trim=True)

    stated = (record.stated_initial_wan, record.stated_adjusted_wan, record.stated_executed_wan)
    return {
        "label": label,
        "sheet": record.sheet,
        "row": record.row,
        "read_as": record.read_as,
        "funds": [[f.source, amount(f.initial), amount(f.adjusted), amount(f.executed)] for f in record.funds],
        "stated_total": [amount(v) for v in stated] if any(v is not None for v in stated) else [],
        "indicators": [
            [
                i.level1,
                i.level2,
                i.name,
                i.sign or ("未写（按正向计分）" if signs.scoring_sign("", i.target_value) else ""),
                i.target_text,
                i.actual_text or i.actual_label,
                points(i.weight),
                points(i.claimed_score),
            ]
            for i in record.indicators
        ],
        "total": points(record.claimed_total),
        "grade": record.claimed_grade,
    }


def _record_unit(ctx: Context, record: ProjectRecord):
    """The unit the record names (its department and unit created when new). A unit named without its 主管部门
    is the bureau's one organisation of that name; where the bureau has none, the unit is taken as a department
    of its own (a department is a budget unit too, SPEC §2), with a warning saying how to put it under another.
    None, with an ERROR, when neither is named or the name is ambiguous."""
    if record.department:
        return ctx.unit(ctx.department(record.department), record.unit)
    where = {"sheet": record.sheet, "row": record.row}
    if not record.unit:
        message = f"项目“{record.name}”没有写明主管部门和实施单位，无法确定它属于哪个单位：请在表中填写后重新导入。"
        ctx.outcome.problems.append(Problem(ERROR, message, **where))
        return None
    unit = ctx.unit_without_department(record.unit)
    if unit is not None:
        return unit
    if ctx.named_more_than_once(record.unit):
        message = (
            f"项目“{record.name}”没有写明主管部门，而本财政局下有多个名为“{record.unit}”的单位："
            "请在表中填写主管部门后重新导入。"
        )
        ctx.outcome.problems.append(Problem(ERROR, message, **where))
        return None
    message = (
        f"项目“{record.name}”没有写明主管部门：实施单位“{record.unit}”按主管部门导入（主管部门本身也是预算单位）。"
        "如它隶属于某个主管部门，请在表中填写主管部门后重新导入。"
    )
    ctx.outcome.problems.append(Problem(WARNING, message, **where))
    return ctx.department(record.unit)


def apply_project(ctx: Context, year: FiscalYear, record: ProjectRecord, funds_order: dict[str, int]):
    """One 项目支出绩效自评表: the project of (year, code or unit + name) created, updated or left as it is."""
    if not _fit_record(ctx, record):
        return
    unit = _record_unit(ctx, record)
    if unit is None:
        return
    label = f"{unit.name} / {record.name}"
    if len(ctx.outcome.tables) < PREVIEW_TABLES:
        ctx.outcome.tables.append(table_preview(record, label))
    projects = Project.objects.filter(fiscal_year=year).prefetch_related("budget_lines", "indicators")
    project = projects.filter(code=record.code).first() if record.code else None
    if project is None:
        project = by_name(projects.filter(unit=unit), record.name)

    # A header field or claim the file leaves empty is "not stated" (the national table has no 设立背景, a
    # table may state no grade): it keeps what is stored. Funds and indicators are the table itself: replaced.
    header = {name: getattr(record, name) for name in HEADER_FIELDS if getattr(record, name)}
    funds = _record_funds(record, funds_order)
    indicators = _record_indicators(record)
    claims = {name: getattr(record, name) for name in EVALUATION_FIELDS if getattr(record, name) not in (None, "")}
    stated = {name: getattr(record, name) for name in STATED_TOTAL_FIELDS}
    if project is None:
        # Not evaluations.filling.services.project_create: that starts a project as a unit does (a draft
        # self-evaluation, the profile's empty fund rows), while an imported one arrives with the file's fund rows
        # and a published evaluation; going through it would write, and leave in the audit trail, a draft and
        # empty fund rows that the file never had, only to replace them in the same transaction.
        project = Project.objects.create(fiscal_year=year, unit=unit, name=record.name, **header)
        action, changed = CREATED, ()
    else:
        changed = _changes(project, unit, header, funds, indicators, claims, stated)
        if not changed:
            ctx.outcome.changes.append(Change(UNCHANGED, "项目", label))
            return
        action = UPDATED
        for name, value in header.items():
            setattr(project, name, value)
        project.unit = unit
        project.version += 1
        project.save()
    if action == CREATED or "项目资金" in changed:
        _replace_funds(project, funds)
    if action == CREATED or "绩效指标" in changed:
        _replace_indicators(project, indicators)
    _write_claims(project, claims | stated)
    ctx.written.append((project, record))
    ctx.outcome.changes.append(Change(action, "项目", label, tuple(changed)))


def _changes(
    project: Project, unit, header: dict, funds: list, indicators: list, claims: dict, stated: dict
) -> list[str]:
    """The preview's names of what the file changes on a stored project."""
    evaluation = ProjectEvaluation.objects.filter(project=project).first()
    changed = [HEADER_FIELDS[name] for name, value in header.items() if getattr(project, name) != value]
    if project.unit_id != unit.pk:
        changed.insert(0, "预算单位")
    stored_stated = {name: getattr(evaluation, name) if evaluation else None for name in STATED_TOTAL_FIELDS}
    if _stored_funds(project) != funds or stored_stated != stated:
        changed.append("项目资金")
    if _stored_indicators(project) != indicators:
        changed.append("绩效指标")
    changed += [
        EVALUATION_FIELDS[name]
        for name, value in claims.items()
        if evaluation is None or getattr(evaluation, name) != value
    ]
    return changed


def _replace_funds(project: Project, funds: list[tuple]):
    """The project's fund rows: the file's, in the profile's order."""
    project.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(project=project, fund_source=source, order=n, initial_wan=initial, adjusted_wan=a, executed_wan=b)
        for n, (source, initial, a, b) in enumerate(funds)
    )


def _replace_indicators(project: Project, indicators: list[tuple]):
    """The project's indicators: the file's, in its order."""
    project.indicators.all().delete()
    Indicator.objects.bulk_create(
        Indicator(project=project, order=n, **dict(zip(INDICATOR_FIELDS, values, strict=True)))
        for n, values in enumerate(indicators)
    )


def _write_claims(project: Project, claims: dict):
    """The project's self-evaluation (已公开 when the import creates it) with the claims the file states, and its
    computed totals."""
    evaluation, created = ProjectEvaluation.objects.get_or_create(
        project=project, defaults={"status": ProjectEvaluation.Status.PUBLISHED}
    )
    for name, value in claims.items():
        setattr(evaluation, name, value)
    evaluation.save()
    if created:
        record_transition(evaluation)
    evaluation_recalculate(evaluation=evaluation)


def quality_findings(ctx: Context):
    """The 智能审核 findings of what the file writes, listed in the preview as warnings: history is imported
    as written, and the checks say what a reviewer will see (a score above its weight, an empty reason …)."""
    from evaluations.quality.engine import project_findings

    for project, record in ctx.written:
        for finding in project_findings(project):
            ctx.outcome.problems.append(
                Problem(
                    WARNING,
                    f"智能审核（{finding.label}）：{record.name}：{finding.message}",
                    sheet=record.sheet,
                    row=record.row,
                )
            )
