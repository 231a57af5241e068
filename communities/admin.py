from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CommitteeMember, Community, District, DistrictPolicy, Estate, OwnerCommittee, Street


class PolicyInline(admin.TabularInline):
    model = DistrictPolicy
    extra = 0


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    inlines = [PolicyInline]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "kind"]
    list_filter = ["district"]
    search_fields = ["name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "street"]
    list_filter = ["street__district"]
    search_fields = ["name"]
    list_select_related = ["street"]


@admin.register(Estate)
class EstateAdmin(SimpleHistoryAdmin):
    list_display = ["name", "community", "management_mode", "category", "total_area", "firm"]
    list_filter = ["management_mode", "category", "estate_type", "community__street__district"]
    search_fields = ["name", "address"]
    list_select_related = ["community", "firm"]
    autocomplete_fields = ["community", "firm"]


class MemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 0


@admin.register(OwnerCommittee)
class OwnerCommitteeAdmin(SimpleHistoryAdmin):
    list_display = ["estate", "kind", "filing_status", "elected_on", "term_end", "is_active"]
    list_filter = ["kind", "filing_status", "is_active"]
    autocomplete_fields = ["estate"]
    inlines = [MemberInline]
