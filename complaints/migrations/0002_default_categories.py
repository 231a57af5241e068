"""The DOMAIN §7 categories as data (a district maps its hotline's category codes onto them)."""
from django.db import migrations

CATEGORIES = [
    ("sanitation", "环境卫生"),
    ("order_parking", "秩序与停车"),
    ("facilities", "设施设备"),
    ("fees", "物业收费"),
    ("decoration", "装修与违建"),
    ("group_rental", "群租"),
    ("attitude", "服务态度"),
    ("other", "其他"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
