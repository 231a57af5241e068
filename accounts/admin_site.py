from django.contrib import admin

from .scope import scope_of


class PortalAdminSite(admin.AdminSite):
    """Raw-data admin: city administrators only (DOMAIN.md §1)."""

    site_header = "物业管理监管平台 · 数据维护"
    site_title = "数据维护"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff and scope_of(user).city_admin)

