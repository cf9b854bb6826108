"""Large outputs in the background: queued after commit, file attached only when complete, failures retried."""

import zipfile
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organisation, User
from budgets.models import FiscalYear
from config.celery import app as celery_app
from evaluations.demo import load_demo
from evaluations.models import ProjectEvaluation, ReportExport
from evaluations.reports.exports import INTERNAL, UNAVAILABLE, entry_part, export_request, export_retry, export_run
from evaluations.tests.factories import ProjectEvaluationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_demo()
    return {
        "year": FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局"),
        "department": Organisation.objects.get(name="东莞市人力资源和社会保障局"),
        "finance": User.objects.get(username="finance"),
        "dept": User.objects.get(username="dept"),
        "unit": User.objects.get(username="unit"),
    }


def test_the_city_summary_is_built_after_commit_and_attached_complete(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(owner=demo["finance"], kind="summary", fmt="xlsx", fiscal_year=demo["year"])

    export.refresh_from_db()
    sheet = load_workbook(BytesIO(export.file.read())).active
    numbers = [row[0] for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] is not None]
    assert (export.status, export.progress, export.filename, numbers) == (
        "done",
        100,
        "2024年度市级财政支出绩效自评结果汇总表（东莞市财政局）.xlsx",
        list(range(1, 37)),
    )


def test_every_table_of_a_department_comes_as_one_zip(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(
            owner=demo["dept"],
            kind="project_tables",
            fmt="xlsx",
            fiscal_year=demo["year"],
            department=demo["department"],
        )

    export.refresh_from_db()
    names = zipfile.ZipFile(BytesIO(export.file.read())).namelist()
    assert (export.status, len(names), all(name.endswith(".xlsx") for name in names)) == ("done", 37, True)
    assert names[-2:] == [
        "东莞市人力资源和社会保障局/部门整体支出绩效自评表.xlsx",
        "市级财政支出绩效自评结果汇总表.xlsx",
    ]


def test_a_failed_export_keeps_its_reason_offers_no_file_and_can_be_retried(demo):
    export = ReportExport.objects.create(
        owner=demo["finance"], kind="no-such-output", format="pdf", fiscal_year=demo["year"]
    )

    export_run(export=export)
    failed = (export.status, export.error.startswith("生成失败"), bool(export.file))
    export.kind = "summary"
    export.save(update_fields=["kind"])
    export_retry(export=export, actor=demo["finance"])
    export_run(export=export)

    assert (failed, export.status, bool(export.file)) == (("failed", True, False), "done", True)


def test_with_the_broker_down_the_export_says_so_instead_of_hanging(demo, django_capture_on_commit_callbacks):
    # A real connection attempt to a closed port: the app's producer pool is rebuilt for it and afterwards.
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager, conf.broker_url = False, "redis://127.0.0.1:1/0"
    celery_app._pool = celery_app.amqp._producer_pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            export = export_request(owner=demo["finance"], kind="summary", fmt="pdf", fiscal_year=demo["year"])
    finally:
        conf.task_always_eager, conf.broker_url = saved
        celery_app._pool = celery_app.amqp._producer_pool = None

    export.refresh_from_db()
    assert (export.status, export.error) == ("failed", UNAVAILABLE)


def test_a_unit_filler_may_not_start_an_export(client, demo):
    client.force_login(demo["unit"])

    response = client.post(reverse("reports:export_start"), {"year": 2024, "kind": "summary", "format": "pdf"})

    assert (response.status_code, ReportExport.objects.count()) == (403, 0)


def test_a_department_reviewer_exports_only_their_own_department(client, demo):
    other = Organisation.objects.create(name="东莞市教育局", kind="department", parent=demo["year"].finance_bureau)
    client.force_login(demo["dept"])

    refused = client.post(
        reverse("reports:export_start"), {"year": 2024, "kind": "summary", "format": "pdf", "department": other.pk}
    )
    own = client.post(reverse("reports:export_start"), {"year": 2024, "kind": "summary", "format": "xlsx"})

    assert (
        refused.status_code,
        own.status_code,
        list(ReportExport.objects.values_list("department__name", flat=True)),
    ) == (
        403,
        302,
        ["东莞市人力资源和社会保障局"],
    )


def test_only_the_owner_downloads_and_only_a_finished_file(client, demo):
    done = ReportExport.objects.create(owner=demo["finance"], kind="summary", format="xlsx", fiscal_year=demo["year"])
    export_run(export=done)
    pending = ReportExport.objects.create(owner=demo["finance"], kind="summary", format="pdf", fiscal_year=demo["year"])

    client.force_login(demo["dept"])
    stranger = client.get(reverse("reports:export_download", args=[done.pk])).status_code
    client.force_login(demo["finance"])
    owner = client.get(reverse("reports:export_download", args=[done.pk]))
    unfinished = client.get(reverse("reports:export_download", args=[pending.pk])).status_code

    assert (stranger, owner.status_code, owner["Content-Type"], unfinished) == (
        404,
        200,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        404,
    )


def test_the_status_endpoint_reports_each_of_my_exports(client, demo):
    export = ReportExport.objects.create(owner=demo["finance"], kind="summary", format="pdf", fiscal_year=demo["year"])
    client.force_login(demo["finance"])

    payload = client.get(reverse("reports:export_status")).json()

    assert payload == {
        "exports": [{"id": export.pk, "status": "pending", "label": "排队中", "progress": 0, "error": ""}]
    }


@pytest.mark.parametrize(
    "project_name",
    ["../../../../tmp/x", 'a/b<c>"d', "..\\\\evil", "制表\t符|管道", "．．／全角"],
)
def test_a_project_name_cannot_leave_its_units_folder_in_the_zip(cast, org, year, project_name):
    """Issue 15, finding 3: a project named ``../../../../tmp/x`` became the entry
    ``东莞市技师学院/56-../../../../tmp/x.xlsx``; ``/ < "`` broke the folder tree."""
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name=project_name)
    ProjectEvaluationFactory(project=project, status=ProjectEvaluation.Status.SUBMITTED)
    export = ReportExport.objects.create(
        owner=cast.finance_reviewer, kind="project_tables", format="xlsx", fiscal_year=year, department=org.department
    )

    export_run(export=export)

    export.refresh_from_db()
    names = zipfile.ZipFile(BytesIO(export.file.read())).namelist()
    project_entries = [name for name in names if name.startswith(f"{org.unit.name}/{project.pk}-")]
    assert export.status == "done"
    assert len(project_entries) == 1
    folder, file = project_entries[0].split("/")
    assert (folder, file.startswith(f"{project.pk}-"), any(c in file for c in '\\:*?"<>|\x00')) == (
        org.unit.name,
        True,
        False,
    )
    assert all(".." not in part.split("-", 1)[0] and not part.startswith(".") for part in project_entries[0].split("/"))


def test_entry_names_keep_chinese_text_and_fall_back_when_nothing_is_left():
    names = (entry_part("东莞市技师学院"), entry_part("..."), entry_part("x" * 200))
    assert names == ("东莞市技师学院", "未命名", "x" * 80)


def test_an_unexpected_failure_tells_the_user_in_chinese_and_keeps_the_library_text_for_the_log(demo, caplog):
    export = ReportExport.objects.create(
        owner=demo["finance"], kind="no-such-output", format="pdf", fiscal_year=demo["year"]
    )

    export_run(export=export)

    assert export.error == "生成失败：" + INTERNAL.format(number=export.pk)
    assert "no-such-output" not in export.error
    assert "no-such-output" in caplog.text
