"""The ratings services take the time as an input and never read the clock (ARCHITECTURE.md, "Time is an input").

Every test here works in 2031, years away from the real clock, and does not freeze time: a service that
read the clock instead of the `now=`/`today=` it is given would stamp the present day, or refuse a 2031
application window, and the test would fail.

The world: 梅花园 (firm 甲, contract still running) is accepted for 2031, inspected once at 88.0 in 2031Q1,
opinion 80, satisfaction 90: 88×0.7 + 80×0.1 + 90×0.2 = 61.6 + 8 + 18 = 87.60 -> 5★.
"""
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from ratings.models import Application, ApplicationStatus, AppealStatus, PeriodStatus, RatingPeriod, StarRating
from ratings.services.applications import application_submit
from ratings.services.periods import (
    appeal_decide,
    appeal_submit,
    period_announce,
    period_publish,
    period_recompute,
    period_run,
    run_all_districts,
    run_period,
    scheduled_run,
)

from ratings.tasks import run_quarterly_ratings_task

from .conftest import accept, components, inspected

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
RUN = datetime.datetime(2031, 4, 6, 2, 0, tzinfo=SHANGHAI)  # the night job's run, 2031Q1 just ended
ANNOUNCE = datetime.datetime(2031, 4, 8, 9, 30, tzinfo=SHANGHAI)  # appeal window to 2031-04-15


@pytest.fixture
def world_2031(rating_world):
    w = rating_world
    accept(w, w.estate_a1, year=2031)
    inspected(w, w.estate_a1, ["88.0"], day=datetime.date(2031, 2, 10))
    components(w, w.estate_a1, "80", "90", year=2031, quarter=1)
    return w


def _stamps(period: RatingPeriod) -> tuple:
    period.refresh_from_db()
    rating = StarRating.objects.current().get(period=period)
    return period.computed_at, rating.computed_at


def _announced(w) -> RatingPeriod:
    period = run_period(district=w.shanting, year=2031, quarter=1, today=RUN.date(), now=RUN)
    return period_announce(actor=w.users["district_admin"], period=period, today=ANNOUNCE.date(), now=ANNOUNCE)


def test_run_period_stamps_the_computation_with_the_given_now(world_2031):
    w = world_2031
    period = run_period(district=w.shanting, year=2031, quarter=1, today=RUN.date(), now=RUN)
    assert _stamps(period) == (RUN, RUN)
    assert StarRating.objects.get(period=period).score == Decimal("87.60")
    # A rerun a night later with a changed input restamps the period and the changed row with its own now.
    inspected(w, w.estate_a1, ["98.0"], day=datetime.date(2031, 3, 1))  # mean 93.00: 65.1 + 8 + 18 = 91.10
    later = RUN + datetime.timedelta(days=1)
    run_period(district=w.shanting, year=2031, quarter=1, today=later.date(), now=later)
    assert _stamps(period) == (later, later)


def test_scheduled_run_and_run_all_districts_pass_the_given_now_down(world_2031):
    w = world_2031
    periods = scheduled_run(today=RUN.date(), now=RUN)  # run day 5: 2031-04-06 is due for 2031Q1
    assert {(p.district.name, p.label) for p in periods} == {("山亭区", "2031Q1"), ("管城回族区", "2031Q1")}
    assert all(p.computed_at == RUN for p in RatingPeriod.objects.filter(year=2031))
    later = RUN + datetime.timedelta(days=1)
    [gc] = run_all_districts(year=2031, quarter=1, today=later.date(), now=later, district_ids=[w.guancheng.pk])
    gc.refresh_from_db()
    assert gc.computed_at == later
    assert RatingPeriod.objects.get(district=w.shanting, year=2031).computed_at == RUN  # not in district_ids


def test_period_run_by_hand_stamps_the_given_now(world_2031):
    w = world_2031
    by_hand = datetime.datetime(2031, 4, 7, 16, 45, tzinfo=SHANGHAI)
    period = period_run(actor=w.users["district_admin"], district=w.shanting, year=2031, quarter=1,
                        today=by_hand.date(), now=by_hand)
    assert _stamps(period) == (by_hand, by_hand)


