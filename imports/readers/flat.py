"""Flat import templates (SPEC §10.1): one row per project, one row per indicator, handled with django-import-export.

* :func:`is_flat_workbook` recognises a flat workbook by its header rows (after alias normalisation).
* ``imports.readers.flat_template`` writes the downloadable template for a rule profile.
* :func:`import_flat` reads the 项目 sheet(s) and then the 绩效指标 sheet(s) through ``imports.resources`` inside one
  transaction: both commit together or not at all, and nothing is written for a dry run or when any row has an
  error.

import-export's own ``dry_run`` is not used: it would roll back the 项目 sheet before the 绩效指标 sheet is matched
against it. Each sheet is imported with ``use_transactions=True`` and ``rollback_on_validation_errors=True`` (a
savepoint: a sheet with a bad row keeps none of its rows, and a database error cannot poison the outer
transaction), and the outer ``transaction.atomic()`` is rolled back for a dry run or any error.
"""

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal

import tablib
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import DatabaseError, DataError, IntegrityError, OperationalError, transaction
from django.utils import timezone

from budgets.models import FiscalYear, Project
from evaluations.models import EvaluationTransition, ProjectEvaluation
from evaluations.workflow.services import evaluations_recalculate
from imports import progress
from imports.records import ERROR, UNCHANGED, WARNING, Change, Outcome, Problem, refuse_locked_years
from imports.resources.base import FlatContext
from imports.resources.cells import cell_text, parse_year
from imports.resources.columns import (
    ACTUAL,
    DEPARTMENT,
    LEVEL1,
    LEVEL2,
    LEVEL3,
    PROJECT_CODE,
    PROJECT_NAME,
    TARGET,
    UNIT,
    YEAR,
    accepted_indicator_headers,
    accepted_project_headers,
    is_fund_header,
    normalise_header,
    parse_fund_header,
)
from imports.resources.indicator_sheet import IndicatorResource
from imports.resources.project_sheet import ProjectResource
from imports.resources.rows import BATCH_SIZE, chunks
from policy.locks import year_unlocked

logger = logging.getLogger(__name__)

PROJECT_SHEET, INDICATOR_SHEET, HELP_SHEET = "项目", "绩效指标", "填写说明"
PROJECT, INDICATOR = "project", "indicator"
IMPORT_COMMENT = "从 Excel 导入（标准模板）"
HEADER_SCAN_ROWS = 10
# Columns that only say something to the people filling the sheet.
IGNORED_HEADERS = {"序号", "备注", "说明"}
# Columns that make a header row a project sheet's, beside 项目名称 and 主管部门 / 预算单位.
PROJECT_MARKERS = {"项目类型", "项目负责人", "财务负责人", "预期目标", "实际完成情况", "执行率偏低原因", "预算调整理由"}


@dataclass
class SheetData:
    """One sheet of a flat workbook, read into a dataset with canonical headers."""

    name: str
    kind: str  # PROJECT / INDICATOR
    header_row: int
    dataset: tablib.Dataset = None
    row_numbers: list[int] = field(default_factory=list)  # Excel row of each dataset row
    labels: dict[str, str] = field(default_factory=dict)  # canonical header → header as written
    problems: list[Problem] = field(default_factory=list)
    usable: bool = True

    def label(self, column: str) -> str:
        return self.labels.get(column, column)


# --- detection ----------------------------------------------------------------------------------------------------


def _sheet_kind(headers: set[str]) -> str | None:
    if PROJECT_NAME not in headers and PROJECT_CODE not in headers:
        return None
    if LEVEL3 in headers or (LEVEL1 in headers and LEVEL2 in headers):
        return INDICATOR
    names_unit = PROJECT_NAME in headers and (DEPARTMENT in headers or UNIT in headers)
    if names_unit and (any(is_fund_header(h) for h in headers) or headers & PROJECT_MARKERS):
        return PROJECT
    return None


def _header_row(ws) -> tuple[int, str, list[tuple[int, str, str]]] | None:
    """(row number, kind, [(column index, canonical header, header as written)]) of the sheet's header row."""
    last = min(ws.max_row or 0, HEADER_SCAN_ROWS)
    for number, values in enumerate(ws.iter_rows(min_row=1, max_row=last, values_only=True), 1):
        cells = [
            (index, normalise_header(value), " ".join(cell_text(value).split()))
            for index, value in enumerate(values, 1)
            if isinstance(value, str) and value.strip()
        ]
        kind = _sheet_kind({canonical for _, canonical, _ in cells})
        if kind:
            return number, kind, cells
    return None


