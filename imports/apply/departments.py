"""Writing the 部门整体支出绩效自评表 records: the department-wide evaluation of (year, department) with its items
matched by name to the year's department indicator system, created, updated or left as it is.

A table with an indicator system of its own (another locality's, an older year's: categories the year's system
lacks) is kept as the table states it: its items outside the year's system are stored as the evaluation's own
score lines (DepartmentScoreItem without an indicator, with their labels and points), and every line of the table
keeps its labels and place, so the evaluation's table prints as the file did.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from budgets.models import DepartmentIndicator, FiscalYear, RuleProfile
from evaluations.department_wide.services import department_evaluation_recalculate
from evaluations.department_wide.sheet import NARRATIVE_FIELDS, build_sheet
from evaluations.models import DepartmentEvaluation, DepartmentScoreItem
from evaluations.reports.department_table import build_department_table
from evaluations.reports.summary import DEPARTMENT_WIDE_NAME
from imports.apply.context import Context, fit_value, paragraphs, record_transition
from imports.readers.standard_sheet import plain_number
from imports.records import (
    CREATED,
    ERROR,
    UNCHANGED,
    UPDATED,
    WARNING,
    Change,
    DepartmentItemRecord,
    DepartmentRecord,
    Problem,
    ReadResult,
)
from imports.wording import fold

# The department-wide table's fields (DepartmentRecord and DepartmentEvaluation share the names), for the preview.
DEPARTMENT_FIELDS = {
    "initial_wan": "年初预算数",
    "adjusted_wan": "全年预算数",
    "executed_wan": "全年执行数",
    "basic_expenditure_wan": "基本支出",
    "project_expenditure_wan": "项目支出",
    "goal": "年度总体目标",
    "performance_narrative": "履职效能",
    "management_narrative": "管理效率",
    "conclusion": "评价结论",
    "problems": "存在问题",
    "improvements": "改进措施",
}
DEPARTMENT_CLAIMS = {"claimed_total": "总分", "claimed_grade": "等级"}
DEPARTMENT_KIND = "部门整体自评"

Items = list[tuple[DepartmentIndicator, DepartmentItemRecord]]
# What a line of a table with its own system keeps as the table states it (DepartmentScoreItem's fields).
STATED_LABELS = ("level1", "level1_points", "level2", "level2_points", "name", "points")
# The names of own items listed in the preview's warning, at most.
LISTED_NAMES = 5


def department_profile(result: ReadResult) -> RuleProfile | None:
    """The rule profile whose department indicator system holds the most item names of the file's tables."""
    names = {fold(item.name) for record in result.departments for item in record.items}
    if not names:
        return None
    scored = sorted(
        (
            (len(names & {fold(i.name) for i in profile.department_indicators.all()}), -profile.pk, profile)
            for profile in RuleProfile.objects.prefetch_related("department_indicators")
        ),
        key=lambda entry: entry[:2],
        reverse=True,
    )
    return scored[0][2] if scored and scored[0][0] else None


def _levels(item) -> tuple[str, str]:
    return fold(item.level1), fold(item.level2)


def _own_key(item) -> tuple[str, str, str]:
    """An own item as told apart from the others of its table: its levels and name."""
    return fold(item.level1), fold(item.level2), fold(item.name)


def _department_items(
    ctx: Context, year: FiscalYear, record: DepartmentRecord
) -> tuple[Items, list[DepartmentItemRecord]] | None:
    """Each item of ``record`` with the year's DepartmentIndicator of that name (the levels tell namesakes apart),
    and the items of the table's own system; None, with an ERROR naming them, when the table is refused.

    A table whose 一级 / 二级 are all the year's system's is in that system: an item it lacks is misnamed, and
    refuses the table. A table with categories of its own has its own system: the items the year's system lacks
    are the table's own.
    """
    indicators = list(year.profile.department_indicators.all())
    where = {"sheet": record.sheet}
    categories = {_levels(i) for i in indicators}
    own_system = any(_levels(item) not in categories for item in record.items)
    matched, taken, unknown = [], {}, []
    for item in record.items:
        candidates = [i for i in indicators if fold(i.name) == fold(item.name)]
        if len(candidates) > 1:
            candidates = [i for i in candidates if _levels(i) == _levels(item)]
        if len(candidates) != 1:
            unknown.append(item)
            continue
        (indicator,) = candidates
        if indicator.pk in taken and own_system:
            unknown.append(item)  # a namesake under other categories: the table's own item
            continue
        if indicator.pk in taken:
            twice = f"指标“{item.name}”在表中出现了两次（第 {taken[indicator.pk]} 行）。"
            ctx.outcome.problems.append(Problem(ERROR, twice, row=item.row, column=item.column, **where))
            continue
        taken[indicator.pk] = item.row
        _check_item(ctx, year, indicator, item, where)
        matched.append((indicator, item))
    if own_system:
        return _own_items(ctx, year, record, matched, unknown)
    for item in unknown:
        ctx.outcome.problems.append(
            Problem(
                ERROR,
                f"指标“{item.name}”不在 {year.year} 年度规则方案“{year.profile}”的部门整体指标体系中，"
                f"“{record.department}”的部门整体支出绩效自评表未导入。",
                row=item.row,
                column=item.column,
                **where,
            )
        )
    if unknown or len(matched) < len(record.items):
        return None
    _report_missing(ctx, record, [i.name for i in indicators if i.pk not in taken], where)
    return matched, []


