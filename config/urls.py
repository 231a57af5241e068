from django.contrib import admin
from django.urls import include, path
from csp.constants import SELF
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

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
    path("maintenance/", include("maintenance.urls")),
    path("evaluations/", include("evaluations.urls")),
    # The API, version 1: schema (OpenAPI 3), Swagger UI and Redoc from vendored files (no CDN; the split
    # view loads its start-up script from this address instead of inline, as the CSP demands).
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-v1-schema"),
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-v1-schema"), name="api-v1-docs"),
    # Redoc runs its search index in a Web Worker it builds from a blob: URL; this page alone allows that.
    path("api/v1/redoc/", csp_update({"worker-src": [SELF, "blob:"]})(
        SpectacularRedocView.as_view(url_name="api-v1-schema", template_name="api/redoc.html")),
         name="api-v1-redoc"),
    # /api/ is an alias of /api/v1/: the same views (not a redirect, so existing clients and their POSTs keep
    # working). It is mounted after v1: reverse() of a router name picks the last pattern of that name, so
    # it keeps giving the /api/ address the pages and tests have used; the schema lists the /api/v1/
    # addresses only (config.api_urls.only_v1_endpoints).
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-v1-schema"), name="api-docs"),
    path("api/", include("config.api_urls")),
    path("admin/", admin.site.urls),
]
# Uploaded files (photos, evidence) are never served from MEDIA_URL, not even with DEBUG=1: every one
# goes through its scope-checked view.
handler404 = "accounts.api.not_found"