def _flat_sheets(workbook) -> list[tuple[object, int, str, list]]:
    found = []
    for ws in workbook.worksheets:
        header = _header_row(ws)
        if header:
            found.append((ws, *header))
    return found


def is_flat_workbook(workbook) -> bool:
    """Whether ``workbook`` holds a flat template: a sheet whose header row (after alias normalisation) has 项目名称
    + 主管部门/预算单位 + a fund column (or another project column), or 三级指标 + 项目名称/项目编码."""
    return bool(_flat_sheets(workbook))


# --- reading ------------------------------------------------------------------------------------------------------


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _cell_value(cell, canonical: str):
    """The cell's value for the resources: floats as the Decimal Excel shows (15 significant digits), and a number
    formatted as a percentage in 年度指标值 / 实际完成值 as the text the user sees ("95%")."""
    value = cell.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
    if canonical in (TARGET, ACTUAL) and "%" in (cell.number_format or ""):
        return f"{_plain(number * 100)}%"
    return number if isinstance(value, float) else value


def _read_sheet(ws, header_row: int, kind: str, cells) -> SheetData:
    sheet = SheetData(name=ws.title, kind=kind, header_row=header_row)
    columns = _read_headers(sheet, cells)
    sheet.dataset = tablib.Dataset(headers=[canonical for _, canonical in columns])
    merged = _merged_down(ws, header_row)
    # Only the rows the file holds: iter_rows would walk (and create) every cell up to a stray one far below.
    present = ws._cells  # openpyxl's map of the cells that exist
    rows = sorted({r for r, _ in present if r > header_row} | {r for r, _ in merged})
    for number in rows:
        values = []
        for index, canonical in columns:
            cell = merged.get((number, index)) or present.get((number, index))
            values.append(_cell_value(cell, canonical) if cell is not None else None)
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            continue
        sheet.dataset.append(values)
        sheet.row_numbers.append(number)
    return sheet


def _read_headers(sheet: SheetData, cells) -> list[tuple[int, str]]:
    """The (column index, canonical header) of the sheet's columns that are read; the others, repeated columns and
    missing required ones are listed in ``sheet.problems`` (the sheet is unusable without a required one)."""
    accepted = accepted_project_headers() if sheet.kind == PROJECT else accepted_indicator_headers()
    columns: list[tuple[int, str]] = []
    where = {"sheet": sheet.name, "row": sheet.header_row}
    for index, canonical, written in cells:
        if canonical in IGNORED_HEADERS:
            continue
        fund = parse_fund_header(canonical) if sheet.kind == PROJECT else None
        if canonical not in accepted and not (fund and is_fund_header(canonical)):
            message = (
                f"“{written}”是合计，由系统按各资金来源计算，不导入"
                if fund
                else f"未识别的列“{written}”，已忽略（可用的列见模板的“{HELP_SHEET}”）"
            )
            sheet.problems.append(Problem(WARNING, message, column=written, **where))
            continue
        if canonical in sheet.labels:
            sheet.problems.append(
                Problem(
                    WARNING,
                    f"“{written}”与“{sheet.labels[canonical]}”是同一列，已忽略后一列",
                    column=written,
                    **where,
                )
            )
            continue
        sheet.labels[canonical] = written
        columns.append((index, canonical))
    required = [PROJECT_NAME] if sheet.kind == PROJECT else [LEVEL1, LEVEL2]
    missing = [name for name in required if name not in sheet.labels]
    if sheet.kind == PROJECT and DEPARTMENT not in sheet.labels and UNIT not in sheet.labels:
        missing.append(f"{DEPARTMENT}”或“{UNIT}")
    if sheet.kind == INDICATOR and PROJECT_NAME not in sheet.labels and PROJECT_CODE not in sheet.labels:
        missing.append(f"{PROJECT_NAME}”或“{PROJECT_CODE}")
    for name in missing:
        sheet.problems.append(Problem(ERROR, f"工作表“{sheet.name}”缺少“{name}”列", **where))
    sheet.usable = not missing
    return columns


