from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a backup (a portal-YYYYmmdd-HHMMSS directory written by `backup`) into the EMPTY "
            "database of DATABASE_URL (created when missing; refused when it holds any table) and an "
            "empty MEDIA_ROOT, then check every table's row count against the backup's.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the backup directory, e.g. var/backups/portal-20261201-030000")

    def handle(self, *args, backup, **options):
        try:
            manifest = backup_restore(path=Path(backup).resolve())
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        self.stdout.write(f"restored {backup} (taken {manifest['created_at']} from {manifest['database']}): "
                          f"{len(manifest['tables'])} tables, {rows} rows, {manifest['media_files']} media files; "
                          "row counts checked")
