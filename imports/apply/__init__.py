"""Writing what a reader found (standard tables, department-wide tables, summary sheets) to the database: all or
nothing.

A dry run goes through exactly the same writes inside a transaction and rolls it back, so the preview counts
what a commit would do, new organisations included. A record whose stored state already equals the file is
left alone: importing the same file twice changes nothing.

``apply_result`` (here) runs the writers: ``projects`` (standard tables), ``departments`` (department-wide
tables) and ``summary`` (summary sheet rows), over what they share in ``context``.
"""

from django.db import DatabaseError, transaction

from accounts.models import Organisation
from imports.apply.context import Context, fiscal_year
from imports.apply.departments import apply_department, department_profile
from imports.apply.projects import apply_project, fund_order, layout, quality_findings
from imports.apply.summary import apply_summary_row, update_sample_ratio
from imports.records import ERROR, Outcome, Problem, ReadResult, refuse_locked_years
from policy.locks import YearLocked, year_unlocked


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
            ctx = Context(bureau=bureau, outcome=outcome)
            year_written = fiscal_year(ctx, number, layout(result), department_profile(result))
            # Written as if open, to learn what the file would change; a finalised year that existed before is
            # refused below whenever anything would change, and the transaction is rolled back (SPEC §13).
            with year_unlocked(year_written):
                _write(ctx, year_written, result)
            refuse_locked_years(outcome, [year_written])
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


def _write(ctx: Context, year, result: ReadResult):
    """Every record of ``result``, in the order their checks need; then the quality findings."""
    funds_order = fund_order(year.profile)
    for record in result.projects:
        apply_project(ctx, year, record, funds_order)
    # After the projects: 目标实现 counts the department's project indicators.
    for department_record in result.departments:
        apply_department(ctx, year, department_record)
    if result.summary_rows:
        for row in result.summary_rows:
            apply_summary_row(ctx, year, row)
        update_sample_ratio(year)
    quality_findings(ctx)
