"""The record of every import: the uploaded file kept for audit, what the dry run showed and what was committed."""

from django.conf import settings
from django.db import models
from django.utils import timezone


def upload_path(record, filename):
    """Named by content hash, never by the uploaded name (which may hold anything)."""
    return f"imports/{timezone.now():%Y/%m}/{record.sha256[:16]}.xlsx"


class ImportRecord(models.Model):
    class Status(models.TextChoices):
        CHECKING = "checking", "正在检查"  # a large file's dry run, in the background
        PREVIEWED = "previewed", "已预览"
        COMMITTING = "committing", "正在导入"  # claimed by one commit: a second is told who and when
        COMMITTED = "committed", "已导入"
        REFUSED = "refused", "无法导入"

    # Work in progress in the background (imports.jobs); a record left here by a lost worker is marked stale.
    IN_PROGRESS = (Status.CHECKING, Status.COMMITTING)

    class Kind(models.TextChoices):
        FLAT = "flat", "标准模板"
        STANDARD = "standard", "项目支出绩效自评表"
        SUMMARY = "summary", "自评结果汇总表"
        DEPARTMENT = "department", "部门整体支出绩效自评表"
        UNKNOWN = "", "未识别"

    created_at = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="imports"
    )
    finance_bureau = models.ForeignKey(
        "accounts.Organisation", verbose_name="财政局", null=True, on_delete=models.PROTECT, related_name="imports"
    )
    original_name = models.CharField("文件名", max_length=255)
    file = models.FileField("文件", upload_to=upload_path, max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("字节数")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, blank=True)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    year_override = models.PositiveSmallIntegerField("指定年度", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    preview = models.JSONField("预览结果", default=dict, blank=True)
    result = models.JSONField("导入结果", default=dict, blank=True)
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="committed_imports",
    )
    cells = models.PositiveIntegerField("单元格数", default=0)
    started_at = models.DateTimeField("后台开始时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS
