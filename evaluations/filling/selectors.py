"""Reads of projects, always scoped to the user first (django-rules checks objects, not lists)."""

from django.db.models import Case, DecimalField, F, Func, Sum, Value, When
from django.db.models.functions import Coalesce

from budgets.scopes import projects_visible_to
from evaluations.models import reported_grade_sql

RATE = DecimalField(max_digits=20, decimal_places=6)


class Ratio(Func):
    """numerator / denominator in the database, exact on PostgreSQL (numeric) and never integer division."""

    arg_joiner = " / "
    template = "(%(expressions)s)"
    output_field = RATE

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps whole-number amounts as integers and would divide 95 / 100 to 0.
        return self.as_sql(compiler, connection, arg_joiner=" * 1.0 / ", **extra_context)


def project_list_rows(user):
    """Projects for the list page in one query: budget totals, rate, self total and grade annotated."""
    return (
        projects_visible_to(user)
        .select_related("unit", "fiscal_year", "evaluation")
        .annotate(
            total_initial=Sum("budget_lines__initial_wan"),
            total_adjusted=Sum("budget_lines__adjusted_wan"),
            total_executed=Sum("budget_lines__executed_wan"),
        )
        .annotate(
            execution_rate=Case(
                When(total_adjusted__gt=0, then=Ratio("total_executed", "total_adjusted")),
                default=Value(None, output_field=RATE),
            ),
            # What the unit reports: the stated total/grade where there is one (imports), else the computed.
            self_total=Coalesce("evaluation__claimed_total", "evaluation__computed_total"),
            self_grade=reported_grade_sql(fields="evaluation__", profile="fiscal_year__profile__"),
        )
        # Newest year first, then the 序号 order kept from imports, then unit by unit.
        .order_by("-fiscal_year__year", F("sort_order").asc(nulls_last=True), "unit__name", "name", "pk")
    )
