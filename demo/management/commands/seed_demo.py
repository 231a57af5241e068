"""`python manage.py seed_demo`: the demo data for `make run` (demo/world.py and its parts).

The clock is read once, here; every date the demo writes follows from that moment (demo/dates.py), so the
README tour can be walked on the day the command runs. Idempotent: a second run adds nothing.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.dates import demo_dates
from demo.world import DEMO_PASSWORD, Seeder
from workdays.models import CalendarDay, CalendarYear
from workdays.seeding import seed_from_library


class Command(BaseCommand):
    help = "Create the demo districts, estates, firms, committees, users and a supervision cycle dated from today (idempotent)."

    def handle(self, *args, **options):
        now = timezone.now()
        seeder = Seeder()
        with transaction.atomic():
            # The working-day calendar the dates count on comes with a data migration; a flushed database
            # has none: the years the library knows are put back first (a rerun adds none).
            calendar_years = seed_from_library(year_model=CalendarYear, day_model=CalendarDay, now=now)
            if calendar_years:
                seeder.say("working-day calendar years", len(calendar_years))
            seeder.run(demo_dates(now))
        if seeder.created:
            for label, count in sorted(seeder.created.items()):
                self.stdout.write(f"  created {count:4d} {label}")
            self.stdout.write(self.style.SUCCESS(
                f"Demo data ready. Demo users' password: {DEMO_PASSWORD}"))
        else:
            self.stdout.write(self.style.SUCCESS("Demo data already present: nothing to do."))