def _merged_down(ws, header_row: int) -> dict[tuple[int, int], object]:
    """A value merged down several rows (a project name over its indicator rows) belongs to each of them: the
    top cell of such a range, by (row, column) of each cell below it."""
    merged = {}
    for cell_range in ws.merged_cells.ranges:
        if cell_range.max_row <= header_row or cell_range.min_row == cell_range.max_row:
            continue
        top = ws.cell(row=cell_range.min_row, column=cell_range.min_col)
        for row in range(max(cell_range.min_row + 1, header_row + 1), cell_range.max_row + 1):
            merged[(row, cell_range.min_col)] = top
    return merged


def _years(sheets: list[SheetData]) -> set[int]:
    found = set()
    for sheet in sheets:
        if YEAR in sheet.labels:
            found.update(n for n in (parse_year(v) for v in sheet.dataset[YEAR]) if n is not None)
    return found


# --- import -------------------------------------------------------------------------------------------------------


def _database_problem(exc: BaseException) -> str:
    if isinstance(exc, IntegrityError):
        return "与系统中已有的数据冲突（重复或取值不允许）"
    if isinstance(exc, DataError):
        return "数值或文字超出了数据库允许的范围"
    if isinstance(exc, OperationalError):
        return "数据库暂时无法写入，请稍后重试"
    return "系统内部错误，请联系管理员"


def _collect(outcome: Outcome, sheet: SheetData, resource, result, kind: str) -> bool:
    """Translate import-export's result into Problems (Chinese, with sheet, Excel row and column) and Changes."""
    problems = []
    bad = set()
    for invalid in result.invalid_rows:
        bad.add(invalid.number)
        state = resource.states[invalid.number - 1]
        for key, messages in invalid.error_dict.items():
            column = "" if key == NON_FIELD_ERRORS else sheet.label(key)
            problems.extend(
                Problem(ERROR, message, sheet=sheet.name, row=state.excel_row, column=column) for message in messages
            )
    for number, errors in result.row_errors():
        bad.add(number)
        for error in errors:
            logger.warning("flat import: row %s of %s failed", number, sheet.name, exc_info=error.error)
            problems.append(
                Problem(
                    ERROR,
                    f"这一行无法导入：{_database_problem(error.error)}",
                    sheet=sheet.name,
                    row=resource.states[number - 1].excel_row,
                )
            )
    for state in resource.states:
        problems.extend(
            Problem(
                WARNING, message, sheet=sheet.name, row=state.excel_row, column=sheet.label(column) if column else ""
            )
            for column, message in state.warnings
        )
    problems.sort(key=lambda p: (p.row or 0, p.severity != ERROR))
    for error in result.base_errors:
        logger.warning("flat import: sheet %s failed", sheet.name, exc_info=error.error)
        problems.insert(
            0,
            Problem(
                ERROR,
                f"写入工作表“{sheet.name}”时出错，没有导入任何数据：{_database_problem(error.error)}",
                sheet=sheet.name,
            ),
        )
    outcome.problems.extend(problems)
    for state in resource.states:
        if state.index not in bad and state.action:
            outcome.changes.append(_change(state, kind))
    return result.has_errors() or result.has_validation_errors()


def _change(state, kind) -> Change:
    return Change(state.action, kind, state.label, tuple(state.changed))


