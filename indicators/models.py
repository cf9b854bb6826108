"""The indicator library (指标库) and the three-level indicators of a project (SPEC §4.4)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from budgets.models import AMOUNT, POINTS, Project
from domain import signs
from history.records import AuditedManager, AuditRecords


class Sign(models.TextChoices):
    """指标性质: the comparison a 定量 indicator's actual is held to, or 定性."""

    GE = signs.SIGN_GE, "≥（正向）"
    GT = signs.SIGN_GT, ">（正向）"
    EQ = signs.SIGN_EQ, "="
    LE = signs.SIGN_LE, "≤（反向）"
    LT = signs.SIGN_LT, "<（反向）"
    QUALITATIVE = signs.SIGN_QUALITATIVE, "定性"


class QualitativeLabel(models.TextChoices):
    ACHIEVED = signs.LABEL_ACHIEVED, signs.LABEL_ACHIEVED
    PARTIAL = signs.LABEL_PARTIAL, signs.LABEL_PARTIAL
    NOT_ACHIEVED = signs.LABEL_NOT_ACHIEVED, signs.LABEL_NOT_ACHIEVED


def _with_sign_and_unit(text, sign, unit, number):
    """Add what a bare number lacks: "95" with sign ≥ and unit % reads "≥95%"; any other text stays as typed."""
    if number is None or not text or not text.replace(".", "", 1).replace(",", "").isdigit():
        return text
    prefix = sign if sign and sign != signs.SIGN_QUALITATIVE else ""
    return f"{prefix}{text}{unit}"


class LibraryIndicator(models.Model):
    """A reusable 三级 indicator units pick from instead of typing (指标库)."""

    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("finance_bureau",)
    shared_when_unowned = True

    level1 = models.CharField("一级指标", max_length=50)
    level2 = models.CharField("二级指标", max_length=50)
    name = models.CharField("三级指标", max_length=200)
    sign = models.CharField("指标性质", max_length=4, choices=Sign.choices, blank=True)
    unit = models.CharField("度量单位", max_length=30, blank=True)
    suggested_target = models.CharField("参考指标值", max_length=200, blank=True)
    description = models.TextField("指标解释", blank=True)
    is_active = models.BooleanField("启用", default=True)
    # SPEC §12: an entry belongs to one bureau's library, or (null) to the shared one every bureau only reads.
    finance_bureau = models.ForeignKey(
        Organisation,
        verbose_name="所属财政局",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="library_indicators",
        limit_choices_to={"kind": Organisation.Kind.FINANCE_BUREAU},
        help_text="留空为各财政局共用的指标（各局管理员只能查看）；填写后只有该财政局的管理员可以修改。",
    )

    class Meta:
        verbose_name = "指标库指标"
        verbose_name_plural = "指标库"
        ordering = ["level1", "level2", "name"]
        # Unique within the shared library and within each bureau's own: one bureau's entry never blocks another's.
        constraints = [
            models.UniqueConstraint(
                fields=["level1", "level2", "name"],
                condition=Q(finance_bureau__isnull=True),
                name="libraryindicator_unique",
            ),
            models.UniqueConstraint(
                fields=["finance_bureau", "level1", "level2", "name"],
                condition=Q(finance_bureau__isnull=False),
                name="libraryindicator_unique_per_bureau",
            ),
        ]

    def __str__(self):
        return self.name


class Indicator(models.Model):
    """One 三级 indicator row of a project's 年度绩效指标 grid."""

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("project__fiscal_year",)
    bureau_paths = ("project__fiscal_year__finance_bureau",)

    # What a row says (its place and project aside): what a copy or an import carries and compares.
    VALUE_FIELDS = (
        "level1",
        "level2",
        "name",
        "sign",
        "target_text",
        "target_value",
        "unit",
        "actual_text",
        "actual_value",
        "actual_label",
        "weight",
        "claimed_score",
        "deviation_reason",
    )

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField("顺序", default=0)
    level1 = models.CharField("一级指标", max_length=50)
    level2 = models.CharField("二级指标", max_length=50)
    name = models.CharField("三级指标", max_length=200, blank=True)
    library_indicator = models.ForeignKey(
        LibraryIndicator, verbose_name="来自指标库", null=True, blank=True, on_delete=models.SET_NULL
    )
    sign = models.CharField("指标性质", max_length=4, choices=Sign.choices, blank=True)
    # The target as written (e.g. "≤核定单位数量", "≥95%") and, for 定量, its number.
    target_text = models.CharField("年度指标值", max_length=200, blank=True)
    target_value = models.DecimalField("年度指标值（数值）", **AMOUNT, null=True, blank=True)
    unit = models.CharField("度量单位", max_length=30, blank=True)
    actual_text = models.TextField("实际完成值", blank=True)
    actual_value = models.DecimalField("实际完成值（数值）", **AMOUNT, null=True, blank=True)
    actual_label = models.CharField("定性完成情况", max_length=30, choices=QualitativeLabel.choices, blank=True)
    weight = models.DecimalField("分值", **POINTS, null=True, blank=True)
    # The score the unit claims; the computed suggestion comes from domain.scoring.
    claimed_score = models.DecimalField("得分", **POINTS, null=True, blank=True)
    deviation_reason = models.TextField("偏差原因分析及改进措施", blank=True)

    objects = AuditedManager()
    history = AuditRecords()

    class Meta:
        verbose_name = "绩效指标"
        verbose_name_plural = "绩效指标"
        # By the project's id, not "project": that would join projects, years and organisations on every bulk
        # load of indicators (19.6 ms against 0.9 ms for 100 projects' indicators).
        ordering = ["project_id", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | Q(weight__gte=0), name="indicator_weight_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(claimed_score__isnull=True) | Q(claimed_score__gte=0), name="indicator_score_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(actual_label="") | Q(sign=signs.SIGN_QUALITATIVE),
                name="indicator_label_only_for_qualitative",
            ),
        ]

    def __str__(self):
        return self.name or f"{self.level1}/{self.level2}（空）"

    def clean(self):
        errors = {}
        if self.weight is not None and self.weight < 0:
            errors["weight"] = "分值不能为负数。"
        if self.claimed_score is not None and self.claimed_score < 0:
            errors["claimed_score"] = "得分不能为负数。"
        if self.actual_label and self.sign != signs.SIGN_QUALITATIVE:
            errors["actual_label"] = "只有定性指标才选择完成情况。"
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        """Skip Django's one-query-per-constraint check: clean() tests the same conditions in Python.

        Indicator has only CheckConstraints; the database still enforces them as the backstop. Without
        this a 30-row grid would cost some 90 extra queries to validate.
        """
        return

    @property
    def is_qualitative(self):
        return self.sign == Sign.QUALITATIVE

    @property
    def target_display(self):
        """年度指标值 as the national table prints it: sign, number and unit in one cell ("≥95%")."""
        return _with_sign_and_unit(self.target_text, self.sign, self.unit, self.target_value)

    @property
    def actual_as_written(self):
        """实际完成值 as the Sichuan form prints it: the text as typed, else the 定性 label (a label-only row)."""
        return self.actual_text if self.actual_text.strip() else self.get_actual_label_display()

    @property
    def actual_display(self):
        """实际完成值 in the national table's one cell: ``actual_as_written``, a bare number with its unit ("95%")."""
        return _with_sign_and_unit(self.actual_as_written, "", self.unit, self.actual_value)

    @property
    def is_blank(self):
        """A spacer row as published (e.g. 生态效益指标 left empty in seed 001)."""
        return not self.name and self.weight is None and self.claimed_score is None
