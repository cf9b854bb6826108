"""Large imports in the background with progress (issue 15, finding 1), one commit per file however close two
clicks come (finding 6), and imports left by a lost worker or refused by a dead broker (as finding 4 for exports).

Every test here failed on the code before: a large file was read inside the request, a second commit of the same
record imported again and overwrote its result with 新增 0 / 不变 N, and nothing could be left 正在….
"""

import threading
from datetime import timedelta
from io import BytesIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from budgets.models import Project
from config.celery import app as celery_app
from imports import jobs, progress, service
from imports.models import ImportRecord
from imports.records import CREATED, UNCHANGED
from imports.tests.test_flat import INDICATORS, PROJECT, flat
from indicators.models import Indicator

pytestmark = pytest.mark.django_db(transaction=False)
Status = ImportRecord.Status


def _xlsx(workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def flat_file(year):
    return _xlsx(flat([PROJECT], INDICATORS))


@pytest.fixture
def large(settings):
    """Every file counts as large: the background path, with Celery in-process as on a laptop."""
    settings.IMPORT_BACKGROUND_CELLS = 10
    return settings


@pytest.fixture(autouse=True)
def _no_progress_left_over():
    """Progress lives in the cache, which outlives a test's database; a reused record id must start clean."""
    cache.clear()


def _upload(client, data, name="往年指标.xlsx"):
    return client.post(reverse("imports:list"), {"file": SimpleUploadedFile(name, data)})


# --- the background path --------------------------------------------------------------------------------------


def test_a_large_upload_is_checked_in_the_background_and_the_page_shows_its_progress(
    client, cast, flat_file, large, django_capture_on_commit_callbacks
):
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = _upload(client, flat_file)
    record = ImportRecord.objects.get()
    assert (record.status, record.cells > 10, len(queued)) == (Status.CHECKING, True, 1)
    page = client.get(response.url).content.decode()
    assert "正在检查" in page and 'http-equiv="refresh"' in page and "排队等待后台处理" in page
    assert "确认导入" not in page

    queued[0]()  # the worker takes it (Celery runs in-process here)
    record.refresh_from_db()
    assert record.status == Status.PREVIEWED
    assert record.preview["counts"][CREATED] > 0
    page = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' not in page and "确认导入" in page


def test_progress_is_reported_by_stage_and_rows_while_the_import_runs(
    cast, flat_file, large, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        record = _previewed(cast, flat_file)
    assert record.status == Status.CHECKING
    seen = []
    write = progress._Tracker.write

    def write_and_note(tracker):  # what the page would read at each report
        write(tracker)
        seen.append((tracker.percent, tracker.text))

    monkeypatch.setattr(progress._Tracker, "write", write_and_note)
    monkeypatch.setattr(progress, "_ROW_INTERVAL", 0)
    jobs.check_upload(record.pk)
    stages = [text for _, text in seen]
    assert stages[0] == "打开并检查工作簿"
    assert any(text.startswith("核对并写入项目") for text in stages)
    assert any(text.startswith("核对并写入绩效指标") for text in stages)
    percents = [percent for percent, _ in seen]
    assert percents == sorted(percents) and percents[-1] == 90
    assert progress.read(record.pk) is None  # cleared once done: the page shows the result instead
    record.refresh_from_db()
    assert record.status == Status.PREVIEWED


def test_a_large_commit_runs_in_the_background_and_says_so(
    client, cast, flat_file, large, django_capture_on_commit_callbacks
):
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, flat_file)
    record = ImportRecord.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("imports:commit", args=[record.pk]), follow=True)
    assert "正在后台导入" in response.content.decode()
    record.refresh_from_db()
    assert (record.status, record.committed_by) == (Status.COMMITTING, cast.admin)
    assert Project.objects.count() == 0
    queued[0]()
    record.refresh_from_db()
    assert record.status == Status.COMMITTED
    assert Project.objects.count() == 1 and Indicator.objects.count() == len(INDICATORS)


def test_a_small_file_is_still_checked_inside_the_request(client, cast, flat_file):
    client.force_login(cast.admin)
    _upload(client, flat_file)
    assert ImportRecord.objects.get().status == Status.PREVIEWED


# --- one commit per record (finding 6) ------------------------------------------------------------------------


def _previewed(cast, data) -> ImportRecord:
    return service.upload(
        SimpleUploadedFile("往年指标.xlsx", data), user=cast.admin, bureau=cast.admin.organisation.finance_bureau
    )


def test_a_second_commit_of_the_same_record_is_refused_naming_who_imported_it_and_when(cast, flat_file):
    record = _previewed(cast, flat_file)
    first = service.commit(record, user=cast.admin)
    created = first.count(CREATED)
    assert created > 0
    with pytest.raises(service.AlreadyHandled) as refused:
        service.commit(record, user=cast.finance_reviewer)
    record.refresh_from_db()
    # The record still reads what the import that wrote the rows did, not 新增 0 / 不变 N.
    assert record.result["counts"][CREATED] == created and record.result["counts"][UNCHANGED] == 0
    assert record.committed_by == cast.admin
    when = timezone.localtime(record.committed_at)
    assert refused.value.message.startswith(f"这个文件已经由 {cast.admin.username} 于 {when:%Y-%m-%d %H:%M}")
    assert "没有再次写入" in refused.value.message


