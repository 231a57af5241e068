from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from enterprises.credit.scores import credit_year_run


class Command(BaseCommand):
    help = ("计算指定年度的企业信用记分（与 1 月的定时任务相同，可重复运行；已审核或已公布的年度不再改变）。"
            "例：--year 2026")

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, type=int, help="年度，如 2026")

    def handle(self, *args, year, **options):
        try:
            cy = credit_year_run(year=year, today=timezone.localdate(), now=timezone.now())
        except ValidationError as e:
            raise CommandError("；".join(e.messages))
        scores = cy.scores.all()
        levels = {}
        for level in scores.values_list("level", flat=True):
            levels[level] = levels.get(level, 0) + 1
        summary = "，".join(f"{k} {levels[k]} 家" for k in ("AAA", "AA", "A", "B", "C") if k in levels) or "无"
        self.stdout.write(f"{cy.year} 年度：{scores.count()} 家企业（{summary}），{cy.get_status_display()}")
