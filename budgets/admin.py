from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from budgets.models import (
    BudgetLine,
    DepartmentIndicator,
    FiscalYear,
    ProfileFundSource,
    ProfileLevel1,
    ProfileLevel2,
    Project,
    RuleProfile,
)
from policy.admin import BureauScopedAdmin, BureauScopedInline


class ProfileLevel1Inline(BureauScopedInline, admin.TabularInline):
    model = ProfileLevel1
    extra = 0


class ProfileFundSourceInline(BureauScopedInline, admin.TabularInline):
    model = ProfileFundSource
    extra = 0


class DepartmentIndicatorInline(BureauScopedInline, admin.StackedInline):
    model = DepartmentIndicator
    extra = 0


@admin.register(RuleProfile)
class RuleProfileAdmin(BureauScopedAdmin):
    list_display = [
        "name",
        "code",
        "finance_bureau",
        "layout",
        "reverse_rule",
        "budget_weight",
        "grade_excellent_min",
        "grade_good_min",
        "grade_fair_min",
    ]
    inlines = [ProfileLevel1Inline, ProfileFundSourceInline, DepartmentIndicatorInline]
    save_as = True
    bureau_owner_field = "finance_bureau"


class ProfileLevel2Inline(BureauScopedInline, admin.TabularInline):
    model = ProfileLevel2
    extra = 0


@admin.register(ProfileLevel1)
class ProfileLevel1Admin(BureauScopedAdmin):
    list_display = ["name", "profile", "weight", "required", "order"]
    list_filter = ["profile"]
    inlines = [ProfileLevel2Inline]


@admin.register(FiscalYear)
class FiscalYearAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["year", "finance_bureau", "profile", "status", "filling_deadline"]
    list_filter = ["status", "profile", "finance_bureau"]
    # The year moves only through its lifecycle transitions (SPEC §13), which check and audit each step.
    readonly_fields = ["status"]


class BudgetLineInline(BureauScopedInline, admin.TabularInline):
    model = BudgetLine
    extra = 0


@admin.register(Project)
class ProjectAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "code", "unit", "fiscal_year", "project_type", "sort_order"]
    list_filter = ["fiscal_year", "project_type"]
    search_fields = ["name", "code", "unit__name"]
    autocomplete_fields = ["unit", "copied_from"]
    inlines = [BudgetLineInline]


@admin.register(ProfileLevel2)
class ProfileLevel2Admin(BureauScopedAdmin):
    list_display = ["name", "level1", "weight", "order"]
    list_filter = ["level1__profile"]


@admin.register(ProfileFundSource)
class ProfileFundSourceAdmin(BureauScopedAdmin):
    list_display = ["name", "profile", "order"]
    list_filter = ["profile"]


@admin.register(DepartmentIndicator)
class DepartmentIndicatorAdmin(BureauScopedAdmin):
    list_display = ["name", "level1", "level2", "points", "formula", "self_scored", "profile"]
    list_filter = ["profile", "formula"]


@admin.register(BudgetLine)
class BudgetLineAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["project", "fund_source", "initial_wan", "adjusted_wan", "executed_wan"]
    search_fields = ["project__name"]
    autocomplete_fields = ["project"]
