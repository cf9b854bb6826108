from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from evaluations.models import (
    DepartmentEvaluation,
    DepartmentScoreItem,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    ReportExport,
    ReviewIndicatorScore,
    SpotCheckSample,
)
from policy.admin import BureauScopedAdmin, BureauScopedInline


class EvaluationTransitionInline(BureauScopedInline, admin.TabularInline):
    model = EvaluationTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "comment", "created_at"]

    def has_add_permission(self, request, obj=None):
        # Transitions are written only by the workflow services, never by hand.
        return False


@admin.register(ProjectEvaluation)
class ProjectEvaluationAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["project", "status", "computed_total", "claimed_total", "computed_grade", "claimed_grade"]
    list_filter = ["status", "computed_grade", "project__fiscal_year"]
    search_fields = ["project__name", "project__code"]
    # The state changes only through the workflow functions, which write the audit record.
    readonly_fields = [
        "status",
        "submitted_at",
        "approved_at",
        "computed_budget_score",
        "computed_indicator_score",
        "computed_total",
        "computed_grade",
        "profile",
    ]
    inlines = [EvaluationTransitionInline]


class DepartmentScoreItemInline(BureauScopedInline, admin.TabularInline):
    model = DepartmentScoreItem
    extra = 0
    readonly_fields = ["computed_score"]


@admin.register(DepartmentEvaluation)
class DepartmentEvaluationAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["department", "fiscal_year", "status", "claimed_total", "computed_total", "claimed_grade"]
    list_filter = ["fiscal_year", "status"]
    inlines = [DepartmentScoreItemInline]


@admin.register(SpotCheckSample)
class SpotCheckSampleAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["fiscal_year", "ratio", "random_seed", "drawn_by", "drawn_at"]


class ReviewIndicatorScoreInline(BureauScopedInline, admin.TabularInline):
    model = ReviewIndicatorScore
    extra = 0


@admin.register(FinanceReview)
class FinanceReviewAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["__str__", "selection", "status", "grade", "reviewer_total"]
    list_filter = ["status", "grade", "selection"]
    inlines = [ReviewIndicatorScoreInline]


@admin.register(EvaluationTransition)
class EvaluationTransitionAdmin(BureauScopedAdmin):
    """The audit trail, readable and never editable."""

    list_display = ["record", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["evaluation__project__name", "department_evaluation__department__name", "comment"]

    @admin.display(description="记录")
    def record(self, obj):
        return obj.evaluation or obj.department_evaluation

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DepartmentScoreItem)
class DepartmentScoreItemAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["indicator", "evaluation", "claimed_score", "computed_score"]
    list_filter = ["evaluation__fiscal_year"]
    readonly_fields = ["computed_score"]


@admin.register(ReviewIndicatorScore)
class ReviewIndicatorScoreAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["indicator", "review", "checked_score"]


@admin.register(ReportExport)
class ReportExportAdmin(BureauScopedAdmin):
    list_display = ["__str__", "owner", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status", "kind", "format"]
    readonly_fields = ["status", "progress", "file", "filename", "error", "created_at", "finished_at"]
