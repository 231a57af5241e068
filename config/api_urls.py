"""One DRF router for the whole portal; each app registers its viewsets in its api.py.

Mounted twice by config/urls.py: at /api/v1/ (the versioned API, the one the schema describes) and at
/api/, an alias serving the same views for clients written before the version appeared in the path.
"""
from rest_framework.routers import DefaultRouter

from communities import api as communities_api
from enterprises import api as enterprises_api

router = DefaultRouter()
communities_api.register(router)
enterprises_api.register(router)

urlpatterns = router.urls

V1_PREFIX = "/api/v1/"


def only_v1_endpoints(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: describe each endpoint once, under /api/v1/ (the /api/ alias
    serves the same views and would otherwise appear twice with clashing operation ids)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(V1_PREFIX)]
