import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Back up the PostgreSQL database (pg_dump, custom format) and MEDIA_ROOT into "
            "BACKUP_DIR/portal-YYYYmmdd-HHMMSS/ (README: Backup and restore).")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=os.environ.get("BACKUP_DIR") or str(settings.VAR_DIR / "backups"),
                            help="where to write the backup (default: $BACKUP_DIR or var/backups)")

    def handle(self, *args, dir, **options):
        try:
            path = backup_create(directory=Path(dir).resolve(), now=timezone.localtime())
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
