"""Fiscal years, their rule profiles (SPEC §6), projects and their budget lines (SPEC §4.1–4.3, 4.5)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from domain.scoring import ReverseRule as ReverseRuleValue
from history.records import AuditedManager, AuditedQuerySet, AuditRecords

# 万元 with 6 decimal places: exact to the 分 (0.0001 万元 = 1 元; 6 places leave room for 分 and below).
AMOUNT = {"max_digits": 20, "decimal_places": 6}
# Points and weights: two decimals (scores are rounded half-up to 2 places, SPEC §5).
POINTS = {"max_digits": 7, "decimal_places": 2}
# Ratios stored as fractions (0.9 = 90%).
RATIO = {"max_digits": 9, "decimal_places": 6}


class RuleProfile(models.Model):
    """The scoring and layout rules a fiscal year is evaluated under (SPEC §6)."""

    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("finance_bureau",)
    shared_when_unowned = True

    class Layout(models.TextChoices):
        NATIONAL = "national", "全国通用格式（项目支出绩效自评表）"
        SICHUAN = "sichuan", "四川格式（部门预算项目支出绩效自评表）"

    class ReverseRule(models.TextChoices):
        """How a 反向 indicator above its target is scored (SPEC §5.2; the values are domain.scoring's)."""

        LINEAR = ReverseRuleValue.LINEAR.value, "超出目标线性扣减（至 2 倍目标为 0）"
        RATIO = ReverseRuleValue.RATIO.value, "目标值 ÷ 实际值 × 分值（财预〔2020〕10号）"

    code = models.SlugField("代码", max_length=50, unique=True)
    name = models.CharField("名称", max_length=100)
    description = models.TextField("说明", blank=True)
    layout = models.CharField("表样", max_length=20, choices=Layout.choices, default=Layout.NATIONAL)
    # No seed document scores a 反向 indicator above its target (seeds 001 and 004 show every ≤ row at or under
    # it, full marks), so the default follows the texts: the national layout the national text's ratio, the
    # Sichuan layout the provincial systems' linear rule (migration 0008 sets existing profiles by layout).
    reverse_rule = models.CharField(
        "反向指标计分规则",
        max_length=10,
        choices=ReverseRule.choices,
        default=ReverseRule.RATIO,
        help_text=(
            "反向指标（≤、<）实际完成值高于指标值时的得分：按财预〔2020〕10号为 指标值 ÷ 实际完成值 × 分值"
            "（全国通用表样的默认）；四川等省级系统按超出部分线性扣减，达到 2 倍指标值为 0 分（四川表样的默认）。"
        ),
    )
    total_points = models.DecimalField("满分", **POINTS, default=Decimal(100))
    budget_weight = models.DecimalField("预算执行率分值", **POINTS, default=Decimal(10))
    grade_excellent_min = models.DecimalField("优 最低分", **POINTS, default=Decimal(90))
    grade_good_min = models.DecimalField("良 最低分", **POINTS, default=Decimal(80))
    grade_fair_min = models.DecimalField("中 最低分", **POINTS, default=Decimal(60))
    over_achievement_ratio = models.DecimalField(
        "超额完成比例",
        **RATIO,
        default=Decimal("1.2"),
        help_text="完成值达到指标值的该倍数时须说明偏差原因，可适度调减分值。",
    )
    target_too_low_ratio = models.DecimalField(
        "目标设置过低比例", **RATIO, default=Decimal("1.5"), help_text="财政审核提示“目标设置过低”的完成率（如 150%）。"
    )
    execution_reason_threshold = models.DecimalField(
        "执行率说明阈值", **RATIO, default=Decimal("0.9"), help_text="预算执行率低于该值须说明原因。"
    )
    # SPEC §12: a profile belongs to one bureau, or (null) is shared by every bureau and only read by them.
    finance_bureau = models.ForeignKey(
        Organisation,
        verbose_name="所属财政局",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rule_profiles",
        limit_choices_to={"kind": Organisation.Kind.FINANCE_BUREAU},
        help_text="留空为各财政局共用的方案（各局管理员只能查看）；填写后只有该财政局的管理员可以修改。",
    )

    class Meta:
        verbose_name = "规则方案"
        verbose_name_plural = "规则方案"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grade_excellent_min__gt=models.F("grade_good_min"))
                & Q(grade_good_min__gt=models.F("grade_fair_min"))
                & Q(grade_fair_min__gte=0),
                name="ruleprofile_grade_thresholds_descend",
            ),
            models.CheckConstraint(condition=Q(budget_weight__gte=0), name="ruleprofile_budget_weight_non_negative"),
            models.CheckConstraint(
                condition=Q(over_achievement_ratio__gt=1) & Q(target_too_low_ratio__gt=1),
                name="ruleprofile_ratios_above_one",
            ),
            models.CheckConstraint(
                condition=Q(execution_reason_threshold__gt=0) & Q(execution_reason_threshold__lte=1),
                name="ruleprofile_threshold_is_a_rate",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def grade_thresholds(self) -> dict[str, Decimal]:
        return {"优": self.grade_excellent_min, "良": self.grade_good_min, "中": self.grade_fair_min}

    @property
    def indicator_points(self) -> Decimal:
        return self.total_points - self.budget_weight


class ProfileLevel1(models.Model):
    """一级指标 of a profile's taxonomy, with its points (None: free within the indicator total)."""

    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("profile__finance_bureau",)
    shared_when_unowned = True

    profile = models.ForeignKey(RuleProfile, on_delete=models.CASCADE, related_name="level1_categories")
    name = models.CharField("一级指标", max_length=50)
    weight = models.DecimalField(
        "分值", **POINTS, null=True, blank=True, help_text="留空表示不固定，只要求合计等于指标总分。"
    )
    required = models.BooleanField("必须填报", default=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "一级指标"
        verbose_name_plural = "一级指标"
        ordering = ["profile", "order"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "name"], name="profilelevel1_unique_name"),
            models.CheckConstraint(condition=Q(weight__isnull=True) | Q(weight__gte=0), name="profilelevel1_weight_ok"),
        ]

    def __str__(self):
        return self.name


