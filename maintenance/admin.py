"""Django admin for data keepers: the policy versions (with their history) and the applications, read-only
(every step of an application goes through its service, on its page)."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ApplicationEvent, FundApplication, MaintenancePolicy


@admin.register(MaintenancePolicy)
class MaintenancePolicyAdmin(SimpleHistoryAdmin):
    list_display = ["district", "effective_from", "lift_cap", "no_lift_cap", "match_ratio", "yearly_budget"]
    list_filter = ["district"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "from_status", "to_status", "comment"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FundApplication)
class FundApplicationAdmin(SimpleHistoryAdmin):
    list_display = ["estate", "street", "district", "year", "status", "area", "per_sqm", "granted", "matched"]
    list_filter = ["district", "year", "status"]
    search_fields = ["estate__name"]
    list_select_related = ["estate", "street", "district"]
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
