"""Views: cases (see complaints/urls.py): the complaint pages of clerks, firms and the district.

One module per area, each short: cases_list (list and export, my tasks, triage), cases_detail (detail, the
actions, attachments), cases_new (登记投诉), cases_rates (办理情况统计); cases_menu declares which role uses
which page; cases_common holds what they share.
"""
from django.urls import path

from . import cases_detail, cases_list, cases_new, cases_rates

urlpatterns = [
    path("", cases_list.ComplaintListView.as_view(), name="list"),
    path("new/", cases_new.ComplaintCreateView.as_view(), name="new"),
    path("tasks/", cases_list.TasksView.as_view(), name="tasks"),
    path("triage/", cases_list.TriageView.as_view(), name="triage"),
    path("rates/", cases_rates.RatesView.as_view(), name="rates"),
    path("<int:pk>/", cases_detail.ComplaintDetailView.as_view(), name="detail"),
    path("<int:pk>/act/<slug:action>/", cases_detail.ComplaintActView.as_view(), name="act"),
    path("attachments/<int:pk>/", cases_detail.AttachmentView.as_view(), name="attachment"),
]
