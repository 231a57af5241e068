"""The complaints part of `manage.py seed_demo` (demo/complaints.py).

The demo is relative to the day it runs; these tests run it on fixed days (time-machine) so the figures can
be written out by hand: 2026-12-01 (a Tuesday; the last working day before it, d(1), is Monday 11-30), and
2026-10-09, the day after 国庆 2026, when the last weeks before it fall in 2026Q3, whose rating cycle is not over
(it is announced on 10-08, appeals run to 10-15): the demo's published quarter is 2026Q2, and the major
complaint disqualifies in 2026Q3, still open.
"""
import datetime
import re
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from communities.models import Street
from complaints.models import (
    Action,
    Complaint,
    ComplaintEvent,
    EstateAlias,
    ImportMapping,
    ImportRun,
    ImportStatus,
    Satisfaction,
    Source,
    Status,
)
from complaints.selectors import my_tasks, triage_queue
from complaints.services.imports import import_run_confirm, import_run_upload
from ratings.models import Disqualification, PeriodStatus, RatingPeriod

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
SEEDS_DIR = Path("/work/shared/seeds")


@pytest.fixture
def demo_dirs(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.VAR_DIR


def seed_on(moment: datetime.datetime):
    with time_machine.travel(moment, tick=True):
        call_command("seed_demo", verbosity=0)


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def tasks(username: str, now: datetime.datetime) -> dict:
    return dict(Counter(my_tasks(User.objects.get(username=username), now).values_list("task", flat=True)))


def test_demo_month_of_complaints(demo_dirs):
    moment = datetime.datetime(2026, 12, 1, 14, 30, tzinfo=TZ)
    seed_on(moment)
    street = Street.objects.get(name="山城街道")
    orders = Complaint.objects.filter(street=street)

    # Every status, counted by hand from the script (cases: merged reports left out).
    assert dict(Counter(orders.values_list("status", flat=True))) == {
        Status.RECEIVED: 3,       # 外来车辆 (to assign), the unmatched 家属楼 address, one unmatched 12345 row
        Status.ASSIGNED: 7,       # 死老鼠 (firm_user), 飞线充电 (firm_user2, late, 催办), five on 龙珠百合 (no account)
        Status.SIGNED: 3,         # 路灯 (late), the reopened 漏水, 违建 with an extension pending
        Status.ANSWERED: 3,       # 客服态度, the major 二次供水, the merged 化粪池 case
        Status.CALLED_BACK: 1,    # 垃圾分类桶
        Status.CLOSED: 31,
        Status.RETURNED: 1,       # 占道经营
        Status.MERGED: 2,
    }
    assert orders.count() == Complaint.objects.count() == 51
    closed = orders.filter(status=Status.CLOSED)
    assert dict(Counter(closed.values_list("satisfaction", flat=True))) == {
        Satisfaction.SATISFIED: 17, Satisfaction.BASIC: 6, Satisfaction.UNSATISFIED: 4,
        "": 4}  # no callback: closed by the street (no firm, praise, consultation) or not reached
    assert set(orders.values_list("source", flat=True)) == set(Source.values)
    assert orders.filter(source=Source.HOTLINE).count() == 24
    assert orders.filter(reopened_count=1).get().status == Status.SIGNED
    assert orders.filter(status=Status.RETURNED).get().events.filter(action=Action.RETURN).exists()
    assert orders.exclude(excluded="").count() == 1

    # All within the past month, none today, every step stamped with the moment it happened.
    first, last = (timezone.localtime(m).date() for m in (orders.order_by("received_at")[0].received_at,
                                                          orders.order_by("-received_at")[0].received_at))
    assert datetime.date(2026, 10, 20) <= first and last == datetime.date(2026, 11, 30)
    events = ComplaintEvent.objects.filter(complaint__street=street)
    assert events.filter(at__gte=datetime.datetime(2026, 12, 1, tzinfo=TZ)).count() == 0
    assert not events.filter(at__lt=datetime.datetime(2026, 10, 20, tzinfo=TZ)).exists()

    # Late clocks, each marked once by the hourly job (one 超时 event per late clock).
    assert orders.filter(sign_overdue=True).count() == 10
    assert orders.filter(answer_overdue=True).count() == 4
    assert events.filter(action=Action.OVERDUE).count() == 14
    charging = orders.get(title="楼下电动车飞线充电")
    assert (charging.sign_overdue, charging.sign_escalation) == (True, 3)  # firm, street, district told
    assert charging.events.filter(action=Action.URGE).count() == 1
    smell = orders.get(title="绿化带里有死老鼠气味难闻")
    assert not smell.sign_overdue and smell.sign_due_at == datetime.datetime(2026, 12, 2, tzinfo=TZ)

    # One merged case: three reports of one matter on 锦绣花园, each keeping its number and complainant.
    case = orders.filter(status=Status.MERGED).first().merged_into
    reports = list(case.merged_reports.all())
    assert len(reports) == 2 and {r.status for r in reports} == {Status.MERGED}
    assert {r.estate_id for r in reports} == {case.estate_id} and case.estate.name == "锦绣花园"
    assert len({case.number, *(r.number for r in reports)}) == 3
    assert len({case.complainant_phone, *(r.complainant_phone for r in reports)}) == 3
    assert case.status == Status.ANSWERED and case.supervision_flagged and not case.supervised

    # One major complaint, disqualifying 银光上城 in 2026Q4 (the open quarter; 2026Q3 is published).
    major = orders.get(major=True)
    record = Disqualification.objects.get()
    assert major.disqualification == record and record.complaint == major
    assert (record.estate.name, record.year, record.quarter, record.withdrawn_at) == ("银光上城", 2026, 4, None)
    assert "重大投诉" in record.reason
    assert RatingPeriod.objects.get(year=2026, quarter=3).status == PeriodStatus.PUBLISHED
    assert not RatingPeriod.objects.filter(year=2026, quarter=4, status=PeriodStatus.PUBLISHED).exists()
    assert major.supervised and major.source == Source.SUPERVISION
    assert major.events.filter(action=Action.DISPATCH).exists()

    # Work waiting in 我的待办 for each demo account of the handling chain.
    now = timezone.now()
    assert tasks("street_staff", now) == {"assign": 2, "callback": 3, "close": 1, "extension": 1}
    assert tasks("firm_user", now) == {"sign": 1, "answer": 2}
    assert tasks("firm_user2", now) == {"sign": 1, "answer": 1}
    assert tasks("district_admin", now) == {"supervise": 2}
    assert triage_queue(User.objects.get(username="street_staff")).count() == 2

    # The 12345 import: the district's ready mapping, the file left in var/, aliases known to the matcher.
    run = ImportRun.objects.get()
    assert (run.status, run.total_rows, run.created_count, run.triage_count, run.original_name) == (
        ImportStatus.DONE, 24, 24, 2, "demo-12345.xlsx")
    assert run.mapping == ImportMapping.objects.get(district=street.district, name="12345 热线标准导出")
    assert ImportMapping.objects.filter(district__name="管城回族区").exists()
    month = demo_dirs / "demo-12345.xlsx"
    assert month.read_bytes() == run.file.open("rb").read()
    assert set(EstateAlias.objects.values_list("name", flat=True)) == {"梅花园二期", "锦绣花园东区"}

    # Made-up complainants: three-character Faker names, phones in the fictitious 138-0000 block.
    names = set(orders.values_list("complainant_name", flat=True))
    assert all(len(n) == 3 for n in names) and len(names) > 40
    assert all(re.fullmatch(r"1380000\d{4}", p) for p in orders.values_list("complainant_phone", flat=True))
    if SEEDS_DIR.is_dir():
        text = re.sub(r"\s+", "", "".join(p.read_text(encoding="utf-8") for p in SEEDS_DIR.glob("*.txt")))
        assert sorted(n for n in names if n in text) == []

    # The week's file is fresh: the tour's import step creates 12 orders, one for the triage queue.
    week = demo_dirs / "demo-12345-week.xlsx"
    sheet = openpyxl.load_workbook(week, read_only=True).active
    numbers = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(numbers) == 12 and not Complaint.objects.filter(external_no__in=numbers).exists()
    clerk = User.objects.get(username="street_staff")
    with time_machine.travel(moment + datetime.timedelta(hours=2), tick=True):
        tour = import_run_upload(actor=clerk, street=street, mapping=run.mapping, now=timezone.now(),
                                 uploaded_file=SimpleUploadedFile(week.name, week.read_bytes()))
        tour = import_run_confirm(actor=clerk, run=tour, now=timezone.now())
    assert (tour.status, tour.created_count, tour.duplicate_count, tour.triage_count) == (
        ImportStatus.DONE, 12, 0, 1)


def test_demo_rerun_creates_nothing_and_restores_the_files(demo_dirs):
    seed_on(datetime.datetime(2026, 12, 1, 14, 30, tzinfo=TZ))
    before = row_counts()
    month, week = demo_dirs / "demo-12345.xlsx", demo_dirs / "demo-12345-week.xlsx"
    month_bytes, week_bytes = month.read_bytes(), week.read_bytes()

    # Next week, the files still there: nothing written, the files untouched.
    seed_on(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=TZ))
    assert row_counts() == before
    assert (month.read_bytes(), week.read_bytes()) == (month_bytes, week_bytes)

    # Someone deleted var/'s files: they come back (the imported one as it was read), still no row written.
    month.unlink()
    week.unlink()
    seed_on(datetime.datetime(2026, 12, 8, 9, 30, tzinfo=TZ))
    assert row_counts() == before
    assert month.read_bytes() == month_bytes
    sheet = openpyxl.load_workbook(week, read_only=True).active
    numbers = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(numbers) == 12 and not Complaint.objects.filter(external_no__in=numbers).exists()


