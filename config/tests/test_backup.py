"""manage.py backup / restore: a round trip of the database and the media files, and what restore refuses.

On PostgreSQL these dump and restore the running test's own database (each xdist worker has its own), so the
round trip is a transactional test: pg_restore works outside the test's transaction.
"""

import io
import json
import tarfile

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Organisation, User
from evaluations.tests.factories import OrganisationFactory, UserFactory

ROUND_TRIP = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# The manifest of an SQLite backup with no media files, for archives built by hand.
MANIFEST = json.dumps(
    {
        "format": "jixiao-backup",
        "version": 1,
        "created": "2025-01-01T00:00:00+08:00",
        "engine": "sqlite",
        "database_name": "db.sqlite3",
        "database_sha256": "0" * 64,
        "media_files": 0,
    }
).encode()


def _backup(output_dir):
    out = io.StringIO()
    call_command("backup", output_dir=output_dir, stdout=out)
    (archive,) = output_dir.glob("jixiao-*.tar.gz")
    return archive, out.getvalue()


def _restore(archive, *options):
    out = io.StringIO()
    call_command("restore", str(archive), *options, stdout=out)
    return out.getvalue()


def _tar_gz(path, members):
    """A gzipped tar of (name, bytes) members, for archives that did not come from backup."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@ROUND_TRIP
def test_restore_puts_back_the_database_and_media_files_of_a_backup(tmp_path):
    bureau = OrganisationFactory(name="东莞市财政局", kind="finance_bureau", parent=None)
    OrganisationFactory(name="东莞市技师学院", kind="department", parent=bureau)
    UserFactory(username="finance", full_name="财政审核员", role="finance_reviewer", organisation=bureau)
    media = settings.MEDIA_ROOT
    (media / "imports").mkdir(parents=True)
    (media / "imports" / "往年汇总表.xlsx").write_bytes(b"workbook bytes")
    archive, message = _backup(tmp_path / "backups")
    Organisation.objects.filter(name="东莞市技师学院").delete()
    OrganisationFactory(name="备份之后新建的单位", kind="department", parent=bureau)
    User.objects.filter(username="finance").update(full_name="改过的名字")
    (media / "imports" / "往年汇总表.xlsx").unlink()
    (media / "exports").mkdir()
    (media / "exports" / "备份之后.pdf").write_bytes(b"later")

    restored = _restore(archive, "--noinput")

    assert sorted(Organisation.objects.values_list("name", flat=True)) == ["东莞市技师学院", "东莞市财政局"]
    assert User.objects.get(username="finance").full_name == "财政审核员"
    assert sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()) == [
        "imports/往年汇总表.xlsx"
    ]
    assert (media / "imports" / "往年汇总表.xlsx").read_bytes() == b"workbook bytes"
    assert (message.startswith(f"已备份到 {archive}"), "媒体文件 1 个" in message) == (True, True)
    assert restored == f"已从 {archive} 恢复数据库和 1 个媒体文件。\n"


@ROUND_TRIP
def test_restore_asks_first_and_changes_nothing_unless_the_answer_is_yes(tmp_path, monkeypatch):
    bureau = OrganisationFactory(name="东莞市财政局", kind="finance_bureau", parent=None)
    archive, _ = _backup(tmp_path / "backups")
    OrganisationFactory(name="备份之后新建的单位", kind="department", parent=bureau)
    questions = []
    monkeypatch.setattr("builtins.input", lambda question: questions.append(question) or "no")

    with pytest.raises(CommandError) as refusal:
        _restore(archive)

    assert str(refusal.value) == "已取消，没有改动任何数据。"
    assert ("当前的数据和文件将丢失" in questions[0], len(questions)) == (True, 1)
    assert sorted(Organisation.objects.values_list("name", flat=True)) == ["东莞市财政局", "备份之后新建的单位"]


@ROUND_TRIP
def test_backup_writes_one_timestamped_archive_and_nothing_half_written(tmp_path):
    output_dir = tmp_path / "backups"

    archive, _ = _backup(output_dir)

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    database_file = "database.dump" if manifest["engine"] == "postgresql" else "database.sqlite3"
    assert sorted(p.name for p in output_dir.iterdir()) == [archive.name]
    assert names == ["manifest.json", database_file, "media"]
    assert (manifest["format"], manifest["version"], manifest["media_files"]) == ("jixiao-backup", 1, 0)


def test_restore_refuses_a_missing_archive(tmp_path):
    with pytest.raises(CommandError) as refusal:
        _restore(tmp_path / "nothing.tar.gz", "--noinput")

    assert str(refusal.value) == f"备份文件 {tmp_path / 'nothing.tar.gz'} 不存在。"


def test_restore_refuses_a_truncated_archive(tmp_path):
    archive = _tar_gz(
        tmp_path / "backup.tar.gz", [("manifest.json", MANIFEST), ("media/a.bin", bytes(range(256)) * 64)]
    )
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])

    with pytest.raises(CommandError) as refusal:
        _restore(archive, "--noinput")

    assert str(refusal.value).startswith(f"备份文件 {archive} 已损坏或不是本系统的备份")


def test_restore_refuses_a_file_that_is_not_an_archive(tmp_path):
    archive = tmp_path / "jixiao-20250101-000000.tar.gz"
    archive.write_bytes(b"not a backup at all")

    with pytest.raises(CommandError) as refusal:
        _restore(archive, "--noinput")

    assert str(refusal.value).startswith(f"备份文件 {archive} 已损坏或不是本系统的备份")


def test_restore_refuses_a_tar_without_a_manifest(tmp_path):
    archive = _tar_gz(tmp_path / "other.tar.gz", [("database.dump", b"x")])

    with pytest.raises(CommandError) as refusal:
        _restore(archive, "--noinput")

    assert str(refusal.value) == f"{archive} 不是本系统的备份：缺少 manifest.json。"


def test_restore_refuses_an_archive_whose_database_does_not_match_its_manifest(tmp_path):
    archive = _tar_gz(tmp_path / "backup.tar.gz", [("manifest.json", MANIFEST), ("database.sqlite3", b"altered")])

    with pytest.raises(CommandError) as refusal:
        _restore(archive, "--noinput")

    assert str(refusal.value) == f"备份文件 {archive} 已损坏：数据库文件与清单中的校验和不符。"


def test_restore_refuses_a_path_outside_the_media_folder(tmp_path):
    archive = _tar_gz(tmp_path / "backup.tar.gz", [("manifest.json", MANIFEST), ("media/../../../escaped.txt", b"x")])

    with pytest.raises(CommandError) as refusal:
        _restore(archive, "--noinput")

    assert str(refusal.value) == f"备份文件 {archive} 中有不允许的条目 media/../../../escaped.txt，拒绝恢复。"
    assert (tmp_path / "escaped.txt").exists() is False
