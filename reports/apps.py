from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Indicators, targets, dashboards and reports. Reads from every other app; no other app imports it
    (tests/reports/test_no_imports.py): pages of other apps reach it only through its template tags."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("统计报表")
