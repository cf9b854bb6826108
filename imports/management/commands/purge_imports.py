"""python manage.py purge_imports [--dry-run]

Applies the retention periods of uploaded import files (imports/retention.py): the files of refused uploads and of
previews never committed are deleted once past IMPORT_REFUSED_RETENTION_DAYS / IMPORT_PREVIEW_RETENTION_DAYS, with
files no record names; committed imports keep theirs. Celery beat runs the same every night (imports.tasks).
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from imports.retention import purge


class Command(BaseCommand):
    help = "按保留期限删除无法导入的上传文件和超期未导入的预览文件（已导入的文件永久保留）。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将删除的内容，不删除也不修改任何记录")

    def handle(self, *args, dry_run, **options):
        self.stdout.write(
            f"保留期限：无法导入的文件 {settings.IMPORT_REFUSED_RETENTION_DAYS} 天，"
            f"未确认导入的预览 {settings.IMPORT_PREVIEW_RETENTION_DAYS} 天，已导入的文件永久保留。"
        )
        self.stdout.write(purge(dry_run=dry_run).describe())
