from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data (`manage.py seed_demo`). It sits on top: it imports every other app (through their
    services, as the pages do) and no other app imports it (tests/test_demo_app.py); listed last in
    INSTALLED_APPS. No models."""

    name = "demo"
    label = "demo"
    verbose_name = _("演示数据")
