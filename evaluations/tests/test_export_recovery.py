"""Exports that recover (issue 15, finding 4): one whose worker was lost is not left "生成中 21%" for an hour with
重试 refused, and one the broker would not take is not announced as started.

An export shows a sign of life when queued, started and at every progress report (its heartbeat). Past
settings.EXPORT_STALE_AFTER without one, the next look at it (the list, the status poll, 重试) marks it failed with
the reason, and it can be retried. A run given up that way, or replaced by the retry, neither moves the bar nor
attaches its file.
"""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import close_old_connections, connection, transaction
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from evaluations.models import ReportExport
from evaluations.reports import exports
from evaluations.reports.exports import (
    UNAVAILABLE,
    export_retry,
    export_run,
    mark_stale,
    never_started_reason,
    stalled_reason,
)

Status = ReportExport.Status
STALLED = "导出超过 5 分钟没有进展（后台进程可能已中断），已停止。可以点击“重试”重新生成。"
NOT_STARTED = "后台任务服务暂不可用，导出没有开始。请稍后重试或联系管理员。"


def _media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def _export(cast, year, *, status=Status.PENDING, progress=0, quiet_for=timedelta(0), **fields):
    """An export of the finance reviewer's, last heard of ``quiet_for`` ago."""
    export = ReportExport.objects.create(
        owner=cast.finance_reviewer, kind="summary", format="xlsx", fiscal_year=year, **fields
    )
    last = timezone.now() - quiet_for
    started = last if status == Status.RUNNING else None
    ReportExport.objects.filter(pk=export.pk).update(
        status=status, progress=progress, heartbeat_at=last, started_at=started
    )
    export.refresh_from_db()
    return export


def _said(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- a running export that stopped reporting progress ---------------------------------------------------------


@pytest.mark.django_db
def test_an_export_left_running_by_a_lost_worker_shows_failed_with_the_reason_and_is_built_again_on_retry(
    client, cast, year, evaluation, django_capture_on_commit_callbacks
):
    """The issue's case: "生成中 21%" for an hour, and 重试 refused with 只有失败的导出可以重试."""
    export = _export(cast, year, status=Status.RUNNING, progress=21, quiet_for=timedelta(minutes=6))
    client.force_login(cast.finance_reviewer)

    page = client.get(reverse("reports:exports")).content.decode()
    export.refresh_from_db()
    shown = (export.status, export.progress, export.error, STALLED in page, f"/exports/{export.pk}/retry/" in page)
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(reverse("reports:export_retry", args=[export.pk]))

    export.refresh_from_db()
    assert shown == ("failed", 21, STALLED, True, True)
    assert (_said(retried), export.status, export.error, export.attempts, bool(export.file)) == (
        ["已重新开始生成。"],
        "done",
        "",
        1,
        True,
    )


@pytest.mark.django_db
def test_the_status_poll_reports_a_stalled_export_as_failed_so_the_page_offers_retry(client, cast, year):
    export = _export(cast, year, status=Status.RUNNING, progress=21, quiet_for=timedelta(minutes=6))
    client.force_login(cast.finance_reviewer)

    payload = client.get(reverse("reports:export_status")).json()

    assert payload == {
        "exports": [{"id": export.pk, "status": "failed", "label": "失败", "progress": 21, "error": STALLED}]
    }


@pytest.mark.django_db
def test_retry_of_a_stalled_export_works_even_from_a_page_loaded_before_it_was_marked(
    cast, year, evaluation, django_capture_on_commit_callbacks
):
    export = _export(cast, year, status=Status.RUNNING, progress=21, quiet_for=timedelta(minutes=6))

    with django_capture_on_commit_callbacks(execute=True):
        export_retry(export=export, actor=cast.finance_reviewer)

    export.refresh_from_db()
    assert (export.status, export.progress, bool(export.file)) == ("done", 100, True)


@pytest.mark.django_db
def test_an_export_that_reported_progress_within_the_stale_time_is_left_running_and_not_retried(client, cast, year):
    export = _export(cast, year, status=Status.RUNNING, progress=21, quiet_for=timedelta(minutes=4))
    client.force_login(cast.finance_reviewer)

    polled = client.get(reverse("reports:export_status")).json()["exports"][0]
    page = client.get(reverse("reports:exports")).content.decode()
    refused = client.post(reverse("reports:export_retry", args=[export.pk]))

    export.refresh_from_db()
    assert ((polled["status"], polled["error"]), export.status, export.progress, export.error) == (
        ("running", ""),
        "running",
        21,
        "",
    )
    assert ("超过 5 分钟没有进展即视为中断" in page, _said(refused)) == (True, ["只有失败的导出可以重试。"])


@pytest.mark.django_db
def test_a_queued_export_no_worker_took_is_failed_but_not_while_the_workers_are_busy_with_others(cast, year):
    waiting = _export(cast, year, quiet_for=timedelta(minutes=6))
    busy = _export(cast, year, status=Status.RUNNING, progress=50, quiet_for=timedelta(seconds=10))

    while_busy = mark_stale()
    ReportExport.objects.filter(pk=busy.pk).update(status=Status.DONE, file="exports/x.xlsx")
    once_idle = mark_stale()

    waiting.refresh_from_db()
    assert (while_busy, once_idle, waiting.status, waiting.error) == (0, 1, "failed", never_started_reason())
    assert waiting.error == "导出排队超过 5 分钟仍未开始（后台任务服务可能已中断），已停止。可以点击“重试”重新生成。"


@pytest.mark.django_db
def test_the_stale_time_is_a_setting_and_the_reason_states_it(cast, year, settings):
    settings.EXPORT_STALE_AFTER = 90
    old = _export(cast, year, status=Status.RUNNING, quiet_for=timedelta(seconds=100))
    young = _export(cast, year, status=Status.RUNNING, quiet_for=timedelta(seconds=80))

    mark_stale()

    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.status, old.error, young.status) == ("failed", stalled_reason(), "running")
    assert "超过 90 秒没有进展" in old.error


