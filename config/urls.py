from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views

urlpatterns = [
    path("", account_views.HomeView.as_view(), name="home"),
    path("accounts/", include("accounts.urls")),
    path("choices/<slug:name>/", account_views.ChoicesView.as_view(), name="choices"),
    path("", include("communities.urls")),
    path("", include("enterprises.urls")),
    path("", include("inspections.urls")),
    path("", include("ratings.urls")),
    path("", include("subsidies.urls")),
    path("calendar/", include("workdays.urls")),
    path("complaints/", include("complaints.urls")),
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
# Uploaded files (photos, evidence) are never served from MEDIA_URL, not even with DEBUG=1: every one
# goes through its scope-checked view.
handler404 = "accounts.api.not_found"