class ProfileLevel2(models.Model):
    """二级指标 under a 一级; the 三级 indicators of a project are filed under one of these."""

    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("level1__profile__finance_bureau",)
    shared_when_unowned = True

    level1 = models.ForeignKey(ProfileLevel1, on_delete=models.CASCADE, related_name="level2_categories")
    name = models.CharField("二级指标", max_length=50)
    weight = models.DecimalField("分值", **POINTS, null=True, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "二级指标"
        verbose_name_plural = "二级指标"
        ordering = ["level1", "order"]
        constraints = [
            models.UniqueConstraint(fields=["level1", "name"], name="profilelevel2_unique_name"),
            models.CheckConstraint(condition=Q(weight__isnull=True) | Q(weight__gte=0), name="profilelevel2_weight_ok"),
        ]

    def __str__(self):
        return f"{self.level1.name} / {self.name}"


class ProfileFundSource(models.Model):
    """A fund-source row of the budget block (本年财政拨款, 上年结转资金 … or 财政资金, 单位资金 …)."""

    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("profile__finance_bureau",)
    shared_when_unowned = True

    profile = models.ForeignKey(RuleProfile, on_delete=models.CASCADE, related_name="fund_sources")
    name = models.CharField("资金来源", max_length=50)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "资金来源行"
        verbose_name_plural = "资金来源行"
        ordering = ["profile", "order"]
        constraints = [models.UniqueConstraint(fields=["profile", "name"], name="profilefundsource_unique_name")]

    def __str__(self):
        return self.name


class DepartmentIndicator(models.Model):
    """One 三级 item of a profile's department-wide indicator system (SPEC §7)."""

    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("profile__finance_bureau",)
    shared_when_unowned = True

    class Formula(models.TextChoices):
        JUDGED = "judged", "人工评分"
        GOAL_ACHIEVEMENT = "goal_achievement", "目标实现（数量指标达成比例）"
        COMPILATION_ACCURACY = "compilation_accuracy", "编制准确（预算调剂比例）"
        EXPENDITURE_CONTROL = "expenditure_control", "支出控制（预决算偏差）"
        DYNAMIC_ADJUSTMENT = "dynamic_adjustment", "动态调整（调整取消额与结余注销额）"
        EXECUTION_PROGRESS = "execution_progress", "执行进度（6、9、11 月）"
        BUDGET_COMPLETION = "budget_completion", "预算完成（12 月执行进度）"
        VIOLATIONS = "violations", "违规记录（每个问题扣 0.5 分）"
        BUDGET_EXECUTION_RATE = "budget_execution_rate", "预算资金支出率（执行数/全年预算数）"
        SELF_EVALUATION_ACCURACY = "self_evaluation_accuracy", "自评准确（与财政抽查得分比较）"

    profile = models.ForeignKey(RuleProfile, on_delete=models.CASCADE, related_name="department_indicators")
    level1 = models.CharField("一级指标", max_length=50)
    level1_points = models.DecimalField("一级分值", **POINTS)
    level2 = models.CharField("二级指标", max_length=50)
    level2_points = models.DecimalField("二级分值", **POINTS)
    name = models.CharField("三级指标", max_length=100)
    points = models.DecimalField("分值", **POINTS, validators=[MinValueValidator(Decimal(0))])
    explanation = models.TextField("指标解释", blank=True)
    rule = models.TextField("计分标准", blank=True)
    formula = models.CharField("计分方式", max_length=40, choices=Formula.choices, default=Formula.JUDGED)
    self_scored = models.BooleanField(
        "部门自评打分", default=True, help_text="自评准确由财政评价组打分，部门自评时不打分。"
    )
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "部门整体指标"
        verbose_name_plural = "部门整体指标体系"
        ordering = ["profile", "order"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "level1", "level2", "name"], name="departmentindicator_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="departmentindicator_points_non_negative"),
        ]

    def __str__(self):
        return f"{self.level1} / {self.level2} / {self.name}"


