from django.urls import path

from .views import batches, lines, mine, policy, slip

app_name = "subsidies"
urlpatterns = [
    path("subsidies/policies/", policy.PolicyListView.as_view(), name="policy_list"),
    path("subsidies/policies/new/<int:district_pk>/", policy.PolicyCreateView.as_view(), name="policy_create"),
    path("subsidies/batches/", batches.BatchListView.as_view(), name="batch_list"),
    path("subsidies/batches/generate/", batches.BatchGenerateView.as_view(), name="batch_generate"),
    path("subsidies/batches/<int:pk>/", batches.BatchDetailView.as_view(), name="batch_detail"),
    path("subsidies/batches/<int:pk>/slip/", slip.BatchSlipView.as_view(), name="batch_slip"),
    path("subsidies/batches/<int:pk>/transition/", batches.BatchTransitionView.as_view(), name="batch_transition"),
    path("subsidies/batches/<int:pk>/pass-on/", batches.PassOnRecordView.as_view(), name="pass_on_record"),
    path("subsidies/batches/<int:pk>/lines/", lines.BatchLinesView.as_view(), name="batch_lines"),
    path("subsidies/batches/<int:pk>/export.xlsx", lines.BatchExportView.as_view(), name="batch_export"),
    path("subsidies/lines/<int:pk>/adjust/", lines.LineAdjustView.as_view(), name="line_adjust"),
    path("subsidies/lines/<int:pk>/edit/", lines.LineEditView.as_view(), name="line_edit"),
    path("subsidies/mine/", mine.MyPayoutsView.as_view(), name="mine"),
]