def _progress_stages(sheets: list[SheetData]):
    """A function announcing each sheet as a stage of the background import, its rows filling 25–90 %."""
    total = sum(len(sheet.dataset) for sheet in sheets) or 1
    done = 0

    def begin(sheet: SheetData, what: str) -> None:
        nonlocal done
        low = 25 + 65 * done // total
        done += len(sheet.dataset)
        text = f"核对并写入{what}（工作表“{sheet.name}”，{len(sheet.dataset):,} 行）"
        progress.stage(low, text, until=25 + 65 * done // total)

    return begin


def _import_sheet(resource, sheet: SheetData):
    return resource.import_data(
        sheet.dataset,
        dry_run=False,  # the outer transaction decides; see the module docstring
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )


def _finish(ctx: FlatContext, projects: list[ProjectResource], indicators: list[IndicatorResource]):
    """After a successful import: self-evaluations where missing, the stated claims, and the computed totals of
    every project touched (as the demo loader does)."""
    claims: dict[int, dict] = {}
    listed, touched = set(), set()
    for resource in projects:
        for state in resource.states:
            if state.action and state.instance.pk:
                listed.add(state.instance.pk)
                claims[state.instance.pk] = state.claims
                if state.action != UNCHANGED:
                    touched.add(state.instance.pk)
    for resource in indicators:
        touched |= resource.touched_projects()
        listed |= {s.project.pk for s in resource.states if s.action}
    wanted = listed | touched
    evaluations = _evaluations(wanted)
    missing = sorted(wanted - evaluations.keys())
    if missing:
        _create_evaluations(ctx, missing)
        evaluations.update(_evaluations(missing))
        _record_created(ctx, missing, evaluations)
        touched |= set(missing)
    touched |= _store_claims(claims, evaluations)
    for chunk in chunks(sorted(touched)):
        evaluations_recalculate(evaluations=ProjectEvaluation.objects.filter(project_id__in=chunk))


def _evaluations(projects) -> dict[int, ProjectEvaluation]:
    """The self-evaluations of ``projects`` (pks), by project pk."""
    found = {}
    for chunk in chunks(projects):
        found.update({e.project_id: e for e in ProjectEvaluation.objects.filter(project_id__in=chunk)})
    return found


def _create_evaluations(ctx: FlatContext, missing: list[int]):
    """A self-evaluation for each project of ``missing``: a draft in an open year, else published."""
    statuses = {year.pk: year.status for year in ctx.years.values()}
    new = []
    for chunk in chunks(missing):
        for project_pk, year_pk in Project.objects.filter(pk__in=chunk).values_list("pk", "fiscal_year_id"):
            open_year = statuses.get(year_pk) == FiscalYear.Status.OPEN
            status = ProjectEvaluation.Status.DRAFT if open_year else ProjectEvaluation.Status.PUBLISHED
            new.append(ProjectEvaluation(project_id=project_pk, status=status))
    ProjectEvaluation.objects.bulk_create(new, batch_size=BATCH_SIZE)


def _record_created(ctx: FlatContext, missing: list[int], evaluations: dict[int, ProjectEvaluation]):
    """The transition of each new self-evaluation that does not start as a draft, by the importing user."""
    actor = ctx.user if getattr(ctx.user, "pk", None) else None
    EvaluationTransition.objects.bulk_create(
        [
            EvaluationTransition(
                evaluation=evaluations[pk],
                from_status=ProjectEvaluation.Status.DRAFT,
                to_status=evaluations[pk].status,
                actor=actor,
                comment=IMPORT_COMMENT,
            )
            for pk in missing
            if evaluations[pk].status != ProjectEvaluation.Status.DRAFT
        ],
        batch_size=BATCH_SIZE,
    )


def _store_claims(claims: dict[int, dict], evaluations: dict[int, ProjectEvaluation]) -> set[int]:
    """Write the 总分 / 自评等级 the 项目 sheet states where they differ; the projects whose claims changed."""
    stated_changes, stated_fields, changed_projects = [], set(), set()
    for project_pk, stated in claims.items():
        evaluation = evaluations[project_pk]
        changed = [name for name, value in stated.items() if getattr(evaluation, name) != value]
        if changed:
            for name in changed:
                setattr(evaluation, name, stated[name])
            evaluation.updated_at = timezone.now()
            stated_changes.append(evaluation)
            stated_fields.update(changed)
            changed_projects.add(project_pk)
    if stated_changes:
        ProjectEvaluation.objects.bulk_update(stated_changes, [*sorted(stated_fields), "updated_at"], batch_size=100)
    return changed_projects


def import_flat(workbook, *, bureau, year: int | None, dry_run: bool, user=None) -> Outcome:
    """Import a flat workbook for ``bureau``: the 项目 sheet(s), then the 绩效指标 sheet(s), all or nothing.

    ``year`` overrides the 年度 column. With ``dry_run`` (or when any row has an error) everything is rolled back
    and the Outcome is the preview: one Change per row, every problem with sheet, Excel row and column."""
    outcome = Outcome(kind="flat", year=year, bureau=bureau.name)
    found = _flat_sheets(workbook)
    if not found:
        outcome.problems.append(
            Problem(ERROR, "工作簿中没有导入模板的表头（例如“项目名称”“预算单位”和资金列，或“项目名称”和“三级指标”）。")
        )
        return outcome
    sheets = [_read_sheet(ws, header_row, kind, cells) for ws, header_row, kind, cells in found]
    for sheet in sheets:
        outcome.problems.extend(sheet.problems)
    sheets = [s for s in sheets if s.usable]
    if year is None:
        sheets, years = _file_years(outcome, sheets)
    else:
        years = {year}
    if not outcome.errors and not any(len(s.dataset) for s in sheets):
        outcome.problems.append(Problem(ERROR, "文件中没有可导入的数据：导入模板的表头下面没有填写任何行。"))
    if outcome.errors:
        return outcome

    try:
        with transaction.atomic(), ExitStack() as unlocked:
            ctx = FlatContext(bureau=bureau, outcome=outcome, year=year, user=user)
            # Years first and outside the sheets' savepoints, so a failed 项目 sheet does not take them along.
            for number in sorted(years):
                ctx.fiscal_year(number)
            # Written as if open, to learn what the file would change; a finalised year that existed before is
            # refused (refuse_locked_years) whenever anything would change, and the transaction rolled back
            # (SPEC §13).
            for fiscal_year in ctx.years.values():
                unlocked.enter_context(year_unlocked(fiscal_year))
            project_resources, indicator_resources = _import_sheets(ctx, outcome, sheets)
            refuse_locked_years(outcome, ctx.years.values())
            if dry_run or outcome.errors:
                transaction.set_rollback(True)
            else:
                _finish(ctx, project_resources, indicator_resources)
                outcome.committed = True
    except DatabaseError as exc:
        logger.exception("flat import failed")
        outcome.committed = False
        outcome.problems.append(Problem(ERROR, f"写入数据库时出错，没有导入任何数据：{_database_problem(exc)}。"))
    return outcome


def _file_years(outcome: Outcome, sheets: list[SheetData]) -> tuple[list[SheetData], set[int]]:
    """The years the 年度 columns name, given to the sheets without one when there is a single year (a sheet
    without one is refused when there are several); the sheets still usable and the years."""
    years = _years(sheets)
    for sheet in sheets:
        if YEAR in sheet.labels:
            continue
        if len(years) == 1:
            if len(sheet.dataset):
                sheet.dataset.append_col([next(iter(years))] * len(sheet.dataset), header=YEAR)
        else:
            outcome.problems.append(
                Problem(ERROR, f"工作表“{sheet.name}”没有“{YEAR}”列：请在导入时指定年度。", sheet=sheet.name)
            )
            sheet.usable = False
    if len(years) == 1:
        outcome.year = next(iter(years))
    elif len(years) > 1:
        outcome.problems.append(
            Problem(
                WARNING, f"文件中有多个年度的数据（{'、'.join(str(n) for n in sorted(years))}），将分别导入各年度。"
            )
        )
    return [s for s in sheets if s.usable], years


def _import_sheets(ctx: FlatContext, outcome: Outcome, sheets: list[SheetData]):
    """The 项目 sheets, then the 绩效指标 sheets (which may name the projects of the first), each in its savepoint;
    their resources, for ``_finish``."""
    project_resources, indicator_resources = [], []
    pending: set = set()
    projects_failed = False
    begin = _progress_stages(sheets)
    for sheet in (s for s in sheets if s.kind == PROJECT):
        begin(sheet, "项目")
        resource = ProjectResource(context=ctx, labels=sheet.labels, row_numbers=sheet.row_numbers)
        failed = _collect(outcome, sheet, resource, _import_sheet(resource, sheet), "项目")
        projects_failed = projects_failed or failed
        pending.update(key for state in resource.states for key in state.keys)
        project_resources.append(resource)
    for sheet in (s for s in sheets if s.kind == INDICATOR):
        begin(sheet, "绩效指标")
        resource = IndicatorResource(
            context=ctx,
            labels=sheet.labels,
            row_numbers=sheet.row_numbers,
            pending_keys=pending if projects_failed else (),
        )
        _collect(outcome, sheet, resource, _import_sheet(resource, sheet), "绩效指标")
        indicator_resources.append(resource)
    return project_resources, indicator_resources
