"""Read-only API for firms and service contracts: same scope and FilterSets as the pages."""
from rest_framework import serializers

from accounts.api import ScopedReadOnlyViewSet

from .filters import ContractFilter, FirmFilter
from .models import Firm, ServiceContract


class FirmSerializer(serializers.ModelSerializer):
    registered_district_name = serializers.CharField(source="registered_district.name", default=None,
                                                     read_only=True)
    street_name = serializers.CharField(source="street.name", default=None, read_only=True)

    class Meta:
        model = Firm
        fields = ["id", "name", "credit_code", "legal_representative", "contact_name", "contact_phone", "address",
                  "registered_district", "registered_district_name", "is_filed", "filed_on", "is_street_run",
                  "street", "street_name", "in_public_benefit_pool"]


class ContractSerializer(serializers.ModelSerializer):
    estate_name = serializers.CharField(source="estate.name", read_only=True)
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ServiceContract
        fields = ["id", "estate", "estate_name", "firm", "firm_name", "start_date", "end_date", "fee_standard",
                  "bond", "status", "status_display", "ended_on", "handover_date", "handover_received_by"]


class FirmViewSet(ScopedReadOnlyViewSet):
    model = Firm
    serializer_class = FirmSerializer
    filterset_class = FirmFilter
    ordering_fields = ["name", "filed_on"]
    ordering = ["name"]

    def refine_queryset(self, queryset):
        return queryset.select_related("registered_district", "street")


class ContractViewSet(ScopedReadOnlyViewSet):
    model = ServiceContract
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["start_date", "end_date", "bond", "fee_standard"]
    ordering = ["-start_date", "pk"]

    def refine_queryset(self, queryset):
        return queryset.select_related("estate", "firm")


def register(router):
    """Register this app's viewsets on the portal's router."""
    router.register("firms", FirmViewSet, basename="firm")
    router.register("contracts", ContractViewSet, basename="contract")
