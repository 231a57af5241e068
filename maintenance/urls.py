from django.urls import path

from . import views

app_name = "maintenance"
urlpatterns = [
    path("", views.ApplicationListView.as_view(), name="application_list"),
    path("new/", views.EstateChoiceView.as_view(), name="estate_choice"),
    path("new/<int:estate_pk>/", views.ApplicationCreateView.as_view(), name="application_create"),
    path("<int:pk>/", views.ApplicationDetailView.as_view(), name="application_detail"),
    path("<int:pk>/transition/", views.ApplicationTransitionView.as_view(), name="application_transition"),
    path("<int:pk>/resubmit/", views.ApplicationResubmitView.as_view(), name="application_resubmit"),
    path("totals/", views.TotalsView.as_view(), name="totals"),
    path("policies/", views.PolicyListView.as_view(), name="policy_list"),
    path("policies/new/<int:district_pk>/", views.PolicyCreateView.as_view(), name="policy_create"),
]
