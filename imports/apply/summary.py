"""Writing the rows of a 绩效自评结果汇总表: each row's 序号 and self-evaluation grade on its project (or
department-wide) evaluation, with the 预算执行情况 amounts, 执行率 and 自评得分 where the sheet states them, and the
finance spot check's grade and opinion as an imported review."""

from decimal import Decimal

from budgets.models import FiscalYear, Project
from evaluations.department_wide.services import department_evaluation_recalculate
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation, SpotCheckSample
from evaluations.reports.summary import DEPARTMENT_WIDE_NAME
from evaluations.richtext import opinion_paragraphs, sanitise_opinion
from evaluations.workflow.services import evaluation_recalculate
from imports.apply.context import Context, by_name, fit_value, record_transition
from imports.apply.departments import DEPARTMENT_KIND
from imports.records import CREATED, ERROR, UNCHANGED, UPDATED, Change, Problem, SummaryRecord

SAMPLE_NOTE = "按导入的汇总表记录财政抽查结果，非系统抽取。"
SUMMARY_KIND = "汇总表行"
# The largest 序号 a PositiveIntegerField keeps on every database.
MAX_SORT_ORDER = 2_147_483_647
# The columns the preview names, in the order of _stored's values.
COLUMN_NAMES = (
    "序号",
    "自评结果",
    "财政抽查审核结果",
    "财政抽查审核意见",
    "年初预算数",
    "全年预算数",
    "全年执行数",
    "执行率",
    "自评得分",
)
# The row's stated numbers and where they are kept: on the project's evaluation (the amounts as its 年度资金总额
# as published) or on the department-wide one (which computes its 执行率 from the amounts).
STATED = ("initial_wan", "adjusted_wan", "executed_wan", "execution_rate", "self_score")
PROJECT_FIELDS = dict(
    zip(
        STATED,
        ("stated_initial_wan", "stated_adjusted_wan", "stated_executed_wan", "stated_execution_rate", "claimed_total"),
        strict=True,
    )
)
DEPARTMENT_FIELDS = {
    "initial_wan": "initial_wan",
    "adjusted_wan": "adjusted_wan",
    "executed_wan": "executed_wan",
    "self_score": "claimed_total",
}


def _sample(year: FiscalYear) -> SpotCheckSample:
    sample, _ = SpotCheckSample.objects.get_or_create(
        fiscal_year=year, defaults={"ratio": Decimal(0), "rules": [], "random_seed": 0, "note": SAMPLE_NOTE}
    )
    return sample


def _refused(ctx: Context, row: SummaryRecord) -> bool:
    """An ERROR for a row whose 序号 cannot be kept or that names no department."""
    where = {"sheet": row.sheet, "row": row.row}
    if row.number is not None and not 0 <= row.number <= MAX_SORT_ORDER:
        shown = row.number if abs(row.number) < 10**30 else "（位数过多）"
        message = f"“{row.project_name}”一行的序号 {shown} 超出可保存的范围。"
        ctx.outcome.problems.append(Problem(ERROR, message, **where))
        return True
    if not row.department:
        ctx.outcome.problems.append(Problem(ERROR, f"“{row.project_name}”一行没有主管部门。", **where))
        return True
    names = dict(zip(STATED, COLUMN_NAMES[4:], strict=True))
    fits = [
        fit_value(ctx, row, name, ProjectEvaluation, column, f"“{row.project_name}”一行的{names[name]}", where)
        for name, column in PROJECT_FIELDS.items()
    ]
    return not all(fits)


def apply_summary_row(ctx: Context, year: FiscalYear, row: SummaryRecord):
    """One row: its evaluation (the department's for the 部门整体 row, else the named project's, both created
    when missing) given the row's 序号 and grades, and the finance review the row states."""
    if _refused(ctx, row):
        return
    department = ctx.department(row.department)
    unit = ctx.unit(department, row.unit)
    opinion = sanitise_opinion(row.opinion_html)
    label = f"{unit.name} / {row.project_name}"
    project = None
    if row.project_name == DEPARTMENT_WIDE_NAME:
        target = DepartmentEvaluation.objects.filter(fiscal_year=year, department=department).first()
        review = FinanceReview.objects.filter(department_evaluation=target).first() if target else None
        kind = DEPARTMENT_KIND
    else:
        project = by_name(Project.objects.filter(fiscal_year=year, unit=unit), row.project_name)
        target = ProjectEvaluation.objects.filter(project=project).first() if project else None
        review = FinanceReview.objects.filter(evaluation=target).first() if target else None
        kind = SUMMARY_KIND
    stored = _stored(kind, target, review)
    wanted = (row.number, row.self_grade, row.finance_grade, opinion_paragraphs(opinion), *_stated(kind, row))
    if stored is not None and _same(stored, wanted, reviewed=bool(row.finance_grade or opinion)):
        ctx.outcome.changes.append(Change(UNCHANGED, kind, label))
        return
    action = CREATED if target is None else UPDATED
    if kind == DEPARTMENT_KIND:
        lookup = {"department_evaluation": _write_department_row(year, department, row, created=action == CREATED)}
    else:
        lookup = {"evaluation": _write_project_row(year, unit, project, row)}
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
    fields = () if action == CREATED else _changed_columns(stored, wanted)
    ctx.outcome.changes.append(Change(action, kind, label, fields))


