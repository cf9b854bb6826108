"""Writing what a reader found (standard tables, department-wide tables, summary sheets) to the database: all or
nothing.

A dry run goes through exactly the same writes inside a transaction and rolls it back, so the preview counts
what a commit would do, new organisations included. A record whose stored state already equals the file is
left alone: importing the same file twice changes nothing.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import DatabaseError, transaction

from accounts.models import Organisation
from budgets.models import BudgetLine, DepartmentIndicator, FiscalYear, Project, RuleProfile
from domain.numbers import fit
from evaluations.department_wide.services import department_evaluation_recalculate
from evaluations.department_wide.sheet import NARRATIVE_FIELDS, build_sheet
from evaluations.models import (
    DepartmentEvaluation,
    DepartmentScoreItem,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    SpotCheckSample,
)
from evaluations.reports.department_table import build_department_table
from evaluations.reports.summary import DEPARTMENT_WIDE_NAME
from evaluations.richtext import opinion_paragraphs, sanitise_opinion
from evaluations.workflow.services import evaluation_recalculate
from imports.readers.standard_table import plain_number
from imports.records import (
    CREATED,
    ERROR,
    IMPORTED_YEAR_NOTE,
    UNCHANGED,
    UPDATED,
    WARNING,
    Change,
    DepartmentItemRecord,
    DepartmentRecord,
    Outcome,
    Problem,
    ProjectRecord,
    ReadResult,
    SummaryRecord,
    refuse_locked_years,
)
from indicators.models import Indicator
from indicators.parsing import clean_text
from policy.locks import YearLocked, year_unlocked

IMPORT_COMMENT = "从 Excel 导入"
SAMPLE_NOTE = "按导入的汇总表记录财政抽查结果，非系统抽取。"

# Project header fields a table can carry, with their labels for the preview.
# Header fields a table can carry (the name identifies the project), with their labels for the preview.
HEADER_FIELDS = {name: Project._meta.get_field(name).verbose_name for name in Project.HEADER_FIELDS if name != "name"}
INDICATOR_FIELDS = Indicator.VALUE_FIELDS
EVALUATION_FIELDS = {
    "claimed_total": "总分",
    "claimed_grade": "等级",
    "claimed_budget_score": "预算执行得分",
    "stated_execution_rate": "执行率",
}


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


def _by_name(queryset, name: str):
    """The record named ``name``: exactly, or else the one whose name differs only in full-width forms and
    blanks ("（一级）" / "(一级)") — files retyped by hand differ so; None when there is none (or several)."""
    exact = queryset.filter(name=name).first()
    if exact is not None:
        return exact
    wanted = _folded(name)
    matches = [obj for obj in queryset.only("pk", "name") if _folded(obj.name) == wanted]
    return queryset.get(pk=matches[0].pk) if len(matches) == 1 else None


def _folded(name: str) -> str:
    return "".join(clean_text(name).split())


@dataclass
class _Context:
    bureau: Organisation
    outcome: Outcome
    departments: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    written: list = field(default_factory=list)  # (project, record) created or updated, for the quality checks

    def department(self, name: str) -> Organisation:
        found = self.departments.get(name)
        if found is None:
            found = _by_name(Organisation.objects.filter(parent=self.bureau), name)
            if found is None:
                found = Organisation.objects.create(name=name, parent=self.bureau, kind=Organisation.Kind.DEPARTMENT)
                self.outcome.new_organisations.append(f"主管部门：{name}")
            self.departments[name] = found
        return found

    def unit(self, department: Organisation, name: str) -> Organisation:
        if not name or name == department.name:
            return department
        key = (department.pk, name)
        found = self.units.get(key)
        if found is None:
            found = _by_name(Organisation.objects.filter(parent=department), name)
            if found is None:
                found = Organisation.objects.create(name=name, parent=department, kind=Organisation.Kind.UNIT)
                self.outcome.new_organisations.append(f"预算单位：{name}（{department.name}）")
            self.units[key] = found
        return found

    def unit_without_department(self, name: str) -> Organisation | None:
        """A unit named without its 主管部门: only when exactly one organisation of the bureau has that name."""
        matches = list(
            Organisation.objects.filter(name=name).filter(parent=self.bureau)
            | Organisation.objects.filter(name=name, parent__parent=self.bureau)
        )
        return matches[0] if len(matches) == 1 else None


def _fiscal_year(ctx: _Context, number: int, layout: str, department_profile: RuleProfile | None = None) -> FiscalYear:
    year = FiscalYear.objects.filter(finance_bureau=ctx.bureau, year=number).select_related("profile").first()
    if year is not None:
        if layout and year.profile.layout != layout:
            ctx.outcome.problems.append(
                Problem(
                    WARNING,
                    f"{number} 年度使用规则方案“{year.profile}”，而文件中的表格是"
                    f"{'四川' if layout == RuleProfile.Layout.SICHUAN else '全国'}表样：按该年度的方案导入。",
                )
            )
        return year
    previous = FiscalYear.objects.filter(finance_bureau=ctx.bureau).order_by("-year").select_related("profile").first()
    # A department-wide table shows no layout: the profile whose indicator system names its items decides.
    profile = (
        RuleProfile.objects.filter(layout=layout).order_by("pk").first()
        if layout
        else department_profile or (previous.profile if previous else None)
    ) or RuleProfile.objects.get(code="national")
    ctx.outcome.changes.append(Change(CREATED, "年度", f"{number} 年度（{profile}）"))
    ctx.outcome.problems.append(Problem(WARNING, IMPORTED_YEAR_NOTE.format(number=number)))
    # Not published on arrival: a year is locked once finalised (SPEC §13), and a past year comes in as many
    # workbooks, one per table; finance finalises and publishes it when the last one is in.
    return FiscalYear.objects.create(
        finance_bureau=ctx.bureau, year=number, profile=profile, status=FiscalYear.Status.CLOSED
    )


def _record_transition(evaluation, *, department=False):
    lookup = {"department_evaluation": evaluation} if department else {"evaluation": evaluation}
    EvaluationTransition.objects.create(
        **lookup, from_status="draft", to_status=evaluation.status, actor=None, comment=IMPORT_COMMENT
    )


def _fund_order(profile) -> dict[str, int]:
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


def _evaluation_values(record: ProjectRecord) -> dict:
    return {name: getattr(record, name) for name in EVALUATION_FIELDS}


def _fitted(value, model, name: str):
    """``value`` rounded to the places its column keeps (so a re-import compares equal), or ValueError when
    it has more integer digits than the column holds (the database would refuse or mangle it)."""
    if value is None:
        return None
    column = model._meta.get_field(name)
    return fit(value, places=column.decimal_places, digits=column.max_digits)


def _fit(ctx: _Context, owner, attribute: str, model, column: str, what: str, where: dict) -> bool:
    """Round ``owner.attribute`` to what ``model.column`` keeps; False with an ERROR naming ``what`` when the
    number is too large to keep."""
    try:
        setattr(owner, attribute, _fitted(getattr(owner, attribute), model, column))
    except ValueError as too_large:
        message = f"{what}“{too_large}”超出可保存的范围（整数部分过长）。"
        ctx.outcome.problems.append(Problem(ERROR, message, **where))
        return False
    return True


def _fit_record(ctx: _Context, record: ProjectRecord) -> bool:
    """Round every number of ``record`` to what the database keeps; an ERROR for a number too large to keep."""
    where = {"sheet": record.sheet, "row": record.row}
    of = f"项目“{record.name}”的"
    fits = [
        _fit(ctx, fund, attribute, BudgetLine, column, f"{of}{fund.source}金额", where)
        for fund in record.funds
        for attribute, column in (
            ("initial", "initial_wan"),
            ("adjusted", "adjusted_wan"),
            ("executed", "executed_wan"),
        )
    ]
    fits += [
        _fit(
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
        _fit(ctx, record, column, ProjectEvaluation, column, f"{of}{EVALUATION_FIELDS[column]}", where)
        for column in ("claimed_total", "claimed_budget_score", "stated_execution_rate")
    ]
    return all(fits)


def _apply_project(ctx: _Context, year: FiscalYear, record: ProjectRecord, fund_order: dict[str, int]):
    where = {"sheet": record.sheet, "row": record.row}
    if not _fit_record(ctx, record):
        return
    if record.department:
        department = ctx.department(record.department)
        unit = ctx.unit(department, record.unit)
    else:
        unit = ctx.unit_without_department(record.unit) if record.unit else None
        if unit is None:
            ctx.outcome.problems.append(
                Problem(ERROR, f"项目“{record.name}”没有写明主管部门，无法确定它属于哪个部门。", **where)
            )
            return
    label = f"{unit.name} / {record.name}"
    projects = Project.objects.filter(fiscal_year=year).prefetch_related("budget_lines", "indicators")
    project = projects.filter(code=record.code).first() if record.code else None
    if project is None:
        project = _by_name(projects.filter(unit=unit), record.name)

    # A header field or claim the file leaves empty is "not stated" (the national table has no 设立背景, a
    # table may state no grade): it keeps what is stored. Funds and indicators are the table itself: replaced.
    header = {name: getattr(record, name) for name in HEADER_FIELDS if getattr(record, name)}
    funds = _record_funds(record, fund_order)
    indicators = _record_indicators(record)
    claims = {name: value for name, value in _evaluation_values(record).items() if value not in (None, "")}
    if project is None:
        project = Project.objects.create(fiscal_year=year, unit=unit, name=record.name, **header)
        action, changed = CREATED, ()
    else:
        evaluation = ProjectEvaluation.objects.filter(project=project).first()
        changed = [HEADER_FIELDS[name] for name, value in header.items() if getattr(project, name) != value]
        if project.unit_id != unit.pk:
            changed.insert(0, "预算单位")
        if _stored_funds(project) != funds:
            changed.append("项目资金")
        if _stored_indicators(project) != indicators:
            changed.append("绩效指标")
        changed += [
            EVALUATION_FIELDS[name]
            for name, value in claims.items()
            if evaluation is None or getattr(evaluation, name) != value
        ]
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
        project.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            BudgetLine(
                project=project, fund_source=source, order=n, initial_wan=initial, adjusted_wan=a, executed_wan=b
            )
            for n, (source, initial, a, b) in enumerate(funds)
        )
    if action == CREATED or "绩效指标" in changed:
        project.indicators.all().delete()
        Indicator.objects.bulk_create(
            Indicator(project=project, order=n, **dict(zip(INDICATOR_FIELDS, values, strict=True)))
            for n, values in enumerate(indicators)
        )
    evaluation, created = ProjectEvaluation.objects.get_or_create(
        project=project, defaults={"status": ProjectEvaluation.Status.PUBLISHED}
    )
    for name, value in claims.items():
        setattr(evaluation, name, value)
    evaluation.save()
    if created:
        _record_transition(evaluation)
    evaluation_recalculate(evaluation=evaluation)
    ctx.written.append((project, record))
    ctx.outcome.changes.append(Change(action, "项目", label, tuple(changed)))


def _sample(year: FiscalYear) -> SpotCheckSample:
    sample, _ = SpotCheckSample.objects.get_or_create(
        fiscal_year=year, defaults={"ratio": Decimal(0), "rules": [], "random_seed": 0, "note": SAMPLE_NOTE}
    )
    return sample


# The largest 序号 a PositiveIntegerField keeps on every database.
MAX_SORT_ORDER = 2_147_483_647


def _apply_summary_row(ctx: _Context, year: FiscalYear, row: SummaryRecord):
    where = {"sheet": row.sheet, "row": row.row}
    if row.number is not None and not 0 <= row.number <= MAX_SORT_ORDER:
        shown = row.number if abs(row.number) < 10**30 else "（位数过多）"
        message = f"“{row.project_name}”一行的序号 {shown} 超出可保存的范围。"
        ctx.outcome.problems.append(Problem(ERROR, message, **where))
        return
    if not row.department:
        ctx.outcome.problems.append(Problem(ERROR, f"“{row.project_name}”一行没有主管部门。", **where))
        return
    department = ctx.department(row.department)
    unit = ctx.unit(department, row.unit)
    opinion = sanitise_opinion(row.opinion_html)
    label = f"{unit.name} / {row.project_name}"
    if row.project_name == DEPARTMENT_WIDE_NAME:
        target = DepartmentEvaluation.objects.filter(fiscal_year=year, department=department).first()
        review = FinanceReview.objects.filter(department_evaluation=target).first() if target else None
        kind = "部门整体自评"
    else:
        project = _by_name(Project.objects.filter(fiscal_year=year, unit=unit), row.project_name)
        target = ProjectEvaluation.objects.filter(project=project).first() if project else None
        review = FinanceReview.objects.filter(evaluation=target).first() if target else None
        kind = "汇总表行"
    # Opinions compare by their text paragraph by paragraph: an opinion exported to Excel loses its bold
    # and lists but is the same opinion, and re-importing it must not overwrite the formatted original.
    stored = (
        (
            target.sort_order if kind == "部门整体自评" else target.project.sort_order,
            target.claimed_grade or "",
            review.grade if review else "",
            opinion_paragraphs(review.opinion_html) if review else [],
        )
        if target
        else None
    )
    wanted = (row.number, row.self_grade, row.finance_grade, opinion_paragraphs(opinion))
    if stored is not None and (
        stored == wanted or (not row.finance_grade and not opinion and stored[:2] == wanted[:2])
    ):
        ctx.outcome.changes.append(Change(UNCHANGED, kind, label))
        return
    action = CREATED if target is None else UPDATED
    if kind == "部门整体自评":
        target, _ = DepartmentEvaluation.objects.update_or_create(
            fiscal_year=year,
            department=department,
            defaults={"claimed_grade": row.self_grade, "sort_order": row.number},
        )
        if action == CREATED:
            target.status = DepartmentEvaluation.Status.APPROVED
            target.save(update_fields=["status"])
            _record_transition(target, department=True)
            department_evaluation_recalculate(evaluation=target)
        lookup = {"department_evaluation": target}
    else:
        if project is None:
            project = Project.objects.create(fiscal_year=year, unit=unit, name=row.project_name, sort_order=row.number)
        elif project.sort_order != row.number:
            project.sort_order = row.number
            project.save(update_fields=["sort_order", "updated_at"])
        status = ProjectEvaluation.Status.SPOT_CHECKED if row.finance_grade else ProjectEvaluation.Status.APPROVED
        target, created = ProjectEvaluation.objects.get_or_create(project=project, defaults={"status": status})
        target.claimed_grade = row.self_grade
        target.save(update_fields=["claimed_grade"])
        if created:
            _record_transition(target)
            evaluation_recalculate(evaluation=target)
        lookup = {"evaluation": target}
    if row.finance_grade or opinion:
        FinanceReview.objects.update_or_create(
            **lookup,
            defaults={
                "sample": _sample(year),
                "selection": FinanceReview.Selection.IMPORTED,
                "status": FinanceReview.Status.COMPLETED,
                "grade": row.finance_grade,
                "opinion_html": opinion,
            },
        )
    fields = (
        ()
        if action == CREATED
        else tuple(
            name
            for name, old, new in zip(
                ("序号", "自评结果", "财政抽查审核结果", "财政抽查审核意见"), stored, wanted, strict=True
            )
            if old != new
        )
    )
    ctx.outcome.changes.append(Change(action, kind, label, fields))


def _paragraphs(text: str) -> list[str]:
    """A text as its paragraphs: texts that differ only in blank lines and surrounding blanks are the same."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _department_profile(result: ReadResult) -> RuleProfile | None:
    """The rule profile whose department indicator system holds the most item names of the file's tables."""
    names = {_folded(item.name) for record in result.departments for item in record.items}
    if not names:
        return None
    scored = sorted(
        (
            (len(names & {_folded(i.name) for i in profile.department_indicators.all()}), -profile.pk, profile)
            for profile in RuleProfile.objects.prefetch_related("department_indicators")
        ),
        key=lambda entry: entry[:2],
        reverse=True,
    )
    return scored[0][2] if scored and scored[0][0] else None


