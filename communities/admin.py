from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    CommitteeMember,
    CommitteeTarget,
    Community,
    District,
    DistrictPolicy,
    Estate,
    OwnerCommittee,
    Street,
    StreetStation,
)


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


# --- owner-committee yearly assessment (read-only here: the rules live in communities/services/assessments.py) --

from .models import (  # noqa: E402
    AssessmentCriterion,
    AssessmentEvent,
    AssessmentMember,
    AssessmentScore,
    CommitteeAssessment,
    CommitteeAssessmentPolicy,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CriterionInline(_ReadOnlyInline):
    model = AssessmentCriterion


@admin.register(CommitteeAssessmentPolicy)
class CommitteeAssessmentPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["district", "effective_from", "pass_mark", "allowance_per_member"]
    list_filter = ["district"]
    inlines = [CriterionInline]

    def has_change_permission(self, request, obj=None):
        return False  # a new version in the portal's page, never an edit in place


class ScoreInline(_ReadOnlyInline):
    model = AssessmentScore


class RosterInline(_ReadOnlyInline):
    model = AssessmentMember


class EventInline(_ReadOnlyInline):
    model = AssessmentEvent


@admin.register(CommitteeAssessment)
class CommitteeAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["committee", "year", "street", "status", "total_points", "qualified"]
    list_filter = ["year", "status", "qualified", "district"]
    list_select_related = ["committee__estate", "street"]
    inlines = [ScoreInline, RosterInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


# --- the street's stations (两站一中心) and the committee-formation targets (H11) ---------------------------

@admin.register(StreetStation)
class StreetStationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "street", "kind", "phone", "opening_hours", "is_active"]
    list_filter = ["kind", "is_active", "street__district"]
    search_fields = ["name", "street__name", "address"]
    autocomplete_fields = ["street"]


@admin.register(CommitteeTarget)
class CommitteeTargetAdmin(SimpleHistoryAdmin):
    """Where a district keeps its yearly committee targets (as DistrictPolicy, the policy data, is kept)."""

    list_display = ["district", "year", "form", "value", "baseline_on", "source"]
    list_filter = ["form", "district"]
    ordering = ["district__name", "year"]
