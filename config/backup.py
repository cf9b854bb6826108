"""Backup and restore of the database and the media files (MEDIA_ROOT) as one archive.

An archive is a gzipped tar holding, in this order:

- ``manifest.json``: format, version, creation time, database engine and name, the database file's SHA-256;
- the database: ``database.dump`` (pg_dump's custom format) or ``database.sqlite3`` (SQLite's online backup API);
- ``media/``: every regular file under MEDIA_ROOT.

Both commands (``manage.py backup`` / ``restore``) call these functions, on the host and in the container alike.
PostgreSQL is dumped and restored with the client tools against the database Django is configured for (the test
database under pytest), so they must be installed (package postgresql-client, same major version as the server).
"""

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connections
from django.utils import timezone

from config.env import env_str

FORMAT = "jixiao-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ENGINE_LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# Restores stage their files inside MEDIA_ROOT (same file system: moving is a rename); backups skip them.
STAGING_PREFIX = ".restore-"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells the operator why, in Chinese."""


@dataclass(frozen=True)
class Manifest:
    created: str
    engine: str
    database_name: str
    database_sha256: str
    media_files: int

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.engine]


@dataclass(frozen=True)
class OpenedBackup:
    """An archive unpacked and checked in a staging folder, ready to be restored."""

    archive: Path
    manifest: Manifest
    database_path: Path
    media_path: Path


def default_backup_dir() -> Path:
    return Path(env_str("BACKUP_DIR") or settings.BASE_DIR / "backups")


def backup_create(*, output_dir: Path, using: str = "default") -> tuple[Path, Manifest]:
    """Write the database and MEDIA_ROOT into a new timestamped archive in output_dir.

    The archive is written under a temporary name and renamed when complete, so a half-written backup never
    carries a backup's name.
    """
    engine = _engine(using)
    output_dir.mkdir(parents=True, exist_ok=True)
    archive = _new_archive_path(output_dir)
    partial = archive.with_name(archive.name + ".partial")
    media_root = Path(settings.MEDIA_ROOT)
    try:
        with tempfile.TemporaryDirectory(dir=output_dir, prefix=".backup-") as staging:
            database_path = Path(staging) / DATABASE_FILES[engine]
            if engine == "postgresql":
                _pg_dump(using=using, path=database_path)
            else:
                _sqlite_copy_out(using=using, path=database_path)
            media_files = _media_files(media_root)
            manifest = Manifest(
                created=timezone.localtime().isoformat(timespec="seconds"),
                engine=engine,
                database_name=str(connections[using].settings_dict["NAME"]),
                database_sha256=_sha256(database_path),
                media_files=len(media_files),
            )
            manifest_path = Path(staging) / MANIFEST
            manifest_path.write_text(
                json.dumps({"format": FORMAT, "version": FORMAT_VERSION, **asdict(manifest)}, ensure_ascii=False),
                encoding="utf-8",
            )
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(manifest_path, arcname=MANIFEST)
                tar.add(database_path, arcname=manifest.database_file)
                media_folder = tarfile.TarInfo(MEDIA)
                media_folder.type, media_folder.mode, media_folder.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
                tar.addfile(media_folder)
                for path in media_files:
                    tar.add(path, arcname=f"{MEDIA}/{path.relative_to(media_root).as_posix()}", recursive=False)
        partial.rename(archive)
    finally:
        partial.unlink(missing_ok=True)
    return archive, manifest


@contextlib.contextmanager
def backup_open(*, archive: Path, using: str = "default") -> Iterator[OpenedBackup]:
    """Unpack an archive into a staging folder and check it whole before anything is replaced.

    Refuses (BackupError) a missing file, a damaged or foreign archive, unsafe paths, a database file whose
    checksum differs from the manifest's and a backup of another database engine. The staging folder is
    removed on leaving the block.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"备份文件 {archive} 不存在。")
    _check_gzip_stream(archive)
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=media_root))
    try:
        manifest = _unpack(archive, staging)
        database_path = staging / manifest.database_file
        if not database_path.is_file() or _sha256(database_path) != manifest.database_sha256:
            raise BackupError(f"备份文件 {archive} 已损坏：数据库文件与清单中的校验和不符。")
        media_path = staging / MEDIA
        media_path.mkdir(exist_ok=True)
        if sum(1 for path in media_path.rglob("*") if path.is_file()) != manifest.media_files:
            raise BackupError(f"备份文件 {archive} 已损坏：媒体文件数量与清单不符。")
        engine = _engine(using)
        if manifest.engine != engine:
            raise BackupError(
                f"这是 {ENGINE_LABELS[manifest.engine]} 数据库的备份，当前配置的是 {ENGINE_LABELS[engine]}，不能恢复。"
            )
        yield OpenedBackup(archive=archive, manifest=manifest, database_path=database_path, media_path=media_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def backup_restore(*, backup: OpenedBackup, using: str = "default") -> None:
    """Replace the configured database and the contents of MEDIA_ROOT with those of an opened backup.

    The database goes first (PostgreSQL in one transaction: pg_restore either applies everything or nothing);
    the media files are replaced only once it succeeded. Django's connections are closed before, so no session
    of this process holds a lock that pg_restore has to wait for.
    """
    connections.close_all()
    if backup.manifest.engine == "postgresql":
        _pg_restore(using=using, path=backup.database_path)
    else:
        _sqlite_copy_in(using=using, path=backup.database_path)
    _replace_media(backup.media_path)


# --- Database -------------------------------------------------------------------------------------------------


def _engine(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"不支持备份 {vendor} 数据库（只支持 PostgreSQL 和 SQLite）。")
    return vendor


def _pg_environment(using: str) -> dict[str, str]:
    """libpq's variables for the configured database, so no password appears on a command line."""
    db = connections[using].settings_dict
    environment = dict(os.environ)
    for variable, value in {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGSSLMODE": db.get("OPTIONS", {}).get("sslmode"),
    }.items():
        if value:
            environment[variable] = str(value)
    return environment


def _run_pg_tool(args: list[str], *, using: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, arguments from the settings and our own paths
            args, env=_pg_environment(using), capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            f"找不到 {args[0]}：请安装与数据库服务器同一主版本的 PostgreSQL 客户端（Debian 软件包 postgresql-client）。"
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{args[0]} 失败（退出码 {result.returncode}）：{result.stderr.strip()}")


def _pg_dump(*, using: str, path: Path) -> None:
    name = connections[using].settings_dict["NAME"]
    _run_pg_tool(["pg_dump", "--format=custom", "--no-owner", f"--file={path}", f"--dbname={name}"], using=using)


def _pg_restore(*, using: str, path: Path) -> None:
    name = connections[using].settings_dict["NAME"]
    _run_pg_tool(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            # All or nothing: a failure half-way leaves the database as it was.
            "--single-transaction",
            f"--dbname={name}",
            str(path),
        ],
        using=using,
    )


def _sqlite_outside_transaction(using: str):
    """Django's SQLite connection, refused inside a transaction: SQLite's backup would wait for it forever."""
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("SQLite 数据库的备份和恢复不能在事务中进行。")
    return connection


def _sqlite_copy_out(*, using: str, path: Path) -> None:
    """Copy through Django's own connection: works for a file and for the test run's in-memory database."""
    connection = _sqlite_outside_transaction(using)
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()


def _sqlite_copy_in(*, using: str, path: Path) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (verdict,) = source.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"备份中的 SQLite 数据库已损坏：{verdict}")
        connection = _sqlite_outside_transaction(using)
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份中的 SQLite 数据库无法读取：{exc}") from None
    finally:
        source.close()


