"""The Django admin's login-security section (django-axes) in Chinese.

django-axes ships no Chinese catalogue and names its app "Axes". Three pieces, none of which touches axes'
models (their verbose names stay the msgids of axes' migrations, so no migration is ever detected):

- the app's name, 登录安全, set on its AppConfig (not part of any migration);
- the models', fields' and admin labels' translations in accounts/locale/zh_Hans (django.po, compiled to
  django.mo with `msgfmt`; the msgids are axes' own, from axes/models.py and axes/admin.py);
- the attempt list's two computed columns (status, expiry), which axes leaves without a label, re-registered
  here with Chinese labels and a Chinese status text.

Imported by accounts/admin.py, which the admin's autodiscovery reads after axes/admin.py (INSTALLED_APPS order).
"""
from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.conf import settings
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

AXES_APP_NAME = _("登录安全")

apps.get_app_config("axes").verbose_name = AXES_APP_NAME


class AccessAttemptChineseAdmin(AccessAttemptAdmin):
    @admin.display(description=_("状态"))
    def status(self, obj: AccessAttempt):
        left = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        return _("还可尝试 %(n)d 次") % {"n": left} if left > 0 else _("已锁定")

    @admin.display(description=_("锁定到期时间"))
    def expiration(self, obj: AccessAttempt):
        return obj.expiration.expires_at if hasattr(obj, "expiration") else _("未设置")


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptChineseAdmin)
