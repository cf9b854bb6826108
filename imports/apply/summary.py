"""Writing the rows of the 市级财政支出绩效自评结果汇总表: each row's 序号 and self-evaluation grade on its project
(or department-wide) evaluation, and the finance spot check's grade and opinion as an imported review."""

from decimal import Decimal

from budgets.models import FiscalYear, Project
from evaluations.department_wide.services import department_evaluation_recalculate
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation, SpotCheckSample
from evaluations.reports.summary import DEPARTMENT_WIDE_NAME
from evaluations.richtext import opinion_paragraphs, sanitise_opinion
from evaluations.workflow.services import evaluation_recalculate
from imports.apply.context import Context, by_name, record_transition
from imports.apply.departments import DEPARTMENT_KIND
from imports.records import CREATED, ERROR, UNCHANGED, UPDATED, Change, Problem, SummaryRecord

SAMPLE_NOTE = "按导入的汇总表记录财政抽查结果，非系统抽取。"
SUMMARY_KIND = "汇总表行"
# The largest 序号 a PositiveIntegerField keeps on every database.
MAX_SORT_ORDER = 2_147_483_647


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
    return False


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
    wanted = (row.number, row.self_grade, row.finance_grade, opinion_paragraphs(opinion))
    if stored is not None and (
        stored == wanted or (not row.finance_grade and not opinion and stored[:2] == wanted[:2])
    ):
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


def _stored(kind: str, target, review) -> tuple | None:
    """What the row's columns (序号, 自评结果, 财政抽查审核结果, 财政抽查审核意见) show of the stored records;
    None when there is no evaluation yet.

    Opinions compare by their text paragraph by paragraph: an opinion exported to Excel loses its bold and lists
    but is the same opinion, and re-importing it must not overwrite the formatted original.
    """
    if not target:
        return None
    return (
        target.sort_order if kind == DEPARTMENT_KIND else target.project.sort_order,
        target.claimed_grade or "",
        review.grade if review else "",
        opinion_paragraphs(review.opinion_html) if review else [],
    )


def _changed_columns(stored: tuple, wanted: tuple) -> tuple[str, ...]:
    """The preview's names of the columns whose stored values differ from the row's."""
    names = ("序号", "自评结果", "财政抽查审核结果", "财政抽查审核意见")
    return tuple(name for name, old, new in zip(names, stored, wanted, strict=True) if old != new)


def _write_department_row(year: FiscalYear, department, row: SummaryRecord, *, created: bool) -> DepartmentEvaluation:
    """The department-wide evaluation with the row's 序号 and grade; a new one arrives 已审核."""
    target, _ = DepartmentEvaluation.objects.update_or_create(
        fiscal_year=year,
        department=department,
        defaults={"claimed_grade": row.self_grade, "sort_order": row.number},
    )
    if created:
        target.status = DepartmentEvaluation.Status.APPROVED
        target.save(update_fields=["status"])
        record_transition(target, department=True)
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
    target.save(update_fields=["claimed_grade"])
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