# --- Files ----------------------------------------------------------------------------------------------------


def _new_archive_path(output_dir: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    archive = output_dir / f"jixiao-{stamp}.tar.gz"
    counter = 1
    while archive.exists():
        counter += 1
        archive = output_dir / f"jixiao-{stamp}-{counter}.tar.gz"
    return archive


def _media_files(media_root: Path) -> list[Path]:
    """Regular files under MEDIA_ROOT, sorted; symbolic links and leftover restore folders are not data."""
    if not media_root.is_dir():
        return []
    files = []
    for folder, subfolders, names in os.walk(media_root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(STAGING_PREFIX))
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                files.append(path)
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_gzip_stream(archive: Path) -> None:
    """Read the archive through once: gzip's checksum and length catch truncated or altered bytes."""
    try:
        with gzip.open(archive, "rb") as stream:
            while stream.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"备份文件 {archive} 已损坏或不是本系统的备份（{exc}）。") from None


def _unpack(archive: Path, staging: Path) -> Manifest:
    database_files = set(DATABASE_FILES.values())
    # Python 3.11.4+ refuses links, devices and paths outside the folder by itself; the checks below do the
    # same on older interpreters.
    extract_options = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    manifest = None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for index, member in enumerate(tar):
                parts = PurePosixPath(member.name).parts
                if index == 0:
                    if member.name != MANIFEST or not member.isfile():
                        raise BackupError(f"{archive} 不是本系统的备份：缺少 {MANIFEST}。")
                    manifest = _read_manifest(tar.extractfile(member).read(), archive)
                    continue
                safe = (
                    parts
                    and ".." not in parts
                    and not PurePosixPath(member.name).is_absolute()
                    and (member.isfile() or member.isdir())
                    and (parts[0] == MEDIA or (member.name in database_files and member.isfile()))
                )
                if not safe:
                    raise BackupError(f"备份文件 {archive} 中有不允许的条目 {member.name}，拒绝恢复。")
                tar.extract(member, staging, set_attrs=False, **extract_options)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"备份文件 {archive} 已损坏或不是本系统的备份（{exc}）。") from None
    if manifest is None:
        raise BackupError(f"{archive} 不是本系统的备份：缺少 {MANIFEST}。")
    return manifest


def _read_manifest(raw: bytes, archive: Path) -> Manifest:
    try:
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") != FORMAT:
            raise BackupError(f"{archive} 不是本系统的备份。")
        if data.get("version") != FORMAT_VERSION:
            raise BackupError(f"备份格式版本 {data.get('version')} 不受支持（本程序读取版本 {FORMAT_VERSION}）。")
        manifest = Manifest(
            created=str(data["created"]),
            engine=str(data["engine"]),
            database_name=str(data["database_name"]),
            database_sha256=str(data["database_sha256"]),
            media_files=int(data["media_files"]),
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{archive} 的清单 {MANIFEST} 无法读取（{exc}）。") from None
    if manifest.engine not in DATABASE_FILES:
        raise BackupError(f"{archive} 的清单写的数据库类型 {manifest.engine} 不受支持。")
    return manifest


def _replace_media(new_media: Path) -> None:
    """Swap MEDIA_ROOT's contents for the backup's, moving entries rather than the folder (it may be a volume)."""
    media_root = Path(settings.MEDIA_ROOT)
    staging = new_media.parent
    previous = staging / "previous"
    previous.mkdir()
    for entry in list(media_root.iterdir()):
        if entry != staging and not entry.name.startswith(STAGING_PREFIX):
            entry.rename(previous / entry.name)
    for entry in list(new_media.iterdir()):
        entry.rename(media_root / entry.name)
