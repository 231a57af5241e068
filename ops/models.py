"""The transactional outbox: work recorded in the same transaction as the change that causes it.

A page never talks to the broker to get work done later: it writes an
`OutboxMessage` (a Celery task name and JSON arguments) next to its own rows.
The relay (`ops.services.outbox_relay`) publishes pending messages right after
commit and, for whatever that attempt could not send (the broker was down),
every minute from beat; a message is marked sent only after the broker
accepted it. A crash between the two sends it again, which the consumers
allow: every task is idempotent (see `config.celery.IDEMPOTENT_JOB`).

An e-mail is an `OutgoingEmail` row plus an outbox message for the task that
sends it, so a page never waits on the mail server either.
"""
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    task = models.CharField(_("任务"), max_length=200)
    args = models.JSONField(_("位置参数"), default=list, blank=True)
    kwargs = models.JSONField(_("关键字参数"), default=dict, blank=True)
    queue = models.CharField(_("队列"), max_length=100, blank=True, help_text=_("空：默认队列"))
    # The Celery task id: the same on every attempt, so a message published twice is recognisable.
    task_id = models.UUIDField(_("任务编号"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("发送失败次数"), default=0)
    last_attempt_at = models.DateTimeField(_("最近失败时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("待发送任务")
        verbose_name_plural = _("待发送任务")
        ordering = ["pk"]
        indexes = [models.Index(fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_pending")]

    def __str__(self):
        return f"{self.task}{tuple(self.args)} #{self.pk}"


class OutgoingEmail(models.Model):
    subject = models.CharField(_("主题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)
    recipients = models.JSONField(_("收件人"), default=list)
    source = models.CharField(_("来源"), max_length=200, blank=True, help_text=_("例如 notification:order-5-issued"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("发送失败次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("通知邮件")
        verbose_name_plural = _("通知邮件")
        ordering = ["-pk"]

    def __str__(self):
        return self.subject
