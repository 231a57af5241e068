"""The city's targets from the municipal policy (驻政办〔2018〕10号, "到2020年"): owner-committee formation
≥ 80 %, complaint handling 100 %, full property-management coverage of the estates. They hold from 2020 on
until a later row replaces them (reports.models.Target).

郑州经开区's yearly committee steps (郑经管办〔2018〕92号: 30 % / 40 % / 30 % in 2018–2020) are not seeded: no
district of that name exists in the portal's data (the demo has 山亭区 and 管城回族区), and a migration runs
before any district is created. A data keeper enters them in the admin (区域层级 区) once the district exists.
"""
from decimal import Decimal

from django.db import migrations

SOURCE = "驻政办〔2018〕10号"
CITY_TARGETS = (("coverage", Decimal("100.0")), ("committee_formation", Decimal("80.0")),
                ("complaint_handling", Decimal("100.0")))


def seed(apps, schema_editor):
    Target = apps.get_model("reports", "Target")
    for code, value in CITY_TARGETS:
        Target.objects.get_or_create(indicator=code, level="city", area_id=None, year=2020,
                                     defaults={"value": value, "source": SOURCE})


def unseed(apps, schema_editor):
    Target = apps.get_model("reports", "Target")
    Target.objects.filter(level="city", year=2020, source=SOURCE,
                          indicator__in=[code for code, _ in CITY_TARGETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