def test_the_commit_page_says_so_when_a_commit_of_the_same_record_is_already_running(client, cast, flat_file):
    record = _previewed(cast, flat_file)
    ImportRecord.objects.filter(pk=record.pk).update(
        status=Status.COMMITTING, committed_by=cast.admin, started_at=timezone.now()
    )
    client.force_login(cast.admin)
    page = client.post(reverse("imports:commit", args=[record.pk]), follow=True).content.decode()
    assert "正在由" in page and "本次没有再次写入" in page
    assert Project.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_commits_racing_on_postgresql_write_once_and_the_loser_is_told(cast, flat_file):
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs two connections to a database that runs them at once")
    record = _previewed(cast, flat_file)
    barrier = threading.Barrier(2)
    results = []

    def click(user):
        try:
            barrier.wait()
            results.append(("done", service.commit(ImportRecord.objects.get(pk=record.pk), user=user)))
        except service.AlreadyHandled as handled:
            results.append(("refused", handled.message))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(user,)) for user in (cast.admin, cast.finance_reviewer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kind for kind, _ in results) == ["done", "refused"]
    record.refresh_from_db()
    assert record.status == Status.COMMITTED
    assert record.result["counts"][CREATED] > 0 and record.result["counts"][UNCHANGED] == 0
    assert Project.objects.count() == 1 and Indicator.objects.count() == len(INDICATORS)


# --- a lost worker, a dead broker -----------------------------------------------------------------------------


def test_a_check_left_by_a_lost_worker_is_ended_with_the_reason_after_the_stale_time(client, cast, flat_file, settings):
    record = _previewed(cast, flat_file)
    long_ago = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_AFTER + 60)
    ImportRecord.objects.filter(pk=record.pk).update(status=Status.CHECKING, started_at=long_ago)
    client.force_login(cast.admin)
    page = client.get(reverse("imports:detail", args=[record.pk])).content.decode()
    record.refresh_from_db()
    assert record.status == Status.REFUSED
    assert "后台检查超过 10 分钟没有进展" in page and "请重新上传" in page


def test_a_commit_left_by_a_lost_worker_goes_back_to_preview_and_can_be_confirmed_again(
    client, cast, flat_file, settings
):
    record = _previewed(cast, flat_file)
    long_ago = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_AFTER + 60)
    ImportRecord.objects.filter(pk=record.pk).update(
        status=Status.COMMITTING, started_at=long_ago, committed_by=cast.admin
    )
    client.force_login(cast.admin)
    page = client.get(reverse("imports:detail", args=[record.pk])).content.decode()
    assert "中断时没有写入任何数据" in page and "确认导入" in page
    client.post(reverse("imports:commit", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == Status.COMMITTED and Project.objects.count() == 1


def test_a_quiet_but_recent_background_import_is_left_alone(client, cast, flat_file):
    record = _previewed(cast, flat_file)
    ImportRecord.objects.filter(pk=record.pk).update(status=Status.CHECKING, started_at=timezone.now())
    client.force_login(cast.admin)
    client.get(reverse("imports:detail", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == Status.CHECKING


def test_a_recent_progress_report_keeps_an_old_import_alive(cast, flat_file, settings):
    record = _previewed(cast, flat_file)
    long_ago = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_AFTER + 60)
    ImportRecord.objects.filter(pk=record.pk).update(status=Status.CHECKING, started_at=long_ago)
    record.refresh_from_db()
    with progress.tracking(record.pk):
        progress.stage(40, "核对并写入绩效指标")
    assert jobs.expire_if_stale(record) is False
    assert record.status == Status.CHECKING


@pytest.fixture
def broker_down():
    """Celery not eager and its broker a port nobody listens on: publishing fails at once."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager, conf.broker_url = False, "redis://127.0.0.1:1/0"
    celery_app._pool = celery_app.amqp._producer_pool = None
    yield
    conf.task_always_eager, conf.broker_url = saved
    celery_app._pool = celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_upload_with_the_broker_down_says_at_once_that_it_was_not_checked(
    client, cast, flat_file, large, broker_down, django_capture_on_commit_callbacks
):
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, flat_file)
    page = client.get(response.url).content.decode()
    record = ImportRecord.objects.get()
    assert record.status == Status.REFUSED
    assert "后台任务服务暂不可用，文件没有检查" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_commit_with_the_broker_down_says_at_once_that_it_did_not_start(
    client, cast, flat_file, large, django_capture_on_commit_callbacks, request
):
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, flat_file)
    record = ImportRecord.objects.get()
    assert record.status == Status.PREVIEWED, record.preview
    request.getfixturevalue("broker_down")
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("imports:commit", args=[record.pk]), follow=True).content.decode()
    record.refresh_from_db()
    assert record.status == Status.PREVIEWED
    assert "后台任务服务暂不可用，导入没有开始" in page
    assert Project.objects.count() == 0
