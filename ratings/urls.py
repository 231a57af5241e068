from django.urls import path

from .views import applications, periods, policy, public, scores, yearly

app_name = "ratings"
urlpatterns = [
    path("ratings/policies/", policy.PolicyListView.as_view(), name="policy_list"),
    path("ratings/policies/new/<int:district_pk>/", policy.PolicyCreateView.as_view(), name="policy_create"),
    path("ratings/applications/", applications.ApplicationListView.as_view(), name="application_list"),
    path("ratings/applications/new/", applications.ApplicationSubmitView.as_view(), name="application_submit"),
    path("ratings/applications/<int:pk>/", applications.ApplicationDetailView.as_view(),
         name="application_detail"),
    path("ratings/attachments/<int:pk>/", applications.AttachmentDownloadView.as_view(), name="attachment"),
    path("ratings/scores/", scores.ScoreEntryView.as_view(), name="score_entry"),
    path("ratings/scores/import/", scores.ComponentImportView.as_view(), name="score_import"),
    path("ratings/scores/import/template.xlsx", scores.ComponentTemplateView.as_view(), name="score_template"),
    path("ratings/disqualifications/", scores.DisqualificationListView.as_view(), name="disqualification_list"),
    path("ratings/disqualifications/new/", scores.DisqualificationCreateView.as_view(),
         name="disqualification_create"),
    path("ratings/disqualifications/<int:pk>/withdraw/", scores.DisqualificationWithdrawView.as_view(),
         name="disqualification_withdraw"),
    path("ratings/periods/", periods.PeriodListView.as_view(), name="period_list"),
    path("ratings/periods/run/", periods.PeriodRunView.as_view(), name="period_run"),
    path("ratings/periods/<int:pk>/", periods.PeriodDetailView.as_view(), name="period_detail"),
    path("ratings/periods/<int:pk>/announce/", periods.PeriodAnnounceView.as_view(), name="period_announce"),
    path("ratings/periods/<int:pk>/recompute/", periods.PeriodRecomputeView.as_view(), name="period_recompute"),
    path("ratings/periods/<int:pk>/publish/", periods.PeriodPublishView.as_view(), name="period_publish"),
    path("ratings/periods/<int:pk>/discard/", periods.PeriodDiscardView.as_view(), name="period_discard"),
    path("ratings/results/<int:pk>/", periods.RatingDetailView.as_view(), name="rating_detail"),
    path("ratings/results/<int:pk>/correct/", periods.RatingCorrectView.as_view(), name="rating_correct"),
    path("ratings/appeals/<int:pk>/decide/", periods.AppealDecideView.as_view(), name="appeal_decide"),
    path("ratings/mine/", periods.MyRatingsView.as_view(), name="my_ratings"),
    path("ratings/yearly/", yearly.YearlyRatingView.as_view(), name="yearly"),
    path("ratings/yearly/confirm/", yearly.RecheckConfirmView.as_view(), name="recheck_confirm"),
    path("ratings/plaque/<int:pk>/", public.PlaqueView.as_view(), name="plaque"),
    path("ratings/verify/<int:pk>/<str:token>/", public.VerifyView.as_view(), name="verify"),
    path("ratings/public/", public.PublicRatingListView.as_view(), name="public_list"),
    path("ratings/public/blacklist/", public.PublicBlacklistView.as_view(), name="public_blacklist"),
]