@pytest.mark.django_db
def test_only_the_owners_exports_are_marked_when_they_look(client, cast, year):
    mine = _export(cast, year, status=Status.RUNNING, quiet_for=timedelta(minutes=6))
    theirs = ReportExport.objects.create(owner=cast.admin, kind="summary", format="pdf", fiscal_year=year)
    ReportExport.objects.filter(pk=theirs.pk).update(
        status=Status.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=6)
    )
    client.force_login(cast.finance_reviewer)

    client.get(reverse("reports:exports"))

    assert dict(ReportExport.objects.values_list("pk", "status")) == {mine.pk: "failed", theirs.pk: "running"}


# --- the run that was given up: it must not write over what the user was told, nor over the retry --------------


def _given_up(export):
    """What the list page does when the export has been quiet too long (the run itself is still alive)."""
    ReportExport.objects.filter(pk=export.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=6))
    assert mark_stale() == 1


@pytest.mark.django_db
def test_a_progress_report_after_the_export_was_given_up_does_not_move_it_and_stops_the_run(
    cast, year, evaluation, monkeypatch
):
    export = _export(cast, year)
    seen = []

    def slow_builder(export):
        exports._progress(export, 20)
        _given_up(export)
        seen.append("given up")
        exports._progress(export, 60)
        seen.append("went on")  # not reached: the run stops at the report
        return b"content", "x.xlsx"

    monkeypatch.setitem(exports.BUILDERS, ReportExport.Kind.SUMMARY, slow_builder)

    export_run(export=export)

    export.refresh_from_db()
    assert (seen, export.status, export.progress, export.error, bool(export.file), _media_files()) == (
        ["given up"],
        "failed",
        20,
        STALLED,
        False,
        [],
    )


@pytest.mark.django_db
def test_a_run_given_up_while_building_its_last_step_does_not_attach_its_file(cast, year, evaluation, monkeypatch):
    export = _export(cast, year)

    def builder_whose_last_step_was_slow(export):
        _given_up(export)
        return b"PK complete but too late", "x.xlsx"

    monkeypatch.setitem(exports.BUILDERS, ReportExport.Kind.SUMMARY, builder_whose_last_step_was_slow)

    export_run(export=export)

    export.refresh_from_db()
    assert (export.status, export.error, bool(export.file), export.finished_at, _media_files()) == (
        "failed",
        STALLED,
        False,
        None,
        [],
    )


