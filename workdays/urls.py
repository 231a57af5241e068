from django.urls import path

from . import views

app_name = "workdays"

urlpatterns = [
    path("", views.YearListView.as_view(), name="year_list"),
    path("<int:year>/", views.YearDetailView.as_view(), name="year_detail"),
    path("<int:year>/enter/", views.YearEnterView.as_view(), name="year_enter"),
    path("<int:year>/days/add/", views.DayAddView.as_view(), name="day_add"),
    path("<int:year>/days/<int:pk>/delete/", views.DayDeleteView.as_view(), name="day_delete"),
    path("<int:year>/bulk/", views.BulkEnterView.as_view(), name="bulk_enter"),
]