def test_demo_after_national_day_keeps_the_major_complaint_in_its_unpublished_quarter(demo_dirs):
    # 2026-10-09: d(1) is 10-08, d(2)…d(5) are 09-30, 09-29, 09-28, 09-24 (中秋 on 09-25), d(6) is 09-23.
    seed_on(datetime.datetime(2026, 10, 9, 15, 0, tzinfo=TZ))
    # 2026Q3 cannot be published yet (its appeals run to 10-15): the demo published 2026Q2 in July.
    assert list(RatingPeriod.objects.values_list("year", "quarter", "status")) == [(2026, 2, PeriodStatus.PUBLISHED)]
    record = Disqualification.objects.get()
    assert (record.year, record.quarter, record.occurred_on, record.withdrawn_at) == (
        2026, 3, datetime.date(2026, 9, 23), None)
    major = Complaint.objects.get(major=True)
    assert timezone.localtime(major.received_at).date() == datetime.date(2026, 9, 23)
    # Its answer, two working days later (09-28), has happened: it waits for the callback.
    assert major.status == Status.ANSWERED
    assert not ComplaintEvent.objects.filter(at__gte=datetime.datetime(2026, 10, 9, tzinfo=TZ)).exists()
    statuses = Counter(Complaint.objects.values_list("status", flat=True))
    assert (statuses[Status.SIGNED], statuses[Status.ANSWERED], sum(statuses.values())) == (3, 3, 51)