def _department_items(
    ctx: _Context, year: FiscalYear, record: DepartmentRecord
) -> list[tuple[DepartmentIndicator, DepartmentItemRecord]] | None:
    """Each item of ``record`` with the year's DepartmentIndicator of that name (the levels tell namesakes apart);
    None, with an ERROR naming them, when any item is not in the year's system."""
    indicators = list(year.profile.department_indicators.all())
    where = {"sheet": record.sheet}
    matched, taken, unknown = [], {}, []
    for item in record.items:
        candidates = [i for i in indicators if _folded(i.name) == _folded(item.name)]
        if len(candidates) > 1:
            candidates = [
                i
                for i in candidates
                if (_folded(i.level1), _folded(i.level2)) == (_folded(item.level1), _folded(item.level2))
            ]
        if len(candidates) != 1:
            unknown.append(item)
            continue
        (indicator,) = candidates
        if indicator.pk in taken:
            twice = f"指标“{item.name}”在表中出现了两次（第 {taken[indicator.pk]} 行）。"
            ctx.outcome.problems.append(Problem(ERROR, twice, row=item.row, column=item.column, **where))
            continue
        taken[indicator.pk] = item.row
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
        matched.append((indicator, item))
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
    missing = [i.name for i in indicators if i.pk not in taken]
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
    return matched


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


