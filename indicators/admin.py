from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import Indicator, LibraryIndicator
from policy.admin import BureauScopedAdmin


@admin.register(LibraryIndicator)
class LibraryIndicatorAdmin(BureauScopedAdmin):
    list_display = ["name", "level1", "level2", "sign", "unit", "is_active", "finance_bureau"]
    list_filter = ["level1", "level2", "is_active"]
    search_fields = ["name", "description"]
    bureau_owner_field = "finance_bureau"


@admin.register(Indicator)
class IndicatorAdmin(BureauScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "project", "level1", "level2", "sign", "target_text", "weight", "claimed_score"]
    list_filter = ["level1", "sign"]
    search_fields = ["name", "project__name"]
    autocomplete_fields = ["project", "library_indicator"]
