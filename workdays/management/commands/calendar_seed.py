from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from workdays.models import CalendarDay, CalendarYear
from workdays.seeding import library_years, seed_from_library


class Command(BaseCommand):
    help = "Seed the working-day calendar from chinesecalendar for the years it knows and the table lacks."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years",
                            help="only this year (repeatable); default: every year the library knows")

    def handle(self, *args, years=None, **options):
        known = library_years()
        unknown = [y for y in years or () if y not in known]
        if unknown:
            self.stderr.write(f"chinesecalendar has no data for {', '.join(map(str, unknown))}; "
                              "enter those years on the 工作日历 pages.")
        with transaction.atomic():
            created = seed_from_library(year_model=CalendarYear, day_model=CalendarDay, now=timezone.now(),
                                        years=[y for y in years if y in known] if years else None)
        self.stdout.write(f"Seeded {len(created)} year(s): {', '.join(map(str, created)) or 'none'} "
                          f"(library knows {known[0]}–{known[-1]}).")
