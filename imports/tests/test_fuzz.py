"""Fuzzing the whole import (issue 8): valid workbooks of every importable kind, mutated byte by byte and cell by
cell with a seeded random generator. Every mutant is either refused as unusable or gives an Outcome; nothing else
escapes, a refused or failed import writes nothing, and a committed one imports again without changes."""

import os
import random
import zipfile
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from accounts.models import Organisation
from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from evaluations.demo import load_demo
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation
from evaluations.reports.department_table import department_table_xlsx
from evaluations.reports.project_table import project_table_xlsx
from evaluations.reports.summary import build_summary, summary_xlsx
from imports import service
from imports.readers.flat_template import flat_template_xlsx
from imports.records import CREATED, UPDATED, Outcome
from imports.safety import UnusableWorkbook
from imports.tests.test_flat import INDICATORS, PROJECT, fill
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

MODELS = (
    Organisation,
    FiscalYear,
    Project,
    BudgetLine,
    Indicator,
    ProjectEvaluation,
    DepartmentEvaluation,
    FinanceReview,
)
# 15 x 4 kinds = 60 mutants in `make test`; a longer run: FUZZ_CASES=500 FUZZ_SEED=night make test PYTEST_ARGS=…
CASES_PER_KIND = int(os.environ.get("FUZZ_CASES", "15"))
SEED = os.environ.get("FUZZ_SEED", "fuzz")
DEMO_BUREAU = "东莞市财政局"
DEMO_DEPARTMENT = "东莞市人力资源和社会保障局"

VALUES = [
    None,
    "",
    " ",
    "=1+1",
    "=SUM(A1:A3)",
    "@SUM(A1)",
    "+1",
    "-",
    "/",
    "——",
    "１２３.４５",
    "≥９５％",
    "==1",
    "≥=5",
    "1,234,567.89",
    "100.00%",
    "1e999999",
    "NaN",
    "定性",
    "达成年度指标",
    "优",
    "差",
    "项目名称",
    "一级指标",
    "主管部门",
    "自评结果",
    "2024",
    "２０２４年",
    0,
    -1,
    10**20,
    3.14159,
    -0.0,
    True,
    "长" * 5000,
    "<script>alert(1)</script>",
    "'; DROP TABLE budgets_project; --",
    "\u202e反向文字",
    "😀",
]
ALPHABET = "0123456789０１２３４５６７８９.,%％≥≤><=＝项目指标名称年度预算执行数优良中差/— \n　"


def counts() -> dict[str, int]:
    """Rows of every table an import writes, the audit trail's history tables included."""
    found = {model.__name__: model.objects.count() for model in MODELS}
    found |= {f"{model.__name__} history": model.history.count() for model in MODELS}
    return found


