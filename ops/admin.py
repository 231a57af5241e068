from django.contrib import admin

from .models import OutboxMessage, OutgoingEmail
from .services import SEND_EMAIL_TASK, outbox_enqueue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: the relay (beat, every minute, or `manage.py relay_outbox`) sends pending messages."""

    list_display = ["id", "task", "args", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), "task"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "source", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "source"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="重新发送所选未发出的邮件")
    def send_again(self, request, queryset):
        pending = list(queryset.filter(sent_at__isnull=True).values_list("pk", flat=True))
        for pk in pending:
            outbox_enqueue(task=SEND_EMAIL_TASK, args=[pk])
        self.message_user(request, f"已安排重新发送 {len(pending)} 封邮件（已发出的不会重复发送）。")