def _stated(kind: str, row: SummaryRecord) -> tuple:
    """The row's stated numbers as they are kept: a department-wide row's 执行率 is not (it follows from the
    amounts)."""
    fields = DEPARTMENT_FIELDS if kind == DEPARTMENT_KIND else PROJECT_FIELDS
    return tuple(getattr(row, name) if name in fields else None for name in STATED)


def _same(stored: tuple, wanted: tuple, *, reviewed: bool) -> bool:
    """Whether the stored records already show the row: a row without a finance grade or opinion leaves the
    review as it is, and a number the row does not state leaves the stored one."""
    review_same = stored[2:4] == wanted[2:4] or not reviewed
    numbers_same = all(new is None or old == new for old, new in zip(stored[4:], wanted[4:], strict=True))
    return stored[:2] == wanted[:2] and review_same and numbers_same


def _stored(kind: str, target, review) -> tuple | None:
    """What the row's columns (序号, 自评结果, 财政抽查审核结果, 财政抽查审核意见, then 年初预算数, 全年预算数,
    全年执行数, 执行率, 自评得分) show of the stored records; None when there is no evaluation yet.

    Opinions compare by their text paragraph by paragraph: an opinion exported to Excel loses its bold and lists
    but is the same opinion, and re-importing it must not overwrite the formatted original.
    """
    if not target:
        return None
    fields = DEPARTMENT_FIELDS if kind == DEPARTMENT_KIND else PROJECT_FIELDS
    return (
        target.sort_order if kind == DEPARTMENT_KIND else target.project.sort_order,
        target.claimed_grade or "",
        review.grade if review else "",
        opinion_paragraphs(review.opinion_html) if review else [],
        *(getattr(target, fields[name]) if name in fields else None for name in STATED),
    )


def _changed_columns(stored: tuple, wanted: tuple) -> tuple[str, ...]:
    """The preview's names of the columns whose stored values differ from the row's (a number the row does not
    state is left as it is)."""
    changed = zip(COLUMN_NAMES, stored, wanted, strict=True)
    return tuple(
        name for index, (name, old, new) in enumerate(changed) if old != new and (index < 4 or new is not None)
    )


def _stated_values(fields: dict[str, str], row: SummaryRecord) -> dict:
    """The model fields the row's stated numbers go to, for the numbers it states."""
    return {column: getattr(row, name) for name, column in fields.items() if getattr(row, name) is not None}


def _write_department_row(year: FiscalYear, department, row: SummaryRecord, *, created: bool) -> DepartmentEvaluation:
    """The department-wide evaluation with the row's 序号 and grade; a new one arrives 已审核."""
    stated = _stated_values(DEPARTMENT_FIELDS, row)
    target, _ = DepartmentEvaluation.objects.update_or_create(
        fiscal_year=year,
        department=department,
        defaults={"claimed_grade": row.self_grade, "sort_order": row.number, **stated},
    )
    if created:
        target.status = DepartmentEvaluation.Status.APPROVED
        target.save(update_fields=["status"])
        record_transition(target, department=True)
    if created or stated:
        # The amounts are inputs of the department indicator system's computable items.
        department_evaluation_recalculate(evaluation=target)
    return target


def _write_project_row(year: FiscalYear, unit, project: Project | None, row: SummaryRecord) -> ProjectEvaluation:
    """The project (created when missing) with the row's 序号, and its evaluation with the row's grade; a new
    evaluation arrives 已抽查 when the row states a finance grade, else 已审核."""
    if project is None:
        # Not evaluations.filling.services.project_create: see imports.apply.projects.apply_project.
        project = Project.objects.create(fiscal_year=year, unit=unit, name=row.project_name, sort_order=row.number)
    elif project.sort_order != row.number:
        project.sort_order = row.number
        project.save(update_fields=["sort_order", "updated_at"])
    status = ProjectEvaluation.Status.SPOT_CHECKED if row.finance_grade else ProjectEvaluation.Status.APPROVED
    target, created = ProjectEvaluation.objects.get_or_create(project=project, defaults={"status": status})
    target.claimed_grade = row.self_grade
    stated = _stated_values(PROJECT_FIELDS, row)
    for column, value in stated.items():
        setattr(target, column, value)
    target.save(update_fields=["claimed_grade", *stated])
    if created:
        record_transition(target)
        evaluation_recalculate(evaluation=target)
    return target


def update_sample_ratio(year: FiscalYear):
    """The imported spot-check sample's ratio: the reviews it holds over the year's evaluations."""
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
