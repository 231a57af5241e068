"""Admin for data keepers (city administrators, accounts/admin_site.py): categories, time-limit policies
(with their history), estate aliases and import mappings. Orders and their events change only through the
services (the pages), so they are not editable here."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Category, EstateAlias, ImportMapping, TimeLimitPolicy


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order", "active"]
    list_editable = ["order", "active"]
    search_fields = ["name", "code"]

    def has_delete_permission(self, request, obj=None):
        # Orders keep their category (PROTECT); retire a category by unticking 启用.
        return False


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["district", "effective_from", "sign_critical", "sign_urgent", "sign_normal", "answer",
                    "extension_max", "return_within", "escalate_after", "basic_satisfied_weight"]
    list_filter = ["district"]
    list_select_related = ["district"]
    fieldsets = [
        (None, {"fields": ["district", "effective_from", "note"]}),
        (_("签收、答复时限"), {"fields": [("sign_critical", "sign_critical_unit"), ("sign_urgent", "sign_urgent_unit"),
                                 ("sign_normal", "sign_normal_unit"), ("answer", "answer_unit")]}),
        (_("延期、退单、督办"), {"fields": [("extension_max", "extension_max_unit"),
                                  ("return_within", "return_within_unit"),
                                  ("escalate_after", "escalate_after_unit")]}),
        (_("统计与识别"), {"fields": ["basic_satisfied_weight", "duplicate_window_days", "supervision_reports",
                              "supervision_days", "match_threshold"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # Orders keep the version that timed them (PROTECT); a new version takes effect on its date.
        return False


@admin.register(EstateAlias)
class EstateAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "estate"]
    search_fields = ["name", "estate__name"]
    list_select_related = ["estate"]
    autocomplete_fields = ["estate"]


@admin.register(ImportMapping)
class ImportMappingAdmin(SimpleHistoryAdmin):
    list_display = ["name", "district", "source", "active"]
    list_filter = ["district", "source", "active"]
    search_fields = ["name"]
    list_select_related = ["district"]
