from django.urls import path

from .views import inspections, notice, orders, photos, plan, rubrics

app_name = "inspections"
urlpatterns = [
    path("rubrics/", rubrics.RubricListView.as_view(), name="rubric_list"),
    path("rubrics/new/", rubrics.RubricCreateView.as_view(), name="rubric_create"),
    path("rubrics/import/", rubrics.RubricImportView.as_view(), name="rubric_import"),
    path("rubrics/<int:pk>/", rubrics.RubricDetailView.as_view(), name="rubric_detail"),
    path("rubrics/<int:pk>/edit/", rubrics.RubricEditView.as_view(), name="rubric_edit"),
    path("rubrics/<int:pk>/new-version/", rubrics.RubricNewVersionView.as_view(), name="rubric_new_version"),
    path("rubrics/<int:pk>/activate/", rubrics.RubricActivateView.as_view(), name="rubric_activate"),
    path("rubrics/<int:pk>/export.xlsx", rubrics.RubricExportView.as_view(), name="rubric_export"),
    path("inspections/", inspections.InspectionListView.as_view(), name="inspection_list"),
    path("inspections/progress/", plan.ProgressView.as_view(), name="progress"),
    path("inspections/frequencies/", plan.FrequencyView.as_view(), name="frequencies"),
    path("estates/<int:estate_pk>/inspections/new/", inspections.InspectionCreateView.as_view(),
         name="inspection_create"),
    path("inspections/<int:pk>/", inspections.InspectionDetailView.as_view(), name="inspection_detail"),
    path("inspections/<int:pk>/edit/", inspections.InspectionEditView.as_view(), name="inspection_edit"),
    path("inspections/<int:pk>/submit/", inspections.InspectionSubmitView.as_view(), name="inspection_submit"),
    path("inspections/<int:pk>/correct/", inspections.InspectionCorrectView.as_view(), name="inspection_correct"),
    path("inspections/<int:pk>/photos/", inspections.InspectionPhotoView.as_view(), name="inspection_photos"),
    path("inspections/photos/<int:pk>/", photos.InspectionPhotoFileView.as_view(), name="inspection_photo"),
    path("orders/photos/<int:pk>/", photos.OrderPhotoFileView.as_view(), name="order_photo"),
    path("orders/", orders.OrderListView.as_view(), name="order_list"),
    path("orders/new/", orders.OrderCreateView.as_view(), name="order_create"),
    path("orders/<int:pk>/", orders.OrderDetailView.as_view(), name="order_detail"),
    # Before the action route, which would otherwise take "notice" for an action.
    path("orders/<int:pk>/notice/", notice.OrderNoticeView.as_view(), name="order_notice"),
    path("orders/<int:pk>/notice.pdf", notice.OrderNoticePdfView.as_view(), name="order_notice_pdf"),
    path("orders/<int:pk>/<str:action>/", orders.OrderActionView.as_view(), name="order_action"),
]
