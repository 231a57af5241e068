from django.urls import path

from . import views

app_name = "evaluations"
urlpatterns = [
    path("", views.CampaignListView.as_view(), name="campaign_list"),
    path("new/<int:district_pk>/", views.CampaignCreateView.as_view(), name="campaign_create"),
    path("<int:pk>/", views.CampaignDetailView.as_view(), name="campaign_detail"),
    path("<int:pk>/edit/", views.CampaignEditView.as_view(), name="campaign_edit"),
    path("<int:pk>/questions/", views.QuestionAddView.as_view(), name="question_add"),
    path("<int:pk>/questions/<int:question_pk>/remove/", views.QuestionRemoveView.as_view(), name="question_remove"),
    path("<int:pk>/publish/", views.CampaignPublishView.as_view(), name="campaign_publish"),
    path("<int:pk>/confirm/", views.CampaignConfirmView.as_view(), name="campaign_confirm"),
    path("<int:pk>/fill/<slug:evaluator>/<slug:target>/", views.FillView.as_view(), name="fill"),
    path("<int:pk>/results/", views.ResultsView.as_view(), name="results"),
    path("responses/<int:pk>/", views.ResponseDetailView.as_view(), name="response_detail"),
]
