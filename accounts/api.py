"""Base API viewsets: like the base views, every queryset starts at visible_to(user).

An object outside the user's scope is not found (404), exactly as on the pages.
"""
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets
from rest_framework.views import exception_handler as drf_exception_handler


class ScopedViewSetMixin:
    """Set `model` (a ScopedQuerySet model); refine the scoped queryset in `refine_queryset`."""

    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema: no user, no query
            return self.model.objects.none()
        return self.refine_queryset(self.model.objects.visible_to(self.request.user))

    def refine_queryset(self, queryset):
        return queryset


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


def exception_handler(exc, context):
    """DRF's handler, with every "not found" in the same Chinese words: Django's Http404 carries an English
    "No Estate matches the given query." that DRF would pass on as it is."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """handler404: an API address that does not exist answers JSON like the API; pages get the 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
