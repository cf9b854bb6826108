"""Self-evaluations with their workflow (SPEC §3), department-wide evaluations (§7) and the finance review (§8)."""

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import NullIf
from django.utils import timezone

from accounts.models import Organisation
from budgets.models import AMOUNT, POINTS, RATIO, DepartmentIndicator, FiscalYear, Project, RuleProfile
from domain import grades
from history.records import AuditedManager, AuditRecords
from indicators.models import Indicator


def reported_grade_sql(*, fields: str = "", profile: str) -> Case:
    """``grades.reported_grade`` as a query expression: ``fields`` leads to the evaluation's columns (e.g.
    "evaluation__" from a project), ``profile`` to its rule profile (e.g. "fiscal_year__profile__"). None where
    there is no grade at all."""
    stated_total = f"{fields}claimed_total"
    return Case(
        When(~Q(**{f"{fields}claimed_grade": ""}), then=F(f"{fields}claimed_grade")),
        When(**{f"{stated_total}__gte": F(f"{profile}grade_excellent_min")}, then=Value(grades.GRADE_EXCELLENT)),
        When(**{f"{stated_total}__gte": F(f"{profile}grade_good_min")}, then=Value(grades.GRADE_GOOD)),
        When(**{f"{stated_total}__gte": F(f"{profile}grade_fair_min")}, then=Value(grades.GRADE_FAIR)),
        When(**{f"{stated_total}__isnull": False}, then=Value(grades.GRADE_POOR)),
        default=NullIf(F(f"{fields}computed_grade"), Value("")),
        output_field=models.CharField(),
    )


def _reported_grade(record, profile) -> str:
    """``grades.reported_grade`` of an evaluation; ``profile()`` (a query) is read only when it decides."""
    if record.claimed_grade or record.claimed_total is None:
        return record.claimed_grade or record.computed_grade
    return grades.reported_grade(
        claimed_grade=record.claimed_grade,
        claimed_total=record.claimed_total,
        computed_grade=record.computed_grade,
        thresholds=profile().grade_thresholds,
    )


class Grade(models.TextChoices):
    EXCELLENT = "优", "优"
    GOOD = "良", "良"
    FAIR = "中", "中"
    POOR = "差", "差"


