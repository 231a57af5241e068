"""通知设置: the user's own choice of how notifications reach them (the daily e-mail digest opt-in), and the
channels in force (accounts/channels.py)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from .channels import EmailDigestChannel, channel_named, channels, email_digest_set


class NotificationSettingsForm(forms.Form):
    email_digest = forms.BooleanField(
        label=_("每日邮件摘要"), required=False,
        help_text=_("每天早上把尚未阅读、也未发过邮件的通知汇总成一封邮件，发到您账号登记的电子邮箱。"))


class NotificationSettingsView(LoginRequiredMixin, FormView):
    template_name = "accounts/notification_settings.html"
    form_class = NotificationSettingsForm
    success_url = reverse_lazy("accounts:notification_settings")

    def get_initial(self):
        return {"email_digest": self.request.user.email_digest}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["channels"] = channels()
        ctx["digest_offered"] = channel_named(EmailDigestChannel.name) is not None
        return ctx

    def form_valid(self, form):
        if not channel_named(EmailDigestChannel.name):
            form.add_error(None, _("本平台未启用每日邮件摘要。"))
            return self.form_invalid(form)
        enabled = form.cleaned_data["email_digest"]
        try:
            email_digest_set(user=self.request.user, enabled=enabled)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        messages.success(self.request, _("已开启每日邮件摘要。") if enabled else _("已关闭每日邮件摘要。"))
        return super().form_valid(form)
