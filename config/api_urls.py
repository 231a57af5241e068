"""One DRF router for the whole portal; each app registers its viewsets in its api.py."""
from rest_framework.routers import DefaultRouter

from communities import api as communities_api
from enterprises import api as enterprises_api

router = DefaultRouter()
communities_api.register(router)
enterprises_api.register(router)

urlpatterns = router.urls
