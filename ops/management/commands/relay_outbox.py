from django.core.management.base import BaseCommand
from django.utils import timezone

from ops.services import outbox_relay


class Command(BaseCommand):
    help = "Publish the pending outbox messages to the broker now (beat does it every minute)."

    def handle(self, *args, **options):
        total = 0
        while True:
            result = outbox_relay(now=timezone.now())
            total += result.sent
            if result.failed:
                self.stderr.write(f"sent {total}; {result.failed} still pending: {result.error}")
                raise SystemExit(1)
            if not result.sent:
                break
        self.stdout.write(f"sent {total}; none pending")