def _own_items(ctx: Context, year: FiscalYear, record: DepartmentRecord, matched: Items, own: list):
    """The matched items and the table's own, with the preview's warning that the table has its own system; None
    when an item appears twice or a label is too long to keep (ERRORs naming them)."""
    where = {"sheet": record.sheet}
    fits = True
    for item in own:
        for name, what in (("level1", "一级指标"), ("level2", "二级指标"), ("name", "指标名称")):
            limit = DepartmentScoreItem._meta.get_field(name).max_length
            if len(getattr(item, name)) > limit:
                message = f"{what}“{getattr(item, name)}”超过 {limit} 个字，无法保存。"
                ctx.outcome.problems.append(Problem(ERROR, message, row=item.row, column=item.column, **where))
                fits = False
    if not fits or len(matched) + len(own) < len(record.items):
        return None
    listed = "、".join(f"“{item.name}”" for item in own[:LISTED_NAMES]) + ("等" if len(own) > LISTED_NAMES else "")
    ctx.outcome.problems.append(
        Problem(
            WARNING,
            f"“{record.department}”的部门整体支出绩效自评表：该表的指标体系与本年度方案不同，按表中所列指标导入"
            f"（{len(record.items)} 项）；其中{listed}{len(own)} 项不在 {year.year} 年度规则方案“{year.profile}”"
            "中，作为该表自有的指标保存，分值和得分按表中所列。",
            row=record.row,
            **where,
        )
    )
    return matched, own


def _check_item(ctx: Context, year: FiscalYear, indicator: DepartmentIndicator, item: DepartmentItemRecord, where):
    """Warnings for an item whose points differ from the profile's, or that states a score nobody self-scores."""
    if item.points is not None and item.points != indicator.points:
        ctx.outcome.problems.append(
            Problem(
                WARNING,
                f"指标“{item.name}”的分值 {plain_number(item.points)} 与 {year.year} 年度规则方案的分值 "
                f"{plain_number(indicator.points)} 不同：按规则方案计分。",
                row=item.row,
                column=item.column,
                **where,
            )
        )
    if item.claimed_score is not None and not indicator.self_scored:
        ctx.outcome.problems.append(
            Problem(
                WARNING,
                f"指标“{item.name}”由财政评价组打分，部门自评时不打分：表中的得分 "
                f"{plain_number(item.claimed_score)} 按原文导入，不计入自评总分。",
                row=item.row,
                column=item.column,
                **where,
            )
        )


def _report_missing(ctx: Context, record: DepartmentRecord, missing: list[str], where: dict):
    """A warning naming the system's indicators the table leaves out (their stored scores stay)."""
    if missing:
        ctx.outcome.problems.append(
            Problem(
                WARNING,
                f"“{record.department}”的自评表中没有指标{'、'.join(f'“{name}”' for name in missing)}：这些指标"
                "没有导入得分，已有的得分不变。",
                row=record.row,
                **where,
            )
        )


def _shown_score(line) -> Decimal | None:
    """The 自评得分 the stored evaluation's table prints for a line: claimed, else computed (self-scored items)."""
    if line.claimed is not None:
        return line.claimed
    return line.computed if line.self_scored else None


def _write_items(evaluation: DepartmentEvaluation, scores: list, notes: list):
    """Store the claimed scores and notes of the given (indicator, item) pairs on the evaluation's score lines."""
    writes: dict[int, tuple[DepartmentIndicator, dict]] = {}
    for indicator, item in scores:
        writes.setdefault(indicator.pk, (indicator, {}))[1]["claimed_score"] = item.claimed_score
    for indicator, item in notes:
        writes.setdefault(indicator.pk, (indicator, {}))[1]["note"] = item.note
    for indicator, values in writes.values():
        DepartmentScoreItem.objects.update_or_create(evaluation=evaluation, indicator=indicator, defaults=values)


