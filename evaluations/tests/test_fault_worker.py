"""A Celery worker killed in the middle of a large export: the task runs again and completes, and no half-written
file is ever offered for download; plus the idempotency that makes running it again safe.

The kill test runs a real worker (`celery -A config worker`, prefork, one pool process) on a queue of its own,
against this test's database and Redis, and SIGKILLs the pool process while it is building the PDFs: with
acks_late and reject_on_worker_lost the worker puts the message back and its new pool process runs it again.
"""

import io
import os
import re
import signal
import uuid
import zipfile
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import User
from budgets.models import FiscalYear, Project
from config.celery import app as celery_app
from config.tests import processes
from evaluations.demo import load_demo
from evaluations.models import DepartmentEvaluation, ReportExport
from evaluations.reports.exports import INTERRUPTED, MAX_ATTEMPTS, export_retry
from evaluations.tasks import export_report

Status = ReportExport.Status


def _files_in_media():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


# --- idempotency: what a second delivery of the same task does -------------------------------------------------


@pytest.fixture
def summary_export(cast, year, evaluation):
    return ReportExport.objects.create(owner=cast.finance_reviewer, kind="summary", format="xlsx", fiscal_year=year)


@pytest.mark.django_db
def test_a_repeated_task_for_a_finished_export_changes_nothing(summary_export):
    export_report.delay(export_id=summary_export.pk)
    done = ReportExport.objects.values().get(pk=summary_export.pk)
    files = _files_in_media()

    export_report.delay(export_id=summary_export.pk)

    assert (ReportExport.objects.values().get(pk=summary_export.pk), _files_in_media(), done["status"]) == (
        done,
        files,
        "done",
    )


@pytest.mark.django_db
def test_an_export_left_running_by_a_dead_worker_is_built_again_from_the_start(summary_export):
    ReportExport.objects.filter(pk=summary_export.pk).update(status=Status.RUNNING, progress=40)

    export_report.delay(export_id=summary_export.pk)

    summary_export.refresh_from_db()
    sheet = load_workbook(io.BytesIO(summary_export.file.read())).active
    assert (summary_export.status, summary_export.progress, _files_in_media(), sheet.title) == (
        "done",
        100,
        [summary_export.file.name],
        "汇总表",
    )


@pytest.mark.django_db
def test_an_export_that_kills_its_worker_every_time_is_given_up_after_three_starts(
    summary_export, django_capture_on_commit_callbacks
):
    # Three deliveries already started and died (their pool process was killed each time): the fourth gives up.
    ReportExport.objects.filter(pk=summary_export.pk).update(status=Status.RUNNING, attempts=MAX_ATTEMPTS)

    export_report.delay(export_id=summary_export.pk)

    summary_export.refresh_from_db()
    assert (summary_export.status, summary_export.error, bool(summary_export.file), _files_in_media()) == (
        "failed",
        INTERRUPTED,
        False,
        [],
    )
    # The user's own retry starts the count again and builds it.
    with django_capture_on_commit_callbacks(execute=True):
        export_retry(export=summary_export, actor=summary_export.owner)
    summary_export.refresh_from_db()
    assert (summary_export.status, summary_export.attempts) == ("done", 1)


@pytest.mark.django_db
def test_a_partial_file_left_by_a_process_killed_while_writing_is_replaced_not_kept_beside_the_new_one(
    summary_export,
):
    leftover = default_storage.save(
        f"exports/{timezone.now():%Y/%m}/export-{summary_export.pk}.xlsx", ContentFile(b"PK\x03\x04 half a zip")
    )

    export_report.delay(export_id=summary_export.pk)

    summary_export.refresh_from_db()
    load_workbook(io.BytesIO(summary_export.file.read()))  # opens: the complete file, not the leftover
    assert (summary_export.status, summary_export.file.name, _files_in_media()) == ("done", leftover, [leftover])


def test_redis_hands_a_task_to_another_worker_only_after_the_longest_export_could_have_finished():
    # With acks_late an unacknowledged message is redelivered after the visibility timeout: it must be longer
    # than the export's hard time limit, or a long export would run twice at once.
    visibility_timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    assert (
        export_report.acks_late,
        export_report.reject_on_worker_lost,
        settings.CELERY_WORKER_PREFETCH_MULTIPLIER,
        visibility_timeout > export_report.time_limit > export_report.soft_time_limit,
    ) == (True, True, 1, True)


