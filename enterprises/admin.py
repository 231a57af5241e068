from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Firm, ServiceContract


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
