from django.urls import path

from .views import contracts, firms

app_name = "enterprises"
urlpatterns = [
    path("firms/", firms.FirmListView.as_view(), name="firm_list"),
    path("firms/new/", firms.FirmCreateView.as_view(), name="firm_create"),
    path("firms/<int:pk>/", firms.FirmDetailView.as_view(), name="firm_detail"),
    path("firms/<int:pk>/edit/", firms.FirmUpdateView.as_view(), name="firm_update"),
    path("contracts/", contracts.ContractListView.as_view(), name="contract_list"),
    path("contracts/<int:pk>/", contracts.ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/end/", contracts.ContractEndView.as_view(), name="contract_end"),
    path("estates/<int:estate_pk>/contracts/new/", contracts.ContractCreateView.as_view(),
         name="contract_create"),
]
