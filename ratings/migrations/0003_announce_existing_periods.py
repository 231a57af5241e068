"""Periods computed before the announcement step existed.

A provisional period with an appeal deadline had, in effect, been announced
(its results were shown to the firms and the window was running): it becomes
`announced`, announced when it was computed. A published period was
announced when it was computed too. Ratings get version 1 by the field's
default (0002).
"""
from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    RatingPeriod = apps.get_model("ratings", "RatingPeriod")
    RatingPeriod.objects.filter(status="provisional", appeal_deadline__isnull=False).update(
        status="announced", announced_at=F("computed_at"))
    RatingPeriod.objects.filter(status="published", announced_at__isnull=True).update(
        announced_at=F("computed_at"))


def backwards(apps, schema_editor):
    RatingPeriod = apps.get_model("ratings", "RatingPeriod")
    RatingPeriod.objects.filter(status="announced").update(status="provisional")
    RatingPeriod.objects.update(announced_at=None, announced_by=None)


class Migration(migrations.Migration):
    dependencies = [("ratings", "0002_period_announcement_rating_versions_recheck")]

    operations = [migrations.RunPython(forwards, backwards)]