@pytest.mark.django_db
def test_after_a_retry_the_old_run_neither_moves_the_new_runs_bar_nor_attaches_its_file(
    cast, year, evaluation, monkeypatch, django_capture_on_commit_callbacks
):
    export = _export(cast, year)
    real_builder = exports.BUILDERS[ReportExport.Kind.SUMMARY]

    def old_run(export):
        _given_up(export)
        # The user retries while this run is still alive; the new run's task is sent after commit.
        export_retry(export=ReportExport.objects.get(pk=export.pk), actor=cast.finance_reviewer)
        exports._progress(export, 80)
        return b"stale content", "x.xlsx"

    monkeypatch.setitem(exports.BUILDERS, ReportExport.Kind.SUMMARY, old_run)
    with django_capture_on_commit_callbacks() as sent:
        export_run(export=export)
    export.refresh_from_db()
    after_old_run = (export.status, export.progress, bool(export.file), len(sent))

    monkeypatch.setitem(exports.BUILDERS, ReportExport.Kind.SUMMARY, real_builder)
    sent[0]()  # the retry's task

    export.refresh_from_db()
    assert after_old_run == ("pending", 0, False, 1)
    assert (export.status, export.progress, export.attempts, export.file.read()[:2]) == ("done", 100, 1, b"PK")


@pytest.mark.django_db
def test_the_task_for_an_export_given_up_while_queued_does_nothing_until_retried(cast, year, evaluation):
    export = _export(cast, year, quiet_for=timedelta(minutes=6))
    mark_stale()

    export_run(export=exports.ReportExport.objects.get(pk=export.pk))  # its message comes in at last

    export.refresh_from_db()
    assert (export.status, export.attempts, export.error, bool(export.file)) == (
        "failed",
        0,
        never_started_reason(),
        False,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_marking_waits_for_a_worker_attaching_its_file_and_then_leaves_the_finished_export_alone(cast, year):
    """The marking is one conditional UPDATE: a worker holding the row to attach its file finishes first, and
    the UPDATE, rechecking its condition, no longer matches (PostgreSQL; SQLite runs one writer at a time)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only (the CI run with DATABASE_URL)")
    export = _export(cast, year, status=Status.RUNNING, quiet_for=timedelta(minutes=6))
    locked, marked = threading.Event(), []

    def mark_from_another_connection():
        try:
            locked.wait(timeout=10)
            marked.append(mark_stale())
        finally:
            close_old_connections()
            connection.close()

    marker = threading.Thread(target=mark_from_another_connection)
    marker.start()
    with transaction.atomic():
        list(ReportExport.objects.select_for_update().filter(pk=export.pk))
        locked.set()
        marker.join(timeout=1)  # the UPDATE now waits for this transaction
        still_waiting = marker.is_alive()
        ReportExport.objects.filter(pk=export.pk).update(status=Status.DONE, file="exports/x.xlsx", progress=100)
    marker.join(timeout=10)

    export.refresh_from_db()
    assert (still_waiting, marked, export.status, export.error) == (True, [0], "done", "")


# --- the broker down: the page says at once that nothing started ---------------------------------------------


@pytest.fixture
def broker_down():
    """A real connection attempt to a closed port; the app's producer pool is rebuilt for it and afterwards."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager, conf.broker_url = False, "redis://127.0.0.1:1/0"
    celery_app._pool = celery_app.amqp._producer_pool = None
    yield
    conf.task_always_eager, conf.broker_url = saved
    celery_app._pool = celery_app.amqp._producer_pool = None


# No test transaction around the request: the task is sent as the view's own transaction commits, as served.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_starting_an_export_with_the_broker_down_says_it_did_not_start(client, cast, year, broker_down):
    client.force_login(cast.finance_reviewer)

    response = client.post(reverse("reports:export_start"), {"year": 2024, "kind": "summary", "format": "pdf"})

    export = ReportExport.objects.get()
    said = [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]
    assert (response.status_code, response["Location"], said, export.status, export.error) == (
        302,
        reverse("reports:exports"),
        [("error", NOT_STARTED)],
        "failed",
        UNAVAILABLE,
    )
    page = client.get(reverse("reports:exports")).content.decode()
    assert ("已开始生成" in page, NOT_STARTED in page, UNAVAILABLE in page) == (False, True, True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_retrying_with_the_broker_down_says_it_did_not_start(client, cast, year, broker_down):
    export = _export(cast, year, status=Status.FAILED)
    client.force_login(cast.finance_reviewer)

    response = client.post(reverse("reports:export_retry", args=[export.pk]))

    export.refresh_from_db()
    assert (_said(response), export.status, export.error) == ([NOT_STARTED], "failed", UNAVAILABLE)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_starting_an_export_with_the_broker_up_says_it_started(client, cast, year, evaluation):
    client.force_login(cast.finance_reviewer)

    response = client.post(reverse("reports:export_start"), {"year": 2024, "kind": "summary", "format": "xlsx"})

    assert (_said(response), ReportExport.objects.get().status) == (
        ["已开始生成“市级财政支出绩效自评结果汇总表（2024年度，Excel）”，完成后可在“我的下载”中下载。"],
        "done",
    )
