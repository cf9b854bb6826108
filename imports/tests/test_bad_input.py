"""The bad-input corpus through the whole flow: the browser upload and the command refuse each file with its
Chinese message, never a 500, and write nothing but the import record that keeps the file for audit."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import Organisation
from budgets.models import BudgetLine, FiscalYear, Project
from evaluations.models import FinanceReview, ProjectEvaluation
from imports.models import ImportRecord
from imports.tests.corpus import BAD_FILES
from indicators.models import Indicator

pytestmark = pytest.mark.django_db


def _counts():
    models = (Organisation, FiscalYear, Project, BudgetLine, Indicator, ProjectEvaluation, FinanceReview)
    return {model.__name__: model.objects.count() for model in models}


def _xlsx(rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# Workbooks that open but hold nothing the importer knows.
NOT_OURS = {
    "another_table": (
        lambda: _xlsx([["姓名", "部门", "电话"], ["张三", "办公室", "123"]]),
        "没有在工作簿中找到可导入的内容",
    ),
}


@pytest.fixture
def small_limits(settings):
    """Limits small enough that the corpus's oversize and too-many files stay small."""
    settings.IMPORT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    settings.IMPORT_MAX_ZIP_MEMBERS = 200
    settings.IMPORT_MAX_CELLS = 5_000
    return settings


@pytest.mark.parametrize("name", [*BAD_FILES, *NOT_OURS])
def test_a_bad_upload_is_refused_with_its_message_and_writes_nothing(client, cast, small_limits, name):
    build, fragment = {**BAD_FILES, **NOT_OURS}[name]
    content = build()
    client.force_login(cast.admin)
    before = _counts()

    response = client.post(reverse("imports:list"), {"file": SimpleUploadedFile(f"{name}.xlsx", content)}, follow=True)

    page = response.content.decode()
    assert (response.status_code, fragment in page, _counts()) == (200, True, before)
    if ImportRecord.objects.exists():  # the form refuses oversize files before a record exists
        record = ImportRecord.objects.get()
        assert (record.status, "确认导入" in page) == (ImportRecord.Status.REFUSED, False)


@pytest.mark.parametrize("name", ["empty_file", "html", "zip_bomb_ratio", "billion_laughs", "merged_bomb"])
def test_the_command_exits_with_status_2_for_an_unusable_file(tmp_path, cast, small_limits, name, capsys):
    build, fragment = BAD_FILES[name]
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(build())
    before = _counts()

    with pytest.raises(SystemExit) as exited:
        call_command("import_excel", str(path), "--commit", "--bureau", cast.admin.organisation.name)

    assert (exited.value.code, fragment in capsys.readouterr().err, _counts()) == (2, True, before)
