from django.urls import path

from .views import assessments, committees, estates, places, stations

app_name = "communities"
urlpatterns = [
    path("estates/", estates.EstateListView.as_view(), name="estate_list"),
    path("estates/new/", estates.EstateCreateView.as_view(), name="estate_create"),
    path("estates/import/", estates.EstateImportView.as_view(), name="estate_import"),
    path("estates/import/template.xlsx", estates.EstateImportTemplateView.as_view(), name="estate_import_template"),
    path("estates/<int:pk>/", estates.EstateDetailView.as_view(), name="estate_detail"),
    path("estates/<int:pk>/edit/", estates.EstateUpdateView.as_view(), name="estate_update"),
    path("streets/", places.StreetListView.as_view(), name="street_list"),
    path("communities/", places.CommunityListView.as_view(), name="community_list"),
    path("committees/", committees.CommitteeListView.as_view(), name="committee_list"),
    path("committees/<int:pk>/", committees.CommitteeDetailView.as_view(), name="committee_detail"),
    path("committees/<int:pk>/edit/", committees.CommitteeUpdateView.as_view(), name="committee_update"),
    path("estates/<int:estate_pk>/committees/new/", committees.CommitteeCreateView.as_view(),
         name="committee_create"),
    # owner-committee yearly assessment and allowance (章贡 四(一))
    path("assessments/", assessments.AssessmentListView.as_view(), name="assessment_list"),
    path("assessments/<int:pk>/", assessments.AssessmentDetailView.as_view(), name="assessment_detail"),
    path("assessments/<int:pk>/decide/", assessments.AssessmentDecisionView.as_view(), name="assessment_decide"),
    path("assessments/<int:pk>/correct/", assessments.AssessmentCorrectView.as_view(), name="assessment_correct"),
    path("committees/<int:pk>/assess/", assessments.AssessmentCreateView.as_view(), name="assessment_create"),
    path("assessment-policies/", assessments.PolicyListView.as_view(), name="assessment_policy_list"),
    path("assessment-policies/new/<int:district_pk>/", assessments.PolicyCreateView.as_view(),
         name="assessment_policy_create"),
    # the street's stations (两站一中心)
    path("stations/", stations.StationListView.as_view(), name="station_list"),
    path("streets/<int:street_pk>/stations/new/", stations.StationCreateView.as_view(), name="station_create"),
    path("stations/<int:pk>/edit/", stations.StationUpdateView.as_view(), name="station_update"),
]