@dataclass
class StatedChanges:
    """What ``_write_stated`` changed, by item name, for the preview."""

    layout: list[str] = field(default_factory=list)  # added, relabelled, removed lines
    scores: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _stated_labels(item: DepartmentItemRecord, order: int) -> dict:
    """A line's labels, points and place as the table states them (points it leaves blank keep what is stored)."""
    values = {name: getattr(item, name, None) for name in STATED_LABELS}
    values = {name: value for name, value in values.items() if value is not None}
    return {**values, "order": order}


def _put(line: DepartmentScoreItem, values: dict) -> bool:
    """Set the values that differ on ``line`` and save them (a new line: all of it); whether any did."""
    changed = [name for name, value in values.items() if getattr(line, name) != value]
    for name in changed:
        setattr(line, name, values[name])
    if line.pk is None:
        line.save()
    elif changed:
        line.save(update_fields=changed)
    return bool(changed)


def _write_stated(
    evaluation: DepartmentEvaluation, record: DepartmentRecord, items: Items, own: list[DepartmentItemRecord]
) -> StatedChanges:
    """Store a table with its own indicator system as it states it.

    Its own items are created or updated (a blank score or note keeps what is stored), those of an earlier table
    it no longer lists deleted; each of its lines keeps the labels, points and place the table gives it. A table in
    the year's system (no own items) takes back a layout an earlier table left: the evaluation prints the year's
    system again.
    """
    stored = list(DepartmentScoreItem.objects.filter(evaluation=evaluation))
    own_stored = {_own_key(line): line for line in stored if line.indicator_id is None}
    lines = {line.indicator_id: line for line in stored if line.indicator_id is not None}
    order = {id(item): position for position, item in enumerate(record.items, start=1)}
    changes = StatedChanges()
    if own:
        for indicator, item in items:
            line = lines.pop(indicator.pk, None) or DepartmentScoreItem(evaluation=evaluation, indicator=indicator)
            if _put(line, _stated_labels(item, order[id(item)])):
                changes.layout.append(item.name)
    for item in own:
        line = own_stored.pop(_own_key(item), None)
        if line is None:
            line = DepartmentScoreItem(evaluation=evaluation, claimed_score=item.claimed_score, note=item.note)
            _put(line, _stated_labels(item, order[id(item)]))
            changes.layout.append(item.name)
            continue
        if _put(line, _stated_labels(item, order[id(item)])):
            changes.layout.append(item.name)
        if item.claimed_score is not None and _put(line, {"claimed_score": item.claimed_score}):
            changes.scores.append(item.name)
        if item.note and paragraphs(item.note) != paragraphs(line.note) and _put(line, {"note": item.note}):
            changes.notes.append(item.name)
    for line in own_stored.values():
        line.delete()
        changes.layout.append(line.name)
    # Lines of the year's system an earlier table listed and this one does not: no longer printed as stated.
    cleared = dict.fromkeys(("level1", "level2", "name"), "") | dict.fromkeys(
        ("level1_points", "level2_points", "points", "order")
    )
    for line in lines.values():
        if line.order is not None:
            changes.layout.append(line.name)
            _put(line, cleared)
    if changes.layout:
        changes.layout = [f"表中指标（{'、'.join(changes.layout)}）"]
    return changes


def _changed_claims(evaluation: DepartmentEvaluation, record: DepartmentRecord) -> list[str]:
    """Set the total and grade the file states where the evaluation's table would print others; their names.

    Compared with what the table prints (evaluations.reports.department_table: a blank claim prints the computed
    total, a blank grade that of the total), so our own export reads back as unchanged. Called once the file's
    other values are in place: they move the computed total.
    """
    changed = []
    if record.claimed_total is not None and record.claimed_total != build_department_table(evaluation).total_score:
        evaluation.claimed_total = record.claimed_total
        changed.append("claimed_total")
    if record.claimed_grade and record.claimed_grade != build_department_table(evaluation).grade:
        evaluation.claimed_grade = record.claimed_grade
        changed.append("claimed_grade")
    return changed


def _fit_department(ctx: Context, record: DepartmentRecord) -> bool:
    """Round the table's amounts and scores to what the database keeps; an ERROR for one too large to keep."""
    where = {"sheet": record.sheet, "row": record.row}
    of = f"{record.department}部门整体自评表的"
    amounts = ("initial_wan", "adjusted_wan", "executed_wan", "basic_expenditure_wan", "project_expenditure_wan")
    fits = [
        fit_value(
            ctx,
            record,
            name,
            DepartmentEvaluation,
            name,
            of + DepartmentEvaluation._meta.get_field(name).verbose_name,
            where,
        )
        for name in amounts
    ]
    fits.append(fit_value(ctx, record, "claimed_total", DepartmentEvaluation, "claimed_total", f"{of}合计得分", where))
    fits += [
        fit_value(ctx, item, "claimed_score", DepartmentScoreItem, "claimed_score", f"{of}“{item.name}”自评得分", where)
        for item in record.items
    ]
    # The points kept on the lines of a table with its own system (stored as the table states them).
    fits += [
        fit_value(ctx, item, name, DepartmentScoreItem, name, f"{of}“{item.name}”的{what}", where)
        for item in record.items
        for name, what in (("points", "分值"), ("level1_points", "一级分值"), ("level2_points", "二级分值"))
        if hasattr(item, name)
    ]
    return all(fits)


