"""Password validators whose messages Django's zh-hans catalogue lacks (AUTH_PASSWORD_VALIDATORS)."""
from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with a Chinese message: Django 5.2 changed the English text and its zh-hans catalogue
    has no translation of the new one, so clerks would read English."""

    def get_error_message(self):
        return _("密码长度太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}

    def get_help_text(self):
        return _("密码至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}
