"""The year lock in PostgreSQL itself (SPEC §13): a row of a 已定稿/已公开 year is not inserted, changed or
deleted, whatever writes it — raw SQL included — unless the session names the year in ``jixiao.unlocked_years``
(set by ``policy.locks.year_unlocked`` for the year's own transitions). policy.locks is the same rule in the
ORM, with its Chinese message; this is the wall under it. SQLite has no triggers of this kind: there the ORM
guard is the only one.
"""

from django.db import migrations

# Each year-bound table with the query that finds a row's fiscal year ($1 is the row).
YEAR_OF = {
    "budgets_project": "SELECT ($1).fiscal_year_id",
    "budgets_budgetline": "SELECT fiscal_year_id FROM budgets_project WHERE id = ($1).project_id",
    "indicators_indicator": "SELECT fiscal_year_id FROM budgets_project WHERE id = ($1).project_id",
    "evaluations_projectevaluation": "SELECT fiscal_year_id FROM budgets_project WHERE id = ($1).project_id",
    "evaluations_departmentevaluation": "SELECT ($1).fiscal_year_id",
    "evaluations_spotchecksample": "SELECT ($1).fiscal_year_id",
    "evaluations_departmentscoreitem": (
        "SELECT fiscal_year_id FROM evaluations_departmentevaluation WHERE id = ($1).evaluation_id"
    ),
    "evaluations_financereview": (
        "SELECT coalesce("
        "(SELECT p.fiscal_year_id FROM evaluations_projectevaluation e JOIN budgets_project p ON p.id = e.project_id"
        " WHERE e.id = ($1).evaluation_id),"
        "(SELECT fiscal_year_id FROM evaluations_departmentevaluation WHERE id = ($1).department_evaluation_id))"
    ),
    "evaluations_evaluationtransition": (
        "SELECT coalesce("
        "(SELECT p.fiscal_year_id FROM evaluations_projectevaluation e JOIN budgets_project p ON p.id = e.project_id"
        " WHERE e.id = ($1).evaluation_id),"
        "(SELECT fiscal_year_id FROM evaluations_departmentevaluation WHERE id = ($1).department_evaluation_id))"
    ),
    "evaluations_reviewindicatorscore": (
        "SELECT coalesce("
        "(SELECT p.fiscal_year_id FROM evaluations_financereview r"
        " JOIN evaluations_projectevaluation e ON e.id = r.evaluation_id JOIN budgets_project p ON p.id = e.project_id"
        " WHERE r.id = ($1).review_id),"
        "(SELECT d.fiscal_year_id FROM evaluations_financereview r"
        " JOIN evaluations_departmentevaluation d ON d.id = r.department_evaluation_id WHERE r.id = ($1).review_id))"
    ),
}

FUNCTIONS = """
CREATE OR REPLACE FUNCTION jixiao_refuse_locked_year(year_id bigint) RETURNS void AS $$
DECLARE
    year_status text;
BEGIN
    IF year_id IS NULL OR year_id::text = ANY (
        string_to_array(coalesce(current_setting('jixiao.unlocked_years', true), ''), ',')
    ) THEN
        RETURN;
    END IF;
    SELECT status INTO year_status FROM budgets_fiscalyear WHERE id = year_id;
    IF year_status IN ('finalised', 'published') THEN
        RAISE EXCEPTION '年度已定稿或已公开，记录已锁定（年度 %）', year_id USING ERRCODE = 'P0001';
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION jixiao_year_lock() RETURNS trigger AS $$
DECLARE
    year_id bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE TG_ARGV[0] INTO year_id USING OLD;
        PERFORM jixiao_refuse_locked_year(year_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE TG_ARGV[0] INTO year_id USING NEW;
        PERFORM jixiao_refuse_locked_year(year_id);
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION jixiao_fiscal_year_lock() RETURNS trigger AS $$
BEGIN
    -- The year's own row: a locked year changes (or goes) only through its transitions.
    PERFORM jixiao_refuse_locked_year(OLD.id);
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _quote(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTIONS)
        for table, year_of in YEAR_OF.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS jixiao_year_lock ON {table}")
            cursor.execute(
                f"CREATE TRIGGER jixiao_year_lock BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION jixiao_year_lock({_quote(year_of)})"
            )
        cursor.execute("DROP TRIGGER IF EXISTS jixiao_year_lock ON budgets_fiscalyear")
        cursor.execute(
            "CREATE TRIGGER jixiao_year_lock BEFORE UPDATE OR DELETE ON budgets_fiscalyear "
            "FOR EACH ROW EXECUTE FUNCTION jixiao_fiscal_year_lock()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in [*YEAR_OF, "budgets_fiscalyear"]:
            cursor.execute(f"DROP TRIGGER IF EXISTS jixiao_year_lock ON {table}")
        cursor.execute(
            "DROP FUNCTION IF EXISTS jixiao_year_lock(), jixiao_fiscal_year_lock(), jixiao_refuse_locked_year(bigint)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0007_ruleprofile_finance_bureau"),
        ("indicators", "0004_libraryindicator_finance_bureau"),
        ("evaluations", "0008_lifecycle_states"),
    ]

    operations = [migrations.RunPython(create, drop)]