def save(workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the valid workbooks ----------------------------------------------------------------------------------------


def summary_file() -> bytes:
    year = FiscalYear.objects.get(year=2024, finance_bureau__name=DEMO_BUREAU)
    department = Organisation.objects.get(name=DEMO_DEPARTMENT)
    return summary_xlsx(build_summary(fiscal_year=year, department=department))


def standard_file() -> bytes:
    return project_table_xlsx(Project.objects.exclude(indicators=None).order_by("pk").first())


def department_file() -> bytes:
    return department_table_xlsx(DepartmentEvaluation.objects.order_by("pk").first())


def flat_file() -> bytes:
    workbook = load_workbook(BytesIO(flat_template_xlsx(RuleProfile.objects.get(code="national"))))
    fill(workbook["项目"], [PROJECT])
    fill(workbook["绩效指标"], INDICATORS[:2])
    return save(workbook)


BUILDERS = {"summary": summary_file, "standard": standard_file, "department": department_file, "flat": flat_file}


# --- mutations --------------------------------------------------------------------------------------------------


def _mutate_raw(data: bytes, rng: random.Random, how: str) -> tuple[bytes, str]:
    buffer = bytearray(data)
    if how == "truncate":
        cut = rng.randrange(len(buffer)) if buffer else 0
        return bytes(buffer[:cut]), f"truncate at {cut}"
    steps = []
    for _ in range(rng.randint(1, 8)):
        if how == "insert":
            at, byte = rng.randrange(len(buffer) + 1), rng.randrange(256)
            buffer[at:at] = bytes([byte])
            steps.append(f"insert {at}={byte}")
        elif buffer and how == "flip":
            at, bit = rng.randrange(len(buffer)), 1 << rng.randrange(8)
            buffer[at] ^= bit
            steps.append(f"flip {at}^{bit}")
        elif buffer:
            at = rng.randrange(len(buffer))
            del buffer[at]
            steps.append(f"delete {at}")
    return bytes(buffer), " ".join(steps)


def mutate_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Flip, insert or delete a few bytes, or truncate: of the file itself, or of one XML member inside its zip
    (rezipped, so the damage reaches the XML parsers instead of the zip checksums)."""
    how = rng.choice(["flip", "insert", "delete", "truncate", "member", "member"])
    if how != "member":
        return _mutate_raw(data, rng, how)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    name = rng.choice(sorted(members))
    members[name], steps = _mutate_raw(members[name], rng, rng.choice(["flip", "insert", "delete", "truncate"]))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue(), f"member {name}: {steps}"


def random_value(rng: random.Random):
    pick = rng.random()
    if pick < 0.5:
        return rng.choice(VALUES)
    if pick < 0.75:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))
    if pick < 0.9:
        # Four decimals at most: more than the six the database keeps is the known non-idempotence tested below.
        return round(rng.uniform(-1e9, 1e9), 4)
    return rng.randint(-(10**6), 10**6)


def mutate_cells(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Replace values of random cells, merge random ranges, insert or delete rows, through openpyxl."""
    workbook = load_workbook(BytesIO(data))
    steps = []
    for _ in range(rng.randint(1, 6)):
        sheet = rng.choice(workbook.worksheets)
        rows, columns = max(sheet.max_row, 1), max(sheet.max_column, 1)
        row, column = rng.randint(1, rows + 2), rng.randint(1, columns + 1)
        how = rng.choice(["value", "value", "value", "merge", "insert", "delete"])
        if how == "value":
            value = random_value(rng)
            cell = sheet.cell(row=row, column=column)
            if type(cell).__name__ == "MergedCell":
                continue
            cell.value = value
            steps.append(f"{sheet.title}!{cell.coordinate}={str(value)[:30]!r}")
        elif how == "merge":
            last_row, last_column = row + rng.randint(0, 3), column + rng.randint(0, 3)
            if (last_row, last_column) == (row, column):
                last_column += 1
            sheet.merge_cells(start_row=row, start_column=column, end_row=last_row, end_column=last_column)
            steps.append(f"{sheet.title} merge R{row}C{column}:R{last_row}C{last_column}")
        elif how == "insert":
            amount = rng.randint(1, 3)
            sheet.insert_rows(row, amount)
            steps.append(f"{sheet.title} insert {amount} rows at {row}")
        else:
            amount = rng.randint(1, 3)
            sheet.delete_rows(row, amount)
            steps.append(f"{sheet.title} delete {amount} rows at {row}")
    return save(workbook), "; ".join(steps)


# --- the check ---------------------------------------------------------------------------------------------------


def check(data: bytes, bureau, what: str) -> str:
    """Import ``data`` for real and check the invariants; returns how it ended."""
    before = counts()
    try:
        outcome = service.run(data, filename="fuzz.xlsx", bureau=bureau, commit=True)
    except UnusableWorkbook:
        assert counts() == before, what
        return "refused"
    assert isinstance(outcome, Outcome), what
    if outcome.errors or not outcome.committed:
        assert not outcome.committed, what
        assert counts() == before, what
        return "errors"
    after = counts()
    again = service.run(data, filename="fuzz.xlsx", bureau=bureau, commit=True)
    assert not again.errors, (what, [p.message for p in again.errors])
    assert (again.count(CREATED), again.count(UPDATED)) == (0, 0), (
        what,
        [(c.action, c.kind, c.label, c.fields) for c in again.changes if c.action in (CREATED, UPDATED)],
    )
    assert counts() == after, what
    return "committed"


@pytest.fixture
def bureau():
    load_demo()
    return Organisation.objects.create(name="模糊测试市财政局", kind=Organisation.Kind.FINANCE_BUREAU)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_the_valid_workbook_imports_and_is_idempotent(kind, bureau):
    assert check(BUILDERS[kind](), bureau, kind) == "committed"


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_mutated_workbooks_are_refused_or_imported_all_or_nothing(kind, bureau):
    seed = f"{SEED}-{kind}"
    rng = random.Random(seed)  # noqa: S311 - reproducible fuzzing, not cryptography
    original = BUILDERS[kind]()
    endings = []
    for case in range(CASES_PER_KIND):
        mutate = mutate_bytes if case % 2 == 0 else mutate_cells
        data, steps = mutate(original, rng)
        what = f"seed {seed!r} case {case} {mutate.__name__}: {steps}"
        try:
            endings.append(check(data, bureau, what))
        except AssertionError:
            raise
        except Exception as crash:  # anything but UnusableWorkbook escaping the import is the failure searched for
            raise AssertionError(f"{what} crashed with {crash!r}") from crash
    # Not every mutant may be refused: the cell mutations must reach the readers.
    assert set(endings) - {"refused"}, endings


# --- what the fuzzing found -------------------------------------------------------------------------------------


def test_a_value_with_more_decimals_than_stored_imports_again_unchanged(bureau):
    workbook = load_workbook(BytesIO(standard_file()))
    sheet = workbook.active
    (name_cell,) = [cell for row in sheet.iter_rows() for cell in row if cell.value == "政策宣传"]
    sheet.cell(row=name_cell.row, column=name_cell.column + 1, value="1.1234567")  # its 年度指标值
    assert check(save(workbook), bureau, "年度指标值 1.1234567") == "committed"


def test_duplicate_rows_of_a_summary_sheet_are_reported_or_import_again_unchanged(bureau):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2024年度市级财政支出绩效自评结果汇总表"])
    sheet.append(["序号", "主管部门", "预算单位", "项目名称", "自评结果", "财政抽查审核结果", "财政抽查审核意见"])
    sheet.append([1, "某局", "某中心", "甲项目", "优", "", ""])
    sheet.append([2, "某局", "某中心", "甲项目", "良", "", ""])
    data = save(workbook)

    first = service.run(data, bureau=bureau, commit=True)
    again = service.run(data, bureau=bureau, commit=True)

    assert first.problems or (again.count(CREATED), again.count(UPDATED)) == (0, 0)


def _edited_standard_file(edit) -> bytes:
    workbook = load_workbook(BytesIO(standard_file()))
    edit(workbook.active)
    return save(workbook)


def _merge_and_write_a_huge_budget(sheet):
    sheet.merge_cells("D9:E12")
    sheet["H8"] = -240560304.0696
    sheet.merge_cells("E17:G18")


def test_a_standard_table_with_a_huge_value_and_merged_cells_does_not_crash(bureau):
    check(_edited_standard_file(_merge_and_write_a_huge_budget), bureau, "D9:E12 merged, H8=-240560304.0696, E17:G18")


def test_a_doubled_sign_in_a_standard_table_does_not_crash(bureau):
    check(_edited_standard_file(lambda sheet: sheet.__setitem__("E19", "≥=5")), bureau, "E19='≥=5'")


@pytest.mark.parametrize("kind", ["flat", "standard"])
def test_a_stray_cell_at_the_far_corner_is_read_without_walking_the_whole_sheet(kind, bureau):
    """A template or table with one extra cell at XFD1048576: the readers visit the cells that exist, not the
    17-billion-cell rectangle (which would hang and exhaust memory)."""
    workbook = load_workbook(BytesIO(standard_file() if kind == "standard" else flat_file()))
    workbook.active["XFD1048576"] = "多余的单元格"

    outcome = service.run(save(workbook), bureau=bureau)

    assert outcome.kind == kind


def test_a_department_table_with_a_score_too_large_to_keep_is_refused_whole(bureau):
    workbook = load_workbook(BytesIO(department_file()))
    sheet = workbook["部门整体支出绩效自评表"]
    sheet["G15"] = "651143061.4634"  # a 自评得分 cell; the column keeps 5 integer digits
    before = counts()

    outcome = service.run(save(workbook), bureau=bureau, commit=True)

    assert (outcome.committed, counts()) == (False, before)
    assert any("超出可保存的范围" in p.message for p in outcome.errors)


def test_a_summary_row_with_a_sort_number_too_large_to_keep_is_refused_whole(bureau):
    workbook = load_workbook(BytesIO(summary_file()))
    workbook.active["A9"] = "1e999999"
    before = counts()

    outcome = service.run(save(workbook), bureau=bureau, commit=True)

    assert (outcome.committed, counts()) == (False, before)
    assert any("序号" in p.message and "超出可保存的范围" in p.message for p in outcome.errors)
