"""manage.py restore ARCHIVE: put a backup's database and media files back (see config/backup.py)."""

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from config.backup import ENGINE_LABELS, BackupError, backup_open, backup_restore


class Command(BaseCommand):
    help = "用备份归档替换当前数据库和媒体目录的全部内容（先检查归档，再请求确认）。"

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="manage.py backup 生成的 .tar.gz 文件")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive", help="不请求确认")

    def handle(self, *args, archive, interactive, **options):
        try:
            with backup_open(archive=archive) as backup:
                manifest = backup.manifest
                created = datetime.fromisoformat(manifest.created)
                database = connections["default"].settings_dict["NAME"]
                if interactive and not self._confirmed(
                    f"将用备份 {archive}（创建于 {created:%Y-%m-%d %H:%M:%S}，媒体文件 {manifest.media_files} 个）"
                    f"替换 {ENGINE_LABELS[manifest.engine]} 数据库 {database} 和媒体目录 {settings.MEDIA_ROOT} 的"
                    "全部内容，当前的数据和文件将丢失。\n输入 yes 继续："
                ):
                    raise CommandError("已取消，没有改动任何数据。")
                backup_restore(backup=backup)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已从 {archive} 恢复数据库和 {manifest.media_files} 个媒体文件。")

    def _confirmed(self, question: str) -> bool:
        try:
            return input(question).strip().lower() == "yes"
        except EOFError:
            # No terminal to answer from (a script, CI): only --noinput may skip the question.
            raise CommandError("无法确认（没有可输入的终端），没有改动任何数据；确定要恢复请加 --noinput。") from None
