"""Formula-like text written by our exports (exact text, quote-prefix style) reads back exactly as typed."""

import pytest

from budgets.models import Project
from evaluations.demo import load_demo
from evaluations.models import DepartmentEvaluation
from evaluations.reports.department_table import department_table_xlsx
from evaluations.reports.project_table import project_table_xlsx
from imports.readers.department_table import read_department_tables
from imports.readers.standard_table import read_standard_tables
from imports.tests.workbooks import load
from policy.locks import year_unlocked

pytestmark = pytest.mark.django_db

ANJU = "遂宁市安居区人力资源和社会保障局"


@pytest.fixture
def demo():
    load_demo()


def test_a_formula_like_indicator_name_and_goal_read_back_exactly_from_the_project_table(demo):
    project = Project.objects.get(name="老字号")
    # The demo year is published (locked): the test's own data change passes the lock explicitly.
    with year_unlocked(project.fiscal_year):
        project.indicators.filter(name="运转保障率").update(name="=1+2")
        Project.objects.filter(pk=project.pk).update(goal_expected="-2+3")

    result = read_standard_tables(load(project_table_xlsx(project)))

    assert not result.errors, result.errors
    record = result.projects[0]
    assert record.goal_expected == "-2+3"
    assert "=1+2" in [indicator.name for indicator in record.indicators]
    assert not [indicator.name for indicator in record.indicators if indicator.name.startswith("'")]


def test_a_formula_like_note_reads_back_exactly_from_the_department_table(demo):
    evaluation = DepartmentEvaluation.objects.get(department__name=ANJU)
    item = evaluation.score_items.order_by("indicator__order").first()
    item.note = "+SUM(A1)"
    with year_unlocked(evaluation.fiscal_year):
        item.save(update_fields=["note"])

    result = read_department_tables(load(department_table_xlsx(evaluation)))

    assert not result.errors, result.errors
    notes = [item.note for record in result.departments for item in record.items]
    assert "+SUM(A1)" in notes