def _fit_department(ctx: _Context, record: DepartmentRecord) -> bool:
    """Round the table's amounts and scores to what the database keeps; an ERROR for one too large to keep."""
    where = {"sheet": record.sheet, "row": record.row}
    of = f"{record.department}部门整体自评表的"
    amounts = ("initial_wan", "adjusted_wan", "executed_wan", "basic_expenditure_wan", "project_expenditure_wan")
    fits = [
        _fit(
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
    fits.append(_fit(ctx, record, "claimed_total", DepartmentEvaluation, "claimed_total", f"{of}合计得分", where))
    fits += [
        _fit(ctx, item, "claimed_score", DepartmentScoreItem, "claimed_score", f"{of}“{item.name}”自评得分", where)
        for item in record.items
    ]
    return all(fits)


def _apply_department(ctx: _Context, year: FiscalYear, record: DepartmentRecord):
    """One 部门整体支出绩效自评表: the evaluation of (year, department) created, updated or left as it is.

    The items are matched to the year's department indicator system by name; an item the system lacks refuses
    the table (an ERROR naming it). A field, score or note the table leaves blank keeps what is stored; the
    others are compared with what the stored evaluation's table shows (texts paragraph by paragraph).
    """
    if not _fit_department(ctx, record):
        return
    items = _department_items(ctx, year, record)
    if items is None:
        return
    department = ctx.department(record.department)
    label = f"{department.name} / {DEPARTMENT_WIDE_NAME}"
    stated = {name: getattr(record, name) for name in DEPARTMENT_FIELDS if getattr(record, name) not in (None, "")}
    evaluation = (
        DepartmentEvaluation.objects.filter(fiscal_year=year, department=department)
        .select_related("fiscal_year__profile", "department")
        .first()
    )
    if evaluation is None:
        claims = {name: getattr(record, name) for name in DEPARTMENT_CLAIMS if getattr(record, name) not in (None, "")}
        evaluation = DepartmentEvaluation.objects.create(
            fiscal_year=year, department=department, status=DepartmentEvaluation.Status.PUBLISHED, **stated, **claims
        )
        _record_transition(evaluation, department=True)
        _write_items(
            evaluation,
            [(i, item) for i, item in items if item.claimed_score is not None],
            [(i, item) for i, item in items if item.note],
        )
        department_evaluation_recalculate(evaluation=evaluation)
        ctx.outcome.changes.append(Change(CREATED, DEPARTMENT_KIND, label))
        return

    changed = [
        name
        for name, value in stated.items()
        if (
            _paragraphs(getattr(evaluation, name)) != _paragraphs(value)
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
        if item.note and _paragraphs(item.note) != _paragraphs(lines[indicator.pk].note)
    ]
    _write_items(evaluation, scores, notes)
    claims = _changed_claims(evaluation, record)
    fields = [DEPARTMENT_FIELDS[name] for name in changed] + [DEPARTMENT_CLAIMS[name] for name in claims]
    if scores:
        fields.append(f"自评得分（{'、'.join(item.name for _, item in scores)}）")
    if notes:
        fields.append(f"备注（{'、'.join(item.name for _, item in notes)}）")
    if not fields:
        ctx.outcome.changes.append(Change(UNCHANGED, DEPARTMENT_KIND, label))
        return
    # Imported, not edited by anyone: a form opened before the import is refused as stale.
    evaluation.version += 1
    evaluation.updated_by = None
    evaluation.save(update_fields=[*changed, *claims, "version", "updated_by", "updated_at"])
    department_evaluation_recalculate(evaluation=evaluation)
    ctx.outcome.changes.append(Change(UPDATED, DEPARTMENT_KIND, label, tuple(fields)))


def _quality_findings(ctx: _Context):
    """The 智能审核 findings of what the file writes, listed in the preview as warnings: history is imported
    as written, and the checks say what a reviewer will see (a score above its weight, an empty reason …)."""
    from evaluations.quality.checks import project_findings

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


def _layout(result: ReadResult) -> str:
    layouts = {record.layout for record in result.projects if record.layout}
    return layouts.pop() if len(layouts) == 1 else ""


def apply_result(result: ReadResult, *, bureau: Organisation, year: int | None = None, dry_run: bool = True) -> Outcome:
    """Write ``result`` for ``bureau`` (the year from ``year`` or the file), or only preview it (``dry_run``)."""
    records = [*result.projects, *result.departments]
    number = year or result.year or next((r.year for r in records if r.year), None)
    outcome = Outcome(kind=result.kind, year=number, bureau=bureau.name, problems=list(result.problems))
    if number is None:
        outcome.problems.append(Problem(ERROR, "文件的标题中没有年度（例如“（2024年度）”）：请指定导入到哪个年度。"))
    if not result.projects and not result.summary_rows and not result.departments and not outcome.errors:
        outcome.problems.append(Problem(ERROR, "文件中没有可导入的数据。"))
    if outcome.errors:
        return outcome
    try:
        with transaction.atomic():
            ctx = _Context(bureau=bureau, outcome=outcome)
            fiscal_year = _fiscal_year(ctx, number, _layout(result), _department_profile(result))
            # Written as if open, to learn what the file would change; a finalised year that existed before is
            # refused below whenever anything would change, and the transaction is rolled back (SPEC §13).
            with year_unlocked(fiscal_year):
                fund_order = _fund_order(fiscal_year.profile)
                for record in result.projects:
                    _apply_project(ctx, fiscal_year, record, fund_order)
                # After the projects: 目标实现 counts the department's project indicators.
                for department_record in result.departments:
                    _apply_department(ctx, fiscal_year, department_record)
                if result.summary_rows:
                    for row in result.summary_rows:
                        _apply_summary_row(ctx, fiscal_year, row)
                    _update_sample_ratio(fiscal_year)
                _quality_findings(ctx)
            refuse_locked_years(outcome, [fiscal_year])
            if dry_run or outcome.errors:
                transaction.set_rollback(True)
            else:
                outcome.committed = True
    except YearLocked as exc:
        # A year that existed before the import and is finalised: nothing of it changes (SPEC §13).
        outcome.committed = False
        outcome.problems.append(Problem(ERROR, f"{exc} 没有导入任何数据。"))
    except DatabaseError as exc:
        outcome.committed = False
        outcome.problems.append(Problem(ERROR, f"写入数据库时出错，没有导入任何数据（{type(exc).__name__}）。"))
    return outcome


def _update_sample_ratio(year: FiscalYear):
    sample = SpotCheckSample.objects.filter(fiscal_year=year, note=SAMPLE_NOTE).first()
    if sample is None:
        return
    reviewed = FinanceReview.objects.filter(sample=sample, excluded=False).count()
    total = ProjectEvaluation.objects.filter(project__fiscal_year=year).count()
    total += DepartmentEvaluation.objects.filter(fiscal_year=year).count()
    ratio = (Decimal(reviewed) / Decimal(total)).quantize(Decimal("0.000001")) if total else Decimal(0)
    if sample.ratio != ratio:
        sample.ratio = ratio
        sample.save(update_fields=["ratio"])