def test_period_announce_stamps_announced_at_with_the_given_now(world_2031):
    w = world_2031
    period = _announced(w)
    period.refresh_from_db()
    assert (period.status, period.announced_at, period.appeal_deadline) == (
        PeriodStatus.ANNOUNCED, ANNOUNCE, datetime.date(2031, 4, 15))
    assert period.computed_at == RUN  # announcing computes nothing


def test_period_recompute_stamps_the_computation_with_the_given_now(world_2031):
    w = world_2031
    period = _announced(w)
    inspected(w, w.estate_a1, ["98.0"], day=datetime.date(2031, 3, 1))  # mean 93.00 -> 91.10
    recomputed = datetime.datetime(2031, 4, 10, 11, 20, tzinfo=SHANGHAI)
    period = period_recompute(actor=w.users["district_admin"], period=period, reason="补录 3 月检查",
                              today=recomputed.date(), now=recomputed)
    assert _stamps(period) == (recomputed, recomputed)
    assert StarRating.objects.get(period=period).score == Decimal("91.10")
    assert (period.announced_at, period.appeal_deadline) == (ANNOUNCE, datetime.date(2031, 4, 17))


def test_period_publish_stamps_published_at_with_the_given_now(world_2031):
    w = world_2031
    period = _announced(w)
    published = datetime.datetime(2031, 4, 16, 10, 5, tzinfo=SHANGHAI)  # the day after the window
    period = period_publish(actor=w.users["district_admin"], period=period, today=published.date(), now=published)
    period.refresh_from_db()
    assert (period.status, period.published_at) == (PeriodStatus.PUBLISHED, published)


def test_appeal_decide_stamps_decided_at_with_the_given_now(world_2031):
    w = world_2031
    period = _announced(w)
    appeal = appeal_submit(actor=w.users["firm_user"], rating=StarRating.objects.get(period=period),
                           reason="3 月整改已完成", today=datetime.date(2031, 4, 9))
    decided = datetime.datetime(2031, 4, 11, 15, 0, tzinfo=SHANGHAI)
    appeal_decide(actor=w.users["district_admin"], appeal=appeal, upheld=True, decision="复核属实",
                  adjusted_tier=4, now=decided)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_at, appeal.decided_by) == (
        AppealStatus.UPHELD, decided, w.users["district_admin"])


def test_application_window_is_checked_against_the_given_today(rating_world):
    # Default window 01-01 to 03-31 of the rated year (the policy's application_start/application_end).
    w = rating_world
    with pytest.raises(ValidationError, match="当前不在申报期内"):
        application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2031,
                           today=datetime.date(2031, 4, 1))
    [app] = application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2031,
                               today=datetime.date(2031, 3, 31))
    assert (app.year, app.status) == (2031, ApplicationStatus.SUBMITTED)
    assert Application.objects.count() == 1


# The edges read the clock, once each: the task and the command (time frozen here, ticking, on purpose).

def test_the_nightly_task_reads_the_clock_once_for_the_day_and_the_stamp(world_2031):
    with time_machine.travel(RUN, tick=True):
        names = run_quarterly_ratings_task()
    assert sorted(names) == ["山亭区 2031Q1", "管城回族区 2031Q1"]
    stamps = set(RatingPeriod.objects.filter(year=2031, quarter=1).values_list("computed_at", flat=True))
    [stamp] = stamps  # one read: both districts carry the same moment, though the clock ticked between them
    assert RUN <= stamp < RUN + datetime.timedelta(minutes=1)


def test_the_management_command_reads_the_clock_once_for_every_district(world_2031):
    with time_machine.travel(RUN, tick=True):
        call_command("run_star_ratings", "--period", "2031Q1")
    [stamp] = set(RatingPeriod.objects.filter(year=2031, quarter=1).values_list("computed_at", flat=True))
    assert RUN <= stamp < RUN + datetime.timedelta(minutes=1)
    assert StarRating.objects.get(period__district__name="山亭区", period__year=2031).computed_at == stamp
