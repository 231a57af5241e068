from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """Django admin restricted to city administrators (accounts/admin_site.py)."""

    default_site = "accounts.admin_site.PortalAdminSite"