class FiscalYear(models.Model):
    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("finance_bureau",)

    class Status(models.TextChoices):
        OPEN = "open", "填报中"
        CLOSED = "closed", "财政审核中"
        FINALISED = "finalised", "已定稿"
        PUBLISHED = "published", "已公开"

    # From 已定稿 on, nothing in the year changes (SPEC §13); policy.locks enforces it.
    LOCKED = (Status.FINALISED, Status.PUBLISHED)

    finance_bureau = models.ForeignKey(
        Organisation,
        verbose_name="财政局",
        on_delete=models.PROTECT,
        related_name="fiscal_years",
        limit_choices_to={"kind": Organisation.Kind.FINANCE_BUREAU},
    )
    year = models.PositiveSmallIntegerField("年度")
    profile = models.ForeignKey(
        RuleProfile, verbose_name="规则方案", on_delete=models.PROTECT, related_name="fiscal_years"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.OPEN)
    filling_deadline = models.DateField("填报截止日期", null=True, blank=True)
    review_deadline = models.DateField("审核截止日期", null=True, blank=True)

    objects = AuditedManager()
    history = AuditRecords()

    class Meta:
        verbose_name = "年度"
        verbose_name_plural = "年度"
        ordering = ["-year", "finance_bureau__name"]
        constraints = [
            models.UniqueConstraint(fields=["finance_bureau", "year"], name="fiscalyear_unique_per_bureau"),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="fiscalyear_year_plausible"),
        ]

    def __str__(self):
        return f"{self.year}年度（{self.finance_bureau}）"

    # The year's state as the access rules ask it (policy.rules).

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_finalised(self) -> bool:
        return self.status == self.Status.FINALISED

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_locked(self) -> bool:
        return self.status in self.LOCKED


class ProjectQuerySet(AuditedQuerySet):
    def of_department(self, department):
        # Through a subquery on the small organisation table: an OR across the unit join (unit = d OR
        # unit.parent = d) keeps PostgreSQL from using the unit index (11.6 ms against 0.9 ms at 10,000 projects).
        return self.filter(unit__in=Organisation.objects.of_department(department).values("pk"))


