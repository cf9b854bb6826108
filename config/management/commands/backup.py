"""manage.py backup: the database and the media files into one timestamped archive (see config/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.backup import ENGINE_LABELS, BackupError, backup_create, default_backup_dir


class Command(BaseCommand):
    help = "备份数据库（PostgreSQL 或 SQLite）和媒体文件到一个带时间戳的归档（默认在 backups/，可用 BACKUP_DIR 改）。"

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", type=Path, help="备份目录（默认为环境变量 BACKUP_DIR 或 backups/）")

    def handle(self, *args, output_dir, **options):
        try:
            archive, manifest = backup_create(output_dir=output_dir or default_backup_dir())
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        size_mb = archive.stat().st_size / (1024 * 1024)
        self.stdout.write(
            f"已备份到 {archive}（{ENGINE_LABELS[manifest.engine]} 数据库 {manifest.database_name}，"
            f"媒体文件 {manifest.media_files} 个，{size_mb:.1f} MB）"
        )
