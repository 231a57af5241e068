"""Seed 2004–2026 from the chinesecalendar library (workdays/seeding.py)."""
from django.db import migrations
from django.utils import timezone

from workdays.seeding import library_years, seed_from_library


def seed(apps, schema_editor):
    seed_from_library(year_model=apps.get_model("workdays", "CalendarYear"),
                      day_model=apps.get_model("workdays", "CalendarDay"), now=timezone.now())


def unseed(apps, schema_editor):
    year_model = apps.get_model("workdays", "CalendarYear")
    day_model = apps.get_model("workdays", "CalendarDay")
    years = year_model.objects.filter(source="library", year__in=library_years())
    day_model.objects.filter(year__in=years).delete()
    years.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
