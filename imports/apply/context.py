"""What the writers of reader records share: the import's context (the bureau, the outcome, the organisations
found or created), the fiscal year written to, numbers fitted to their columns, and the transition an imported
evaluation is recorded with."""

from dataclasses import dataclass, field

from accounts.models import Organisation
from budgets.models import FiscalYear, RuleProfile
from domain.numbers import fit
from evaluations.models import EvaluationTransition
from imports.records import ERROR, WARNING, Outcome, Problem, create_imported_year
from imports.wording import fold

IMPORT_COMMENT = "从 Excel 导入"


def by_name(queryset, name: str):
    """The record named ``name``: exactly, or else the one whose name differs only in full-width forms and
    blanks ("（一级）" / "(一级)") — files retyped by hand differ so; None when there is none (or several)."""
    exact = queryset.filter(name=name).first()
    if exact is not None:
        return exact
    wanted = fold(name)
    matches = [obj for obj in queryset.only("pk", "name") if fold(obj.name) == wanted]
    return queryset.get(pk=matches[0].pk) if len(matches) == 1 else None


@dataclass
class Context:
    bureau: Organisation
    outcome: Outcome
    departments: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    written: list = field(default_factory=list)  # (project, record) created or updated, for the quality checks

    def department(self, name: str) -> Organisation:
        found = self.departments.get(name)
        if found is None:
            found = by_name(Organisation.objects.filter(parent=self.bureau), name)
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
            found = by_name(Organisation.objects.filter(parent=department), name)
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

    def named_more_than_once(self, name: str) -> bool:
        """Whether the bureau has several organisations called ``name`` (a unit named alone is then ambiguous)."""
        named = Organisation.objects.filter(name=name)
        return (named.filter(parent=self.bureau) | named.filter(parent__parent=self.bureau)).count() > 1


def fiscal_year(ctx: Context, number: int, layout: str, department_profile: RuleProfile | None = None) -> FiscalYear:
    """The bureau's year ``number``; created when missing, with the profile of the file's ``layout`` (or, for
    department-wide tables, the one whose indicator system names their items)."""
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
    return create_imported_year(ctx.bureau, number, profile, ctx.outcome)


def record_transition(evaluation, *, department=False):
    """The evaluation's arrival, from draft to the status it was imported with, by no one."""
    lookup = {"department_evaluation": evaluation} if department else {"evaluation": evaluation}
    EvaluationTransition.objects.create(
        **lookup, from_status="draft", to_status=evaluation.status, actor=None, comment=IMPORT_COMMENT
    )


def fitted(value, model, name: str):
    """``value`` rounded to the places its column keeps (so a re-import compares equal), or ValueError when
    it has more integer digits than the column holds (the database would refuse or mangle it)."""
    if value is None:
        return None
    column = model._meta.get_field(name)
    return fit(value, places=column.decimal_places, digits=column.max_digits)


def fit_value(ctx: Context, owner, attribute: str, model, column: str, what: str, where: dict) -> bool:
    """Round ``owner.attribute`` to what ``model.column`` keeps; False with an ERROR naming ``what`` when the
    number is too large to keep."""
    try:
        setattr(owner, attribute, fitted(getattr(owner, attribute), model, column))
    except ValueError as too_large:
        message = f"{what}“{too_large}”超出可保存的范围（整数部分过长）。"
        ctx.outcome.problems.append(Problem(ERROR, message, **where))
        return False
    return True


def paragraphs(text: str) -> list[str]:
    """A text as its paragraphs: texts that differ only in blank lines and surrounding blanks are the same."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
