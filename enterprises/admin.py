from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Firm,
    FirmSanction,
    NegativeEvent,
    NegativeEventFile,
    SanctionPolicy,
    ServiceContract,
    StreetRunOrder,
)


@admin.register(Firm)
class FirmAdmin(SimpleHistoryAdmin):
    list_display = ["name", "credit_code", "registered_district", "is_filed", "is_street_run", "in_public_benefit_pool"]
    list_filter = ["is_filed", "is_street_run", "in_public_benefit_pool", "registered_district"]
    search_fields = ["name", "credit_code"]


@admin.register(ServiceContract)
class ServiceContractAdmin(SimpleHistoryAdmin):
    list_display = ["estate", "firm", "start_date", "end_date", "bond", "status"]
    list_filter = ["status"]
    autocomplete_fields = ["estate", "firm"]


# --- firm sanctions (enterprises/sanctions/): read-only here --------------------------------------------------
# A policy version is added on its page (enterprises:sanction_policy_create, checked by sanction_policy_create)
# and never edited; events are recorded and withdrawn through their services (which re-evaluate the firm's
# year, write the credit record and tell the people concerned); sanctions and street-run orders are their
# consequences. The admin shows them all, changes none.

class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SanctionPolicy)
class SanctionPolicyAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["district", "effective_from", "enabled", "media_threshold", "street_run_orders",
                    "street_run_max_tier", "street_run_deadline_days", "created_by", "created_at"]
    list_filter = ["district", "enabled"]
    list_select_related = ["district", "created_by"]


class NegativeEventFileInline(admin.TabularInline):
    model = NegativeEventFile
    extra = 0
    can_delete = False
    readonly_fields = ["file", "name"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NegativeEvent)
class NegativeEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "firm", "kind", "district", "street", "estate", "recorded_by", "withdrawn_at"]
    list_filter = ["kind", "district"]
    search_fields = ["firm__name", "description"]
    list_select_related = ["firm", "district", "street", "estate", "recorded_by"]
    inlines = [NegativeEventFileInline]


@admin.register(FirmSanction)
class FirmSanctionAdmin(ReadOnlyAdmin):
    list_display = ["year", "firm", "district", "reason", "imposed_at", "lifted_at"]
    list_filter = ["year", "district"]
    search_fields = ["firm__name"]
    list_select_related = ["firm", "district"]


@admin.register(StreetRunOrder)
class StreetRunOrderAdmin(ReadOnlyAdmin):
    list_display = ["year", "quarter", "estate", "firm", "tier", "order_id", "created_at"]
    list_filter = ["year", "quarter", "district"]
    list_select_related = ["estate", "firm"]
