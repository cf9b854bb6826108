"""An import that fails halfway — a real database error injected on row N by a trigger — writes nothing."""

import pytest
from django.db import connection

from accounts.models import Organisation
from budgets.models import BudgetLine, FiscalYear, Project
from evaluations.models import ProjectEvaluation
from imports import service
from imports.tests.test_flat import DEPARTMENT, UNIT, flat
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

POISON = "注入故障指标"
ROWS = 1_000


def _counts():
    models = (Organisation, FiscalYear, Project, BudgetLine, Indicator, ProjectEvaluation)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def poisoned_indicator_insert():
    """A trigger that makes the database itself refuse the indicator named POISON (SQLite or PostgreSQL)."""
    table = Indicator._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION jixiao_poison() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.name = '{POISON}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER jixiao_poison BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION jixiao_poison()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER jixiao_poison BEFORE INSERT ON {table} WHEN NEW.name = '{POISON}' "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER jixiao_poison ON {table}")
            cursor.execute("DROP FUNCTION jixiao_poison()")
        else:
            cursor.execute("DROP TRIGGER jixiao_poison")


def _workbook(n_rows, poison_at):
    project = {
        "年度": 2024,
        "主管部门": DEPARTMENT,
        "预算单位": UNIT,
        "项目名称": "故障测试项目",
        "本年财政拨款全年预算数": 10,
    }
    rows = [
        {
            "年度": 2024,
            "预算单位": UNIT,
            "项目名称": "故障测试项目",
            "一级指标": "产出指标",
            "二级指标": "数量指标",
            "三级指标": POISON if n == poison_at else f"指标{n:04d}",
            "指标性质": "≥",
            "年度指标值": 10,
            "度量单位": "人",
            "实际完成值": 10,
            "分值": 1,
            "得分": 1,
        }
        for n in range(n_rows)
    ]
    return flat([project], rows)


def _bytes(workbook):
    from io import BytesIO

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_database_error_on_row_n_of_a_template_import_writes_nothing(poisoned_indicator_insert):
    bureau = Organisation.objects.create(name="故障市财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    before = _counts()

    outcome = service.run(_bytes(_workbook(ROWS, poison_at=ROWS // 2)), bureau=bureau, commit=True)

    assert (outcome.committed, bool(outcome.errors), _counts()) == (False, True, before)
    messages = [p.message for p in outcome.errors]
    # The database's own error, said in Chinese (never its raw text), naming the sheet it stopped on.
    assert [m.startswith("写入工作表“绩效指标”时出错，没有导入任何数据") for m in messages] == [True]
    assert all("injected" not in m for m in messages)


def test_the_same_file_without_the_poisoned_row_imports_whole(poisoned_indicator_insert):
    bureau = Organisation.objects.create(name="故障市财政局", kind=Organisation.Kind.FINANCE_BUREAU)

    outcome = service.run(_bytes(_workbook(ROWS, poison_at=None)), bureau=bureau, commit=True)

    assert (outcome.committed, Indicator.objects.filter(project__name="故障测试项目").count()) == (True, ROWS)
