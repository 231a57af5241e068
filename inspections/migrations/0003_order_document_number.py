"""Rectification orders get a document number per issuing street and year ("山城整改〔2026〕第 007 号").

Existing orders are numbered here in the order they were issued (issued_at, then pk), per street of their
estate and per year of issue in the portal's time zone; new orders are numbered by order_issue. The
constraints come before the data so that the ALTER TABLEs do not meet pending FK triggers on PostgreSQL."""
import zoneinfo
from collections import defaultdict

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    Order = apps.get_model("inspections", "RectificationOrder")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    last = defaultdict(int)  # (street id, year) -> last sequence given
    rows = (Order.objects.filter(doc_seq__isnull=True).order_by("issued_at", "pk")
            .values_list("pk", "issued_at", "estate__community__street_id"))
    for pk, issued_at, street_id in rows.iterator(chunk_size=2000):
        year = issued_at.astimezone(zone).year if issued_at.tzinfo else issued_at.year
        last[street_id, year] += 1
        Order.objects.filter(pk=pk).update(doc_street_id=street_id, doc_year=year, doc_seq=last[street_id, year])


class Migration(migrations.Migration):

    dependencies = [
        ('communities', '0006_districtpolicy_rectification_deadline_unit'),
        ('enterprises', '0003_firm_credit'),
        ('inspections', '0002_list_order_indexes_drop_prefix_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='rectificationorder',
            name='doc_seq',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='发文序号'),
        ),
        migrations.AddField(
            model_name='rectificationorder',
            name='doc_street',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='communities.street', verbose_name='发文街道'),
        ),
        migrations.AddField(
            model_name='rectificationorder',
            name='doc_year',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='发文年度'),
        ),
        migrations.AddConstraint(
            model_name='rectificationorder',
            constraint=models.UniqueConstraint(fields=('doc_street', 'doc_year', 'doc_seq'), name='unique_order_doc_number'),
        ),
        migrations.AddConstraint(
            model_name='rectificationorder',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('doc_seq__isnull', True), ('doc_street__isnull', True), ('doc_year__isnull', True)), models.Q(('doc_seq__isnull', False), ('doc_street__isnull', False), ('doc_year__isnull', False)), _connector='OR'), name='order_doc_number_complete'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
