from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: the transactional outbox (tasks and e-mails that survive a broker outage), backup and restore."""

    name = "ops"
    verbose_name = _("运行保障")