class ProjectEvaluation(models.Model):
    """The self-evaluation of one project: its workflow state and its totals, claimed and computed side by side."""

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("project__fiscal_year",)
    bureau_paths = ("project__fiscal_year__finance_bureau",)

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        RETURNED = "returned", "已退回"
        APPROVED = "approved", "部门已审核"
        SPOT_CHECKED = "spot_checked", "财政已抽查"
        PUBLISHED = "published", "已公开"
        # Set when the year is finalised (SPEC §13): a draft or returned record never (re)submitted, and a
        # submission the department never approved. Both are locked with the year.
        UNSUBMITTED = "unsubmitted", "未提交"
        INCOMPLETE = "incomplete", "未完成"

    # States in which the unit may edit the project.
    EDITABLE = (Status.DRAFT, Status.RETURNED)
    # States the department has signed off.
    APPROVED_OR_LATER = (Status.APPROVED, Status.SPOT_CHECKED, Status.PUBLISHED)
    # States of a record that reached 已提交: the official outputs list only these (SPEC §13).
    REACHED_SUBMISSION = (Status.SUBMITTED, Status.APPROVED, Status.SPOT_CHECKED, Status.PUBLISHED, Status.INCOMPLETE)

    project = models.OneToOneField(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="evaluation")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    return_reason = models.TextField("退回原因", blank=True)
    # The profile whose rules produced the computed score and grade.
    profile = models.ForeignKey(RuleProfile, verbose_name="计分规则方案", null=True, on_delete=models.PROTECT)
    computed_budget_score = models.DecimalField("预算执行得分（计算）", **POINTS, null=True, blank=True)
    computed_indicator_score = models.DecimalField("指标得分（计算）", **POINTS, null=True, blank=True)
    computed_total = models.DecimalField("总分（计算）", **POINTS, null=True, blank=True)
    computed_grade = models.CharField("等级（计算）", max_length=2, choices=Grade.choices, blank=True)
    # What the unit states (typed, imported or published); may disagree with the computation.
    claimed_budget_score = models.DecimalField("预算执行得分（填报）", **POINTS, null=True, blank=True)
    claimed_total = models.DecimalField("总分（填报）", **POINTS, null=True, blank=True)
    claimed_grade = models.CharField("自评等级（填报）", max_length=2, choices=Grade.choices, blank=True)
    stated_execution_rate = models.DecimalField("执行率（填报）", **RATIO, null=True, blank=True)
    # The 年度资金总额 row as published, kept where it contradicts the fund rows below it (a quality hint says so;
    # the scoring uses the fund rows' sums). Empty for a record filled in here: its total is the sum.
    stated_initial_wan = models.DecimalField("年度资金总额·年初预算数（填报）", **AMOUNT, null=True, blank=True)
    stated_adjusted_wan = models.DecimalField("年度资金总额·全年预算数（填报）", **AMOUNT, null=True, blank=True)
    stated_executed_wan = models.DecimalField("年度资金总额·全年执行数（填报）", **AMOUNT, null=True, blank=True)
    # Drafted narrative report (seed 002): keys work, analysis, deviation, application.
    report_sections = models.JSONField("自评报告", default=dict, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = AuditedManager()
    history = AuditRecords(
        untracked=[
            "profile",
            "computed_budget_score",
            "computed_indicator_score",
            "computed_total",
            "computed_grade",
            "updated_at",
        ]
    )

    class Meta:
        verbose_name = "项目绩效自评"
        verbose_name_plural = "项目绩效自评"
        ordering = ["project__fiscal_year", "project__sort_order", "project__name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""), name="evaluation_returned_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(computed_total__isnull=True) | Q(computed_total__gte=0),
                name="evaluation_total_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.project}（{self.get_status_display()}）"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def self_grade(self):
        """The grade the unit reports (``grades.reported_grade``): stated, else its stated total's, else computed."""
        return _reported_grade(self, lambda: self.project.fiscal_year.profile)

    @property
    def self_total(self):
        return self.claimed_total if self.claimed_total is not None else self.computed_total


class EvaluationTransition(models.Model):
    """Audit record of one workflow transition: who, when, from, to, comment.

    It belongs to exactly one record: a project's self-evaluation or a department-wide one. Both workflows share
    the status codes of ProjectEvaluation.Status.
    """

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("evaluation__project__fiscal_year", "department_evaluation__fiscal_year")
    bureau_paths = (
        "evaluation__project__fiscal_year__finance_bureau",
        "department_evaluation__fiscal_year__finance_bureau",
    )

    evaluation = models.ForeignKey(
        ProjectEvaluation, null=True, blank=True, on_delete=models.CASCADE, related_name="transitions"
    )
    department_evaluation = models.ForeignKey(
        "DepartmentEvaluation",
        verbose_name="部门整体自评",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="transitions",
    )
    from_status = models.CharField("原状态", max_length=20, choices=ProjectEvaluation.Status.choices)
    to_status = models.CharField("新状态", max_length=20, choices=ProjectEvaluation.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "流转记录"
        verbose_name_plural = "流转记录"
        ordering = ["evaluation", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(evaluation__isnull=False, department_evaluation__isnull=True)
                | Q(evaluation__isnull=True, department_evaluation__isnull=False),
                name="evaluationtransition_records_exactly_one_thing",
            ),
        ]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class DepartmentEvaluation(models.Model):
    """部门整体支出绩效自评 of one department and year (SPEC §7)."""

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("fiscal_year",)
    bureau_paths = ("fiscal_year__finance_bureau",)

    # The codes are those of ProjectEvaluation.Status, so both workflows share EvaluationTransition.
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        RETURNED = "returned", "已退回"
        APPROVED = "approved", "已审核"
        PUBLISHED = "published", "已公开"
        UNSUBMITTED = "unsubmitted", "未提交"
        INCOMPLETE = "incomplete", "未完成"

    # States in which the department may edit its self-evaluation.
    EDITABLE = (Status.DRAFT, Status.RETURNED)
    # States in which the finance bureau may review it: only once submitted (SPEC §13).
    REVIEWABLE = (Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED)
    # States of a record that reached 已提交: the official outputs list only these.
    REACHED_SUBMISSION = (Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED, Status.INCOMPLETE)

    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="department_evaluations"
    )
    department = models.ForeignKey(
        Organisation,
        verbose_name="主管部门",
        on_delete=models.PROTECT,
        related_name="department_evaluations",
        limit_choices_to={"kind": Organisation.Kind.DEPARTMENT},
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    return_reason = models.TextField("退回原因", blank=True)
    # Counts every write through the services; a form carries the version it was read at, and a save from an
    # older version is refused, so two people editing at once cannot silently overwrite each other.
    version = models.PositiveIntegerField("版本", default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="最后修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    initial_wan = models.DecimalField("年初预算数（万元）", **AMOUNT, null=True, blank=True)
    adjusted_wan = models.DecimalField("全年预算数（万元）", **AMOUNT, null=True, blank=True)
    executed_wan = models.DecimalField("全年执行数（万元）", **AMOUNT, null=True, blank=True)
    basic_expenditure_wan = models.DecimalField("其中：基本支出（万元）", **AMOUNT, null=True, blank=True)
    project_expenditure_wan = models.DecimalField("其中：项目支出（万元）", **AMOUNT, null=True, blank=True)
    goal = models.TextField("年度总体目标", blank=True)
    performance_narrative = models.TextField("履职效能", blank=True)
    management_narrative = models.TextField("管理效率", blank=True)
    conclusion = models.TextField("评价结论", blank=True)
    problems = models.TextField("存在问题", blank=True)
    improvements = models.TextField("改进措施", blank=True)
    # Inputs of the computable items of the profile's department indicator system.
    adjustment_amount_wan = models.DecimalField("全年预算调剂金额（万元）", **AMOUNT, null=True, blank=True)
    expenditure_deviation = models.DecimalField("公用经费预决算偏差率", **RATIO, null=True, blank=True)
    monitoring_cancelled_wan = models.DecimalField("绩效监控调整取消额（万元）", **AMOUNT, null=True, blank=True)
    written_off_wan = models.DecimalField("预算结余注销额（万元）", **AMOUNT, null=True, blank=True)
    progress_june = models.DecimalField("6月执行进度", **RATIO, null=True, blank=True)
    progress_september = models.DecimalField("9月执行进度", **RATIO, null=True, blank=True)
    progress_november = models.DecimalField("11月执行进度", **RATIO, null=True, blank=True)
    progress_december = models.DecimalField("12月执行进度", **RATIO, null=True, blank=True)
    violation_count = models.PositiveSmallIntegerField("审计、财政检查问题数", null=True, blank=True)
    claimed_total = models.DecimalField("自评总分（填报）", **POINTS, null=True, blank=True)
    claimed_grade = models.CharField("自评等级（填报）", max_length=2, choices=Grade.choices, blank=True)
    computed_total = models.DecimalField("自评总分（计算）", **POINTS, null=True, blank=True)
    computed_grade = models.CharField("自评等级（计算）", max_length=2, choices=Grade.choices, blank=True)
    sort_order = models.PositiveIntegerField("序号", null=True, blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = AuditedManager()
    history = AuditRecords(untracked=["version", "computed_total", "computed_grade", "updated_at"])

    class Meta:
        verbose_name = "部门整体支出绩效自评"
        verbose_name_plural = "部门整体支出绩效自评"
        ordering = ["fiscal_year", "department__name"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "department"], name="departmentevaluation_unique"),
            models.CheckConstraint(
                condition=(Q(initial_wan__isnull=True) | Q(initial_wan__gte=0))
                & (Q(adjusted_wan__isnull=True) | Q(adjusted_wan__gte=0))
                & (Q(executed_wan__isnull=True) | Q(executed_wan__gte=0)),
                name="departmentevaluation_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="departmentevaluation_returned_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.department} {self.fiscal_year.year}年度部门整体支出绩效自评"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def self_grade(self):
        """The grade the department reports (``grades.reported_grade``)."""
        return _reported_grade(self, lambda: self.fiscal_year.profile)


class DepartmentScoreItem(models.Model):
    """One line of the department-wide score sheet: the computed score beside the one claimed.

    A line names an indicator of the year's profile, or — imported from a table with an indicator system of its
    own (another locality's, an older year's) — none: it is then the table's own item, with the labels and points
    the table states. A table with own items prints as stated: its lines (own or the profile's) carry the labels
    and points the table gave them and their place in it (``order``); the profile's other lines are not printed.
    """

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("evaluation__fiscal_year",)
    bureau_paths = ("evaluation__fiscal_year__finance_bureau",)

    evaluation = models.ForeignKey(DepartmentEvaluation, on_delete=models.CASCADE, related_name="score_items")
    indicator = models.ForeignKey(
        DepartmentIndicator,
        verbose_name="指标",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="为空时是导入的表自有的指标（表的指标体系与本年度方案不同）。",
    )
    claimed_score = models.DecimalField("自评得分", **POINTS, null=True, blank=True)
    computed_score = models.DecimalField("计算得分", **POINTS, null=True, blank=True)
    note = models.TextField("扣分说明", blank=True)
    # The line as an imported table with its own indicator system states it (blank for the profile's system).
    level1 = models.CharField("一级指标（表中）", max_length=100, blank=True)
    level1_points = models.DecimalField("一级分值（表中）", **POINTS, null=True, blank=True)
    level2 = models.CharField("二级指标（表中）", max_length=100, blank=True)
    level2_points = models.DecimalField("二级分值（表中）", **POINTS, null=True, blank=True)
    name = models.CharField("指标名称（表中）", max_length=200, blank=True)
    points = models.DecimalField("分值（表中）", **POINTS, null=True, blank=True)
    order = models.PositiveSmallIntegerField("表中顺序", null=True, blank=True)

    objects = AuditedManager()
    history = AuditRecords(untracked=["computed_score"])

    class Meta:
        verbose_name = "部门整体评分项"
        verbose_name_plural = "部门整体评分项"
        ordering = ["evaluation", "indicator__order"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "indicator"], name="departmentscoreitem_unique"),
            models.UniqueConstraint(
                fields=["evaluation", "level1", "level2", "name"],
                condition=Q(indicator__isnull=True),
                name="departmentscoreitem_own_unique",
            ),
            models.CheckConstraint(
                condition=Q(claimed_score__isnull=True) | Q(claimed_score__gte=0),
                name="departmentscoreitem_non_negative",
            ),
            models.CheckConstraint(
                condition=(Q(points__isnull=True) | Q(points__gte=0))
                & (Q(level1_points__isnull=True) | Q(level1_points__gte=0))
                & (Q(level2_points__isnull=True) | Q(level2_points__gte=0)),
                name="departmentscoreitem_points_non_negative",
            ),
            # An own item (no indicator of the profile) is known by its name.
            models.CheckConstraint(
                condition=Q(indicator__isnull=False) | ~Q(name=""),
                name="departmentscoreitem_own_item_named",
            ),
        ]

    def __str__(self):
        if self.indicator_id is None:
            return " / ".join(part for part in (self.level1, self.level2, self.name) if part)
        return str(self.indicator)


class SpotCheckSample(models.Model):
    """The finance bureau's draw of evaluations to spot-check for a year (SPEC §8), reproducible from its seed."""

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("fiscal_year",)
    bureau_paths = ("fiscal_year__finance_bureau",)

    fiscal_year = models.OneToOneField(FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="sample")
    ratio = models.DecimalField("抽查比例", **RATIO)
    rules = models.JSONField("必选规则", default=list, blank=True)
    random_seed = models.BigIntegerField("随机种子")
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="抽取人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)
    note = models.TextField("说明", blank=True)

    objects = AuditedManager()
    history = AuditRecords()

    class Meta:
        verbose_name = "抽查样本"
        verbose_name_plural = "抽查样本"
        constraints = [
            models.CheckConstraint(condition=Q(ratio__gte=0) & Q(ratio__lte=1), name="spotchecksample_ratio_is_a_rate")
        ]

    def __str__(self):
        return f"{self.fiscal_year} 抽查样本"


class FinanceReview(models.Model):
    """财政抽查审核 of one sampled project or department-wide evaluation: grade, optional score, opinion."""

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("evaluation__project__fiscal_year", "department_evaluation__fiscal_year")
    bureau_paths = (
        "evaluation__project__fiscal_year__finance_bureau",
        "department_evaluation__fiscal_year__finance_bureau",
    )

    class Status(models.TextChoices):
        DRAFT = "draft", "审核中"
        COMPLETED = "completed", "已完成"
        # A review still open when the year was finalised (SPEC §13); locked with the year.
        INCOMPLETE = "incomplete", "未完成"

    class Selection(models.TextChoices):
        RANDOM = "random", "随机抽取"
        FORCED = "forced", "规则必选"
        MANUAL = "manual", "人工添加"
        IMPORTED = "imported", "导入"

    sample = models.ForeignKey(
        SpotCheckSample,
        verbose_name="抽查样本",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    evaluation = models.OneToOneField(
        ProjectEvaluation,
        verbose_name="项目自评",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="review",
    )
    department_evaluation = models.OneToOneField(
        DepartmentEvaluation,
        verbose_name="部门整体自评",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="review",
    )
    selection = models.CharField("入选方式", max_length=20, choices=Selection.choices, default=Selection.RANDOM)
    selection_reason = models.TextField("入选说明", blank=True)
    # A record taken out of the sample by hand stays listed, with who, when and why.
    excluded = models.BooleanField("已移出样本", default=False)
    excluded_reason = models.TextField("移出原因", blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    grade = models.CharField("财政抽查审核结果", max_length=2, choices=Grade.choices, blank=True)
    reviewer_total = models.DecimalField("核查总分", **POINTS, null=True, blank=True)
    # Sanitised HTML (paragraphs, lists, bold only).
    opinion_html = models.TextField("财政抽查审核意见", blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    # Optimistic lock: every save, completion and reopening raises it; a save from a stale page is refused.
    version = models.PositiveIntegerField("版本", default=0, editable=False)

    objects = AuditedManager()
    history = AuditRecords(untracked=["updated_at", "version"])

    class Meta:
        verbose_name = "财政抽查审核"
        verbose_name_plural = "财政抽查审核"
        constraints = [
            models.CheckConstraint(
                condition=Q(evaluation__isnull=False, department_evaluation__isnull=True)
                | Q(evaluation__isnull=True, department_evaluation__isnull=False),
                name="financereview_reviews_exactly_one_thing",
            ),
            models.CheckConstraint(
                condition=Q(reviewer_total__isnull=True) | Q(reviewer_total__gte=0),
                name="financereview_total_non_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | ~Q(grade=""), name="financereview_completed_has_grade"
            ),
        ]

    def __str__(self):
        return f"财政抽查：{self.evaluation or self.department_evaluation}"

    @property
    def target_reached_submission(self) -> bool:
        """Whether the reviewed record may be reviewed: a project once approved, a department-wide
        evaluation once submitted (SPEC §13)."""
        if self.evaluation_id:
            return self.evaluation.status in ProjectEvaluation.APPROVED_OR_LATER
        return self.department_evaluation.status in DepartmentEvaluation.REVIEWABLE


class ReviewIndicatorScore(models.Model):
    """核查分数 of one indicator in a finance review (≤ the indicator's weight)."""

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("review__evaluation__project__fiscal_year", "review__department_evaluation__fiscal_year")
    bureau_paths = (
        "review__evaluation__project__fiscal_year__finance_bureau",
        "review__department_evaluation__fiscal_year__finance_bureau",
    )

    review = models.ForeignKey(FinanceReview, on_delete=models.CASCADE, related_name="indicator_scores")
    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="review_scores"
    )
    checked_score = models.DecimalField("核查分数", **POINTS)
    remark = models.TextField("扣分说明", blank=True)

    objects = AuditedManager()
    history = AuditRecords()

    class Meta:
        verbose_name = "核查分数"
        verbose_name_plural = "核查分数"
        constraints = [
            models.UniqueConstraint(fields=["review", "indicator"], name="reviewindicatorscore_unique"),
            models.CheckConstraint(condition=Q(checked_score__gte=0), name="reviewindicatorscore_non_negative"),
        ]

    def __str__(self):
        return f"{self.indicator}：{self.checked_score}"


class ReportExport(models.Model):
    """A large output built in the background (Celery): its file appears only once it is complete."""

    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("fiscal_year__finance_bureau",)

    class Kind(models.TextChoices):
        SUMMARY = "summary", "市级财政支出绩效自评结果汇总表"
        PROJECT_TABLES = "project_tables", "全部自评表（压缩包）"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("内容", max_length=30, choices=Kind.choices)
    format = models.CharField("格式", max_length=10, choices=Format.choices)
    fiscal_year = models.ForeignKey(FiscalYear, verbose_name="年度", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(
        Organisation, verbose_name="主管部门", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    # Runs started: a task whose worker dies is delivered again, and one that kills its worker every time
    # (memory) must not come back for ever.
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    file = models.FileField("文件", upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField("文件名", max_length=255, blank=True)
    error = models.TextField("失败原因", blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # The last sign of life: set when queued and at every start and progress report. A queued or running export
    # whose heartbeat is older than settings.EXPORT_STALE_AFTER is shown failed and may be retried
    # (evaluations/reports/exports.py, mark_stale). Rows from before the field count from the migration.
    heartbeat_at = models.DateTimeField("最近进展", default=timezone.now, editable=False)
    # When the current run started; it also names the run: only the run that set it may move the bar or attach
    # the file, so a run given up as stale (or replaced by a retry) cannot write over what followed.
    started_at = models.DateTimeField("开始时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "后台导出"
        verbose_name_plural = "后台导出"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="reportexport_progress_is_a_percentage"),
            models.CheckConstraint(condition=~Q(status="done") | ~Q(file=""), name="reportexport_done_has_file"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.fiscal_year.year}年度，{self.get_format_display()}）"
