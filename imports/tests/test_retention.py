"""Retention of uploaded import files (issue 15, finding 5): refused and abandoned uploads lose their file after the
configured days, committed ones keep it, files no record names are swept, and beat runs it every night."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from imports.models import ImportRecord
from imports.retention import expired_preview_reason, purge

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parents[2]
NOW = timezone.now()


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.IMPORT_REFUSED_RETENTION_DAYS = 30
    settings.IMPORT_PREVIEW_RETENTION_DAYS = 90


@pytest.fixture
def upload(org, cast):
    """``upload(status, days_old)``: an import record with a stored file, uploaded ``days_old`` days before NOW."""
    serial = iter(range(1000))

    def make(status, days_old, content=b"PK\x03\x04 workbook"):
        number = next(serial)
        name = default_storage.save(f"imports/2024/01/{number:016d}.xlsx", ContentFile(content))
        record = ImportRecord.objects.create(
            uploaded_by=cast.admin,
            finance_bureau=org.bureau,
            original_name=f"往年{number}.xlsx",
            file=name,
            sha256=f"{number:064d}",
            size=len(content),
            status=status,
            preview={"changes": [], "problems": [{"severity": "错误", "message": "缺少必填列"}]},
            committed_at=NOW if status == ImportRecord.Status.COMMITTED else None,
        )
        ImportRecord.objects.filter(pk=record.pk).update(created_at=NOW - timedelta(days=days_old))
        record.refresh_from_db()
        return record

    return make


def _stored(record):
    record.refresh_from_db()
    return bool(record.file) and default_storage.exists(record.file.name)


def _orphan(name="imports/2023/12/leftover.xlsx", content=b"left by a crash"):
    return default_storage.save(name, ContentFile(content))


def test_an_old_refused_upload_loses_its_file_but_keeps_its_record_and_reason(upload):
    old = upload(ImportRecord.Status.REFUSED, days_old=31)
    name = old.file.name

    summary = purge(now=NOW)

    old.refresh_from_db()
    assert (summary.refused, summary.files, summary.bytes) == (1, 1, len(b"PK\x03\x04 workbook"))
    assert (old.file.name, default_storage.exists(name), old.status) == ("", False, ImportRecord.Status.REFUSED)
    assert old.preview["problems"] == [{"severity": "错误", "message": "缺少必填列"}]
    assert old.preview["purged_at"] == NOW.isoformat()


def test_a_recent_refused_upload_keeps_its_file(upload):
    recent = upload(ImportRecord.Status.REFUSED, days_old=29)

    summary = purge(now=NOW)

    assert (summary.files, _stored(recent)) == (0, True)


def test_the_retention_days_come_from_the_settings(upload, settings):
    settings.IMPORT_REFUSED_RETENTION_DAYS = 7
    week_old = upload(ImportRecord.Status.REFUSED, days_old=8)

    purge(now=NOW)

    assert _stored(week_old) is False


def test_committed_imports_keep_their_file_whatever_their_age(upload):
    committed = [upload(ImportRecord.Status.COMMITTED, days_old=days) for days in (1, 400, 4000)]

    summary = purge(now=NOW)

    assert (summary.files, [_stored(record) for record in committed]) == (0, [True, True, True])


def test_an_old_abandoned_preview_is_refused_with_its_reason_and_can_no_longer_be_committed(client, cast, upload):
    abandoned = upload(ImportRecord.Status.PREVIEWED, days_old=91)
    pending = upload(ImportRecord.Status.PREVIEWED, days_old=89)

    summary = purge(now=NOW)

    abandoned.refresh_from_db()
    assert (summary.previews, abandoned.status, abandoned.file.name) == (1, ImportRecord.Status.REFUSED, "")
    assert abandoned.preview["unusable"] == expired_preview_reason(90)
    assert (_stored(pending), pending.status) == (True, ImportRecord.Status.PREVIEWED)

    client.force_login(cast.admin)
    page = client.get(reverse("imports:detail", args=[abandoned.pk]))
    committed = client.post(reverse("imports:commit", args=[abandoned.pk]), follow=True)
    text = page.content.decode()
    pending_text = client.get(reverse("imports:detail", args=[pending.pk])).content.decode()
    commit_form = 'action="{}"'.format
    assert (page.status_code, "超过 90 天未确认导入" in text) == (200, True)
    assert commit_form(reverse("imports:commit", args=[abandoned.pk])) not in text
    assert commit_form(reverse("imports:commit", args=[pending.pk])) in pending_text
    assert (committed.status_code, "这个文件不能导入：预览超过 90 天" in committed.content.decode()) == (200, True)
    abandoned.refresh_from_db()
    assert abandoned.status == ImportRecord.Status.REFUSED


def test_a_purged_refused_record_still_shows_its_page(client, cast, upload):
    old = upload(ImportRecord.Status.REFUSED, days_old=60)
    purge(now=NOW)
    client.force_login(cast.admin)

    response = client.get(reverse("imports:detail", args=[old.pk]))
    listing = client.get(reverse("imports:list"))

    assert (response.status_code, "缺少必填列" in response.content.decode(), listing.status_code) == (200, True, 200)


def test_a_dry_run_counts_but_changes_nothing(upload):
    refused = upload(ImportRecord.Status.REFUSED, days_old=31)
    preview = upload(ImportRecord.Status.PREVIEWED, days_old=91)
    orphan = _orphan()
    before = list(ImportRecord.objects.order_by("pk").values())

    summary = purge(now=NOW + timedelta(days=2), dry_run=True)

    assert summary.as_dict() == {
        "dry_run": True,
        "refused": 1,
        "previews": 1,
        "orphans": 1,
        "files": 3,
        "bytes": 2 * len(b"PK\x03\x04 workbook") + len(b"left by a crash"),
        "records": 2,
    }
    assert list(ImportRecord.objects.order_by("pk").values()) == before
    assert (_stored(refused), _stored(preview), default_storage.exists(orphan)) == (True, True, True)


def test_files_no_record_names_are_removed_once_a_day_old(upload):
    kept = upload(ImportRecord.Status.REFUSED, days_old=0)
    orphan = _orphan()

    too_young = purge(now=NOW)
    assert (too_young.orphans, default_storage.exists(orphan)) == (0, True)

    summary = purge(now=NOW + timedelta(days=2))

    assert (summary.orphans, summary.files, default_storage.exists(orphan), _stored(kept)) == (1, 1, False, True)


def test_a_file_another_record_still_names_is_not_deleted(upload):
    committed = upload(ImportRecord.Status.COMMITTED, days_old=100)
    refused = upload(ImportRecord.Status.REFUSED, days_old=100)
    ImportRecord.objects.filter(pk=refused.pk).update(file=committed.file.name)

    summary = purge(now=NOW)

    refused.refresh_from_db()
    assert (summary.refused, summary.files, refused.file.name, _stored(committed)) == (1, 0, "", True)


def test_running_twice_changes_nothing_more(upload):
    upload(ImportRecord.Status.REFUSED, days_old=31)
    upload(ImportRecord.Status.PREVIEWED, days_old=91)
    purge(now=NOW)
    after_first = list(ImportRecord.objects.order_by("pk").values())

    second = purge(now=NOW)

    assert (second.records, second.files) == (0, 0)
    assert list(ImportRecord.objects.order_by("pk").values()) == after_first


def test_nothing_to_purge_and_no_imports_folder_is_fine():
    summary = purge()

    assert summary.as_dict()["files"] == 0


def test_the_command_prints_chinese_counts_and_honours_dry_run(upload, capsys):
    old = upload(ImportRecord.Status.REFUSED, days_old=31, content=b"x" * 2048)

    call_command("purge_imports", "--dry-run")
    dry = capsys.readouterr().out
    assert _stored(old) is True
    call_command("purge_imports")
    done = capsys.readouterr().out

    assert "保留期限：无法导入的文件 30 天，未确认导入的预览 90 天，已导入的文件永久保留。" in dry
    assert "试运行，没有删除或修改任何内容。将会删除文件 1 个，释放 2.0 KB（2048 字节）" in dry
    assert "删除文件 1 个，释放 2.0 KB（2048 字节）；更新导入记录 1 条（无法导入的 1 条" in done
    assert "试运行" not in done
    assert _stored(old) is False


def test_the_celery_task_is_registered_and_runs_the_purge(upload):
    celery_app.loader.import_default_modules()
    old = upload(ImportRecord.Status.REFUSED, days_old=31)

    result = celery_app.tasks["imports.tasks.purge_imports"].delay().get()

    assert (result["refused"], result["files"], _stored(old)) == (1, 1, False)


def test_beat_runs_the_purge_every_night_at_half_past_three_shanghai_time():
    entry = django_settings.CELERY_BEAT_SCHEDULE["purge-imports"]
    schedule = entry["schedule"]

    assert entry["task"] == "imports.tasks.purge_imports"
    assert (schedule.hour, schedule.minute, celery_app.conf.timezone) == ({3}, {30}, "Asia/Shanghai")
    assert celery_app.conf.beat_schedule["purge-imports"]["task"] == "imports.tasks.purge_imports"


def test_compose_starts_one_beat_beside_the_worker():
    services = yaml.safe_load((PROJECT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    beat = services["beat"]

    assert beat["command"].startswith("celery -A config beat ")
    assert "--schedule /app/var/" in beat["command"]
    assert (beat["image"], beat["environment"]) == (services["worker"]["image"], services["worker"]["environment"])
    assert beat["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "deploy" not in beat  # never replicated: two beats would send every task twice


@pytest.mark.parametrize("name", ["IMPORT_REFUSED_RETENTION_DAYS", "IMPORT_PREVIEW_RETENTION_DAYS"])
def test_a_retention_of_less_than_a_day_refuses_to_start(name):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", name: "0"}

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode, f"环境变量 {name}=0 无效" in result.stderr) == (1, True)
