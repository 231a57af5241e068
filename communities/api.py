"""Read-only API over places and estates; the same scope and FilterSet as the pages."""
from rest_framework import serializers

from accounts.api import ScopedReadOnlyViewSet
from communities.filters.estates import EstateFilter
from communities.models import Community, Estate, Street


class StreetSerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = Street
        fields = ["id", "name", "kind", "district", "district_name"]


class CommunitySerializer(serializers.ModelSerializer):
    street_name = serializers.CharField(source="street.name", read_only=True)

    class Meta:
        model = Community
        fields = ["id", "name", "street", "street_name"]


class EstateSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    street = serializers.IntegerField(source="community.street_id", read_only=True)
    street_name = serializers.CharField(source="community.street.name", read_only=True)
    district = serializers.IntegerField(source="community.street.district_id", read_only=True)
    district_name = serializers.CharField(source="community.street.district.name", read_only=True)
    estate_type_display = serializers.CharField(source="get_estate_type_display", read_only=True)
    management_mode_display = serializers.CharField(source="get_management_mode_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    is_old = serializers.SerializerMethodField()
    is_covered = serializers.BooleanField(read_only=True)
    firm_name = serializers.CharField(source="firm.name", read_only=True, default=None)

    class Meta:
        model = Estate
        fields = [
            "id", "name", "address", "district", "district_name", "street", "street_name", "community",
            "community_name", "completion_year", "is_old", "total_area", "building_count", "household_count",
            "has_lift", "estate_type", "estate_type_display", "management_mode", "management_mode_display",
            "is_covered", "category", "category_display", "in_renovation_programme", "renovation_accepted",
            "firm", "firm_name", "firm_since", "service_content", "contact_name", "contact_phone", "notes",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_old(self, estate) -> bool:
        return estate.is_old()


class StreetViewSet(ScopedReadOnlyViewSet):
    model = Street
    serializer_class = StreetSerializer
    ordering_fields = ["name"]

    def refine_queryset(self, queryset):
        return queryset.select_related("district").order_by("district__name", "name", "pk")


class CommunityViewSet(ScopedReadOnlyViewSet):
    model = Community
    serializer_class = CommunitySerializer
    ordering_fields = ["name"]

    def refine_queryset(self, queryset):
        return queryset.select_related("street").order_by("street__name", "name", "pk")


class EstateViewSet(ScopedReadOnlyViewSet):
    """小区: filter with the same parameters as the /estates/ page (district, street, q, old, ...)."""

    model = Estate
    serializer_class = EstateSerializer
    filterset_class = EstateFilter
    ordering_fields = ["name", "completion_year", "total_area", "category", "management_mode"]

    def refine_queryset(self, queryset):
        return (queryset.select_related("community__street__district", "firm").with_cutoff_year()
                .order_by("community__street__name", "community__name", "name", "pk"))


def register(router):
    """Register this app's viewsets on the portal's router."""
    router.register("streets", StreetViewSet, basename="street")
    router.register("communities", CommunityViewSet, basename="community")
    router.register("estates", EstateViewSet, basename="estate")