def _stated(record: DepartmentRecord, names) -> dict:
    """The values of ``names`` the table states (a blank one keeps what is stored)."""
    return {name: getattr(record, name) for name in names if getattr(record, name) not in (None, "")}


def apply_department(ctx: Context, year: FiscalYear, record: DepartmentRecord):
    """One 部门整体支出绩效自评表: the evaluation of (year, department) created, updated or left as it is.

    The items are matched to the year's department indicator system by name; an item the system lacks refuses
    a table in that system (an ERROR naming it) and is the table's own item in a table with a system of its own.
    A field, score or note the table leaves blank keeps what is stored; the others are compared with what the
    stored evaluation's table shows (texts paragraph by paragraph).
    """
    if not _fit_department(ctx, record):
        return
    found = _department_items(ctx, year, record)
    if found is None:
        return
    items, own = found
    department = ctx.department(record.department)
    label = f"{department.name} / {DEPARTMENT_WIDE_NAME}"
    evaluation = (
        DepartmentEvaluation.objects.filter(fiscal_year=year, department=department)
        .select_related("fiscal_year__profile", "department")
        .first()
    )
    if evaluation is None:
        evaluation = DepartmentEvaluation.objects.create(
            fiscal_year=year,
            department=department,
            status=DepartmentEvaluation.Status.PUBLISHED,
            **_stated(record, DEPARTMENT_FIELDS),
            **_stated(record, DEPARTMENT_CLAIMS),
        )
        record_transition(evaluation, department=True)
        _write_items(
            evaluation,
            [(i, item) for i, item in items if item.claimed_score is not None],
            [(i, item) for i, item in items if item.note],
        )
        department_evaluation_recalculate(evaluation=evaluation)
        _write_stated(evaluation, record, items, own)
        ctx.outcome.changes.append(Change(CREATED, DEPARTMENT_KIND, label))
        return
    fields = _update_department(evaluation, record, items, own)
    if not fields:
        ctx.outcome.changes.append(Change(UNCHANGED, DEPARTMENT_KIND, label))
        return
    ctx.outcome.changes.append(Change(UPDATED, DEPARTMENT_KIND, label, tuple(fields)))


def _update_department(
    evaluation: DepartmentEvaluation, record: DepartmentRecord, items: Items, own: list[DepartmentItemRecord]
) -> list[str]:
    """Write what the table states differently from what the stored evaluation's table shows; the preview's
    names of what changed (nothing is saved when nothing did)."""
    stated = _stated(record, DEPARTMENT_FIELDS)
    changed = [
        name
        for name, value in stated.items()
        if (
            paragraphs(getattr(evaluation, name)) != paragraphs(value)
            if name in NARRATIVE_FIELDS
            else getattr(evaluation, name) != value
        )
    ]
    for name in changed:
        setattr(evaluation, name, stated[name])
    # Scores as the table prints them with the file's amounts: a blank claim shows the computed score.
    lines = {line.indicator.pk: line for line in build_sheet(evaluation).lines}
    scores = [
        (indicator, item)
        for indicator, item in items
        if item.claimed_score is not None and item.claimed_score != _shown_score(lines[indicator.pk])
    ]
    notes = [
        (indicator, item)
        for indicator, item in items
        if item.note and paragraphs(item.note) != paragraphs(lines[indicator.pk].note)
    ]
    _write_items(evaluation, scores, notes)
    stated = _write_stated(evaluation, record, items, own)
    claims = _changed_claims(evaluation, record)
    fields = [DEPARTMENT_FIELDS[name] for name in changed] + [DEPARTMENT_CLAIMS[name] for name in claims]
    fields += stated.layout
    score_names = [item.name for _, item in scores] + stated.scores
    note_names = [item.name for _, item in notes] + stated.notes
    if score_names:
        fields.append(f"自评得分（{'、'.join(score_names)}）")
    if note_names:
        fields.append(f"备注（{'、'.join(note_names)}）")
    if fields:
        # Imported, not edited by anyone: a form opened before the import is refused as stale.
        evaluation.version += 1
        evaluation.updated_by = None
        evaluation.save(update_fields=[*changed, *claims, "version", "updated_by", "updated_at"])
        department_evaluation_recalculate(evaluation=evaluation)
    return fields
