from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from communities.models import District
from subsidies.services.generation import generate_all, parse_month


class Command(BaseCommand):
    help = "生成指定月份的效能补贴批次（与每月定时任务相同，可重复运行）。例：--month 2025-03"

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="月份，如 2025-03")
        parser.add_argument("--district", help="区名称（默认全部区）")

    def handle(self, *args, month, district=None, **options):
        try:
            target = parse_month(month)
        except ValidationError as e:
            raise CommandError("；".join(e.messages))
        ids = None
        if district:
            d = District.objects.filter(name=district).first()
            if d is None:
                raise CommandError(f"找不到区“{district}”。")
            ids = [d.pk]
        try:
            batches = generate_all(month=target, district_ids=ids)
        except ValidationError as e:
            raise CommandError("；".join(e.messages))
        if not batches:
            self.stdout.write(f"{target:%Y-%m} 不在任何区的补贴期内，未生成批次。")
        for b in batches:
            flag = "（超出年度预算）" if b.over_budget else ""
            self.stdout.write(f"{b}: {b.line_count} 条明细，合计 {b.total} 元{flag}")
