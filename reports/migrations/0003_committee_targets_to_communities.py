"""The committee-formation targets move to communities.CommitteeTarget, their one place (the place lists
and the district's yearly steps read them there; this app may read communities, not the other way round).

City and district rows become 组建率 CommitteeTarget rows of the same year (a district row already copied
from the district policy for that year is kept); street and community rows have no counterpart (targets
are set per district) and are dropped. Backwards, the city's and districts' rate rows come back here.
"""
from django.db import migrations

CODE = "committee_formation"


def to_communities(apps, schema_editor):
    Target = apps.get_model("reports", "Target")
    CommitteeTarget = apps.get_model("communities", "CommitteeTarget")
    for row in Target.objects.filter(indicator=CODE, level__in=["city", "district"]):
        CommitteeTarget.objects.get_or_create(
            district_id=row.area_id if row.level == "district" else None, year=row.year,
            defaults={"form": "rate", "value": row.value, "source": row.source})
    Target.objects.filter(indicator=CODE).delete()


def to_reports(apps, schema_editor):
    Target = apps.get_model("reports", "Target")
    CommitteeTarget = apps.get_model("communities", "CommitteeTarget")
    for row in CommitteeTarget.objects.filter(form="rate"):
        Target.objects.get_or_create(
            indicator=CODE, level="district" if row.district_id else "city", area_id=row.district_id,
            year=row.year, defaults={"value": row.value, "source": row.source})


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_seed_targets"), ("communities", "0007_street_stations")]
    operations = [migrations.RunPython(to_communities, to_reports)]