class Project(models.Model):
    """One project's yearly record: header, goal and conclusion (SPEC §4). Budget lines and indicators hang off it."""

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("fiscal_year",)
    bureau_paths = ("fiscal_year__finance_bureau",)

    # The narrative fields (multi-line text boxes on the form).
    NARRATIVE_FIELDS = (
        "background",
        "content",
        "goal_expected",
        "goal_actual",
        "execution_reason",
        "adjustment_reason",
        "conclusion",
        "problems",
        "improvements",
        "summary",
    )
    # The header and narrative fields a unit fills in (the form) and a published table carries (imports).
    HEADER_FIELDS = ("name", "code", "project_type", "manager", "finance_manager", "phone", *NARRATIVE_FIELDS)

    class ProjectType(models.TextChoices):
        RECURRING = "recurring", "常年项目"
        ONE_OFF = "one_off", "一次性项目"

    fiscal_year = models.ForeignKey(FiscalYear, verbose_name="年度", on_delete=models.PROTECT, related_name="projects")
    unit = models.ForeignKey(
        Organisation,
        verbose_name="实施单位",
        on_delete=models.PROTECT,
        related_name="projects",
        limit_choices_to={"kind__in": Organisation.BUDGET_UNIT_KINDS},
    )
    name = models.CharField("项目名称", max_length=200)
    code = models.CharField("项目编码", max_length=60, blank=True)
    project_type = models.CharField("项目类型", max_length=20, choices=ProjectType.choices, blank=True)
    manager = models.CharField("项目负责人", max_length=50, blank=True)
    finance_manager = models.CharField("财务负责人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    background = models.TextField("设立背景", blank=True)
    content = models.TextField("实施内容", blank=True)
    goal_expected = models.TextField("年度总体目标·预期目标", blank=True)
    goal_actual = models.TextField("年度总体目标·实际完成情况", blank=True)
    execution_reason = models.TextField("执行率偏低原因", blank=True)
    adjustment_reason = models.TextField("预算调整（追加或调减）理由", blank=True)
    conclusion = models.TextField("评价结论", blank=True)
    problems = models.TextField("存在问题", blank=True)
    improvements = models.TextField("改进措施", blank=True)
    summary = models.TextField("绩效自评综述", blank=True)
    # 序号 in the municipal summary sheet; kept from imports and demo data (seed 000 is not grouped by unit).
    sort_order = models.PositiveIntegerField("序号", null=True, blank=True)
    # Optimistic lock: every save through the form raises it; a save from a stale page is refused.
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    copied_from = models.ForeignKey(
        "self", verbose_name="复制自", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = ProjectQuerySet.as_manager()
    history = AuditRecords(untracked=["version", "updated_at"])

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering = ["fiscal_year", "sort_order", "unit__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "unit", "name"], name="project_unique_name_per_unit_year"),
            models.UniqueConstraint(
                fields=["fiscal_year", "code"], condition=~Q(code=""), name="project_unique_code_per_year"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def department(self):
        return self.unit.department


class BudgetLine(models.Model):
    """One fund-source row of the budget block, in 万元 (SPEC §4.2). The 年度资金总额 row is their sum."""

    # Where a row belongs: policy.locks locks it with its year, policy.admin scopes the admin site by it.
    year_paths = ("project__fiscal_year",)
    bureau_paths = ("project__fiscal_year__finance_bureau",)

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="budget_lines")
    fund_source = models.CharField("资金来源", max_length=50)
    order = models.PositiveSmallIntegerField("顺序", default=0)
    initial_wan = models.DecimalField("年初预算数（万元）", **AMOUNT, null=True, blank=True)
    # 全年预算数 (A), also called 调整后预算数
    adjusted_wan = models.DecimalField("全年预算数 A（万元）", **AMOUNT, null=True, blank=True)
    # 全年执行数 (B), also called 预算执行数
    executed_wan = models.DecimalField("全年执行数 B（万元）", **AMOUNT, null=True, blank=True)

    objects = AuditedManager()
    history = AuditRecords()

    class Meta:
        verbose_name = "预算资金行"
        verbose_name_plural = "预算资金行"
        # By the project's id, not "project": that would join projects (and their own ordering's tables) on
        # every bulk load of lines.
        ordering = ["project_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["project", "fund_source"], name="budgetline_unique_source"),
            models.CheckConstraint(
                condition=(Q(initial_wan__isnull=True) | Q(initial_wan__gte=0))
                & (Q(adjusted_wan__isnull=True) | Q(adjusted_wan__gte=0))
                & (Q(executed_wan__isnull=True) | Q(executed_wan__gte=0)),
                name="budgetline_amounts_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.project} · {self.fund_source}"

    def clean(self):
        negative = {
            name: "金额不能为负数。"
            for name in ("initial_wan", "adjusted_wan", "executed_wan")
            if getattr(self, name) is not None and getattr(self, name) < 0
        }
        if negative:
            raise ValidationError(negative)

    def validate_constraints(self, exclude=None):
        """Check the unique fund source by query, the non-negative amounts in clean() without one."""
        exclude = set(exclude or ())
        exclude.update({"initial_wan", "adjusted_wan", "executed_wan"})
        super().validate_constraints(exclude=exclude)
