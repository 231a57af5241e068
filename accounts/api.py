"""Base API viewsets: like the base views, every queryset starts at visible_to(user).

An object outside the user's scope is not found (404), exactly as on the pages.
"""
from rest_framework import viewsets


class ScopedViewSetMixin:
    """Set `model` (a ScopedQuerySet model); refine the scoped queryset in `refine_queryset`."""

    model = None

    def get_queryset(self):
        return self.refine_queryset(self.model.objects.visible_to(self.request.user))

    def refine_queryset(self, queryset):
        return queryset


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
