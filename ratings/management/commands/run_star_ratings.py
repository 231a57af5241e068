import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from communities.models import District
from ratings.services.periods import run_period


class Command(BaseCommand):
    help = ("计算指定季度的星级评定暂定结果（与季度定时任务相同，可重复运行；已公示或已公布的季度不再改变）。"
            "例：--period 2025Q1")

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="季度，如 2025Q1")
        parser.add_argument("--district", help="区名称（默认全部区）")

    def handle(self, *args, period, district=None, **options):
        m = re.fullmatch(r"(\d{4})[Qq]([1-4])", period.strip())
        if not m:
            raise CommandError(f"季度格式应为“2025Q1”，收到“{period}”。")
        year, quarter = int(m[1]), int(m[2])
        districts = District.objects.all()
        if district:
            districts = districts.filter(name=district)
            if not districts.exists():
                raise CommandError(f"找不到区“{district}”。")
        now = timezone.now()  # read once: every district's run is stamped with the same moment
        for d in districts:
            try:
                p = run_period(district=d, year=year, quarter=quarter, today=timezone.localdate(now), now=now)
            except ValidationError as e:
                raise CommandError("；".join(e.messages))
            rated = p.ratings.current().filter(tier__gt=0).count()
            self.stdout.write(f"{p}: {p.ratings.current().count()} 个小区，{rated} 个评星（{p.get_status_display()}）")