# --- the real worker, killed mid-export ------------------------------------------------------------------------


@pytest.fixture
def worker_queue():
    """A queue of this test's own on the configured Redis, so no other worker or test run takes its message."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL (CI runs the suite once with PostgreSQL and Redis)")
    if reason := processes.skip_reason():
        pytest.skip(reason)
    queue = f"jixiao-fault-{uuid.uuid4().hex[:12]}"
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_default_queue)
    conf.task_always_eager, conf.task_default_queue = False, queue
    yield queue
    conf.task_always_eager, conf.task_default_queue = saved
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in broker.scan_iter(match=f"*{queue}*"):
        broker.delete(key)


def _start_worker(queue, log):
    command = [
        *(processes.PYTHON, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"),
        *("--pool=prefork", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h"),
        # Alone on its queue: no need to greet or synchronise with the other workers on this Redis.
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]
    return processes.start(command, processes.environment(DB_CONN_MAX_AGE="0"), log)


def _lines(log, pattern):
    return re.findall(pattern, log)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_in_the_middle_of_a_large_export_runs_it_again_and_offers_only_the_complete_file(
    client, worker_queue, tmp_path
):
    load_demo()
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    tables = (
        Project.objects.filter(fiscal_year=year).count() + DepartmentEvaluation.objects.filter(fiscal_year=year).count()
    )
    client.force_login(User.objects.get(username="finance"))
    log = tmp_path / "worker.log"
    worker = _start_worker(worker_queue, log)
    try:
        processes.wait_for(lambda: "ready." in log.read_text(), timeout=30, what="the worker to start")
        client.post(reverse("reports:export_start"), {"year": 2024, "kind": "project_tables", "format": "pdf"})
        export = ReportExport.objects.get()
        download = reverse("reports:export_download", args=[export.pk])
        # Every look at the export until it is done: (status, a file attached, progress, the download's answer).
        looks = []

        def look():
            current = ReportExport.objects.get(pk=export.pk)
            if current.status != Status.DONE:
                looks.append((current.status, bool(current.file), current.progress, client.get(download).status_code))
            return current

        # Mid-way: a few tables of the zip built, most still to come.
        processes.wait_for(
            lambda: ReportExport.objects.filter(pk=export.pk, status=Status.RUNNING, progress__gte=5).exists(),
            timeout=30,
            what="the export to be under way",
        )
        look()
        (pool_process,) = processes.children(worker.pid)
        os.kill(pool_process, signal.SIGKILL)
        killed_at = looks[-1][2]

        done = processes.wait_for(
            lambda: (current := look()).status == Status.DONE and current,
            timeout=45,
            interval=0.2,
            what="the export to be built again",
        )
        response = client.get(download)
        content = b"".join(response.streaming_content)
    finally:
        processes.stop(worker, first_signal=signal.SIGQUIT)

    worker_log = log.read_text()
    story = f"killed at {killed_at} %; looks (status, file, progress, download): {looks}\n{worker_log}"
    received = _lines(worker_log, r"export_report\[([0-9a-f-]+)\] received")
    succeeded = _lines(
        worker_log, r"INFO/(ForkPoolWorker-\d+)\] Task evaluations\.tasks\.export_report\[([0-9a-f-]+)\] succ"
    )
    # Killed while building, the same message delivered again, and finished by the replacement pool process.
    assert (
        killed_at >= 5,
        f"Process 'ForkPoolWorker-1' pid:{pool_process} exited with 'signal 9 (SIGKILL)'" in worker_log,
        len(received),
        len(set(received)),
        succeeded,
    ) == (True, True, 2, 1, [("ForkPoolWorker-2", received[0])]), story
    # Never a file, nor a download, before it was done again.
    assert {(status, attached, answer) for status, attached, _, answer in looks} == {("running", False, 404)}, story
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    summary = PdfReader(io.BytesIO(archive.read("市级财政支出绩效自评结果汇总表.pdf")))
    assert (
        done.progress,
        done.filename,
        response["Content-Type"],
        archive.testzip(),
        len(names),
        all(archive.read(name).startswith(b"%PDF-") for name in names),
        "2024年度市级财政支出绩效自评结果汇总表" in summary.pages[0].extract_text(),
        _files_in_media(),
    ) == (
        100,
        "2024年度绩效自评表（东莞市财政局）.zip",
        "application/zip",
        None,
        tables + 1,
        True,
        True,
        [done.file.name],
    ), story
