"""The quarterly job against worked examples written by hand."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from ratings.models import Disqualification, NoTierReason, PeriodStatus, RatingPolicy, StarRating
from ratings.selectors import published_tier, yearly_rating
from ratings.services.periods import period_announce, period_publish, run_period
from tests.factories import EstateFactory

from .conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db
AFTER_Q1 = datetime.date(2025, 4, 6)


def publish(world, period, announced_on):
    """Announce on `announced_on` and publish the day after the appeal window."""
    period = period_announce(actor=world.users["district_admin"], period=period, today=announced_on,
                             now=moment(announced_on))
    after = period.appeal_deadline + datetime.timedelta(days=1)
    return period_publish(actor=world.users["district_admin"], period=period, today=after, now=moment(after))


def rate(world, estate):
    run_period(district=world.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    return StarRating.objects.get(period__year=2025, period__quarter=1, estate=estate)


@pytest.mark.parametrize("insp, opinion, satisfaction, score, tier", [
    # 85.00 exactly -> 5★:  85×0.7 + 85×0.1 + 85×0.2 = 59.5 + 8.5 + 17 = 85.00
    (["85.0"], "85", "85", "85.00", 5),
    # 84.99 -> 4★: 85×0.7 + 84.9×0.1 + 85×0.2 = 59.5 + 8.49 + 17 = 84.99
    (["85.0"], "84.9", "85", "84.99", 4),
    # 80.00 -> 4★ and 79.99 -> 3★ (boundary below): 80×0.7 + 79.9×0.1 + 80×0.2 = 56 + 7.99 + 16
    (["80.0"], "80", "80", "80.00", 4),
    (["80.0"], "79.9", "80", "79.99", 3),
    # 65.00 -> 1★: 65 everywhere
    (["65.0"], "65", "65", "65.00", 1),
    # 64.99 -> no star: 65×0.7 + 64.9×0.1 + 65×0.2 = 45.5 + 6.49 + 13 = 64.99
    (["65.0"], "64.9", "65", "64.99", 0),
    # Mean of 90.5, 88.0, 87.5 = 266/3 = 88.666… -> 88.67; 88.67×0.7 = 62.069; + 9.0 + 18.0 = 89.069 -> 89.07
    (["90.5", "88.0", "87.5"], "90", "90", "89.07", 5),
    # Half-up on the mean: 70.5 and 70.0 -> 70.25; ×0.7 = 49.175; +7 +14 = 70.175 -> 70.18 (2★)
    (["70.5", "70.0"], "70", "70", "70.18", 2),
])
def test_score_and_tier_worked_examples(rating_world, insp, opinion, satisfaction, score, tier):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, insp)
    components(w, w.estate_a1, opinion, satisfaction)
    r = rate(w, w.estate_a1)
    assert r.score == Decimal(score)
    assert r.tier == tier
    assert r.no_tier_reason == ("" if tier else NoTierReason.BELOW)


def test_changed_weights_and_thresholds(rating_world):
    w = rating_world
    RatingPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 1, 1),
                                weight_inspection=Decimal("50"), weight_opinion=Decimal("20"),
                                weight_satisfaction=Decimal("30"), threshold_5=Decimal("90"),
                                threshold_4=Decimal("85"), threshold_3=Decimal("80"), threshold_2=Decimal("75"),
                                threshold_1=Decimal("70"))
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["90.0"])
    components(w, w.estate_a1, "80", "85")
    # 90×0.5 + 80×0.2 + 85×0.3 = 45 + 16 + 25.5 = 86.50 -> 4★ under 90/85/80/75/70 (5★ under the defaults)
    r = rate(w, w.estate_a1)
    assert (r.score, r.tier) == (Decimal("86.50"), 4)


def test_estate_without_inspection_is_flagged_not_zero(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    components(w, w.estate_a1, "90", "90")
    r = rate(w, w.estate_a1)
    assert (r.score, r.tier, r.no_tier_reason, r.inspection_count) == (None, 0, NoTierReason.NO_INSPECTION, 0)


def test_disqualified_estate_gets_no_tier(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["95.0"])
    components(w, w.estate_a1, "95", "95")
    Disqualification.objects.create(estate=w.estate_a1, year=2025, quarter=1, reason="小区内出现群租房",
                                    occurred_on=datetime.date(2025, 3, 1), evidence="现场核实",
                                    recorded_by=w.users["street_staff"])
    r = rate(w, w.estate_a1)
    assert (r.tier, r.no_tier_reason) == (0, NoTierReason.DISQUALIFIED)
    assert r.score == Decimal("95.00")  # shown for the record, not rewarded


def test_only_accepted_estates_take_part(rating_world):
    w = rating_world
    inspected(w, w.estate_b1, ["95.0"])
    components(w, w.estate_b1, "95", "95")
    run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    assert not StarRating.objects.exists()


def test_inspections_outside_the_quarter_do_not_count(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["60.0"], day=datetime.date(2025, 4, 1))
    inspected(w, w.estate_a1, ["90.0"], day=datetime.date(2025, 3, 31))
    components(w, w.estate_a1, "90", "90")
    assert rate(w, w.estate_a1).inspection_score == Decimal("90.00")


def test_rerun_gives_the_same_rows_and_never_duplicates(rating_world):
    w = rating_world
    for e in (w.estate_a1, w.estate_b1):
        accept(w, e)
        inspected(w, e, ["88.0"])
        components(w, e, "80", "90")
    run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    first = list(StarRating.objects.order_by("estate_id").values("estate_id", "score", "tier", "no_tier_reason"))
    run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    second = list(StarRating.objects.order_by("estate_id").values("estate_id", "score", "tier", "no_tier_reason"))
    assert first == second and len(second) == 2
    # 88×0.7 + 80×0.1 + 90×0.2 = 61.6 + 8 + 18 = 87.60
    assert {r["score"] for r in second} == {Decimal("87.60")}


def test_published_period_is_never_changed_by_a_rerun(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"])
    components(w, w.estate_a1, "80", "90")
    period = run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    publish(w, period, AFTER_Q1)
    inspected(w, w.estate_a1, ["10.0"])  # a late inspection must not move a published result
    run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    r = StarRating.objects.get()
    assert (r.score, r.tier) == (Decimal("87.60"), 5)


def test_publishing_before_announcement_twice_or_inside_the_appeal_window_is_refused(rating_world):
    w = rating_world
    period = run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    admin = w.users["district_admin"]
    with pytest.raises(ValidationError, match="尚未公示"):
        period_publish(actor=admin, period=period, today=datetime.date(2025, 5, 1),
                       now=moment(datetime.date(2025, 5, 1)))
    period = period_announce(actor=admin, period=period, today=AFTER_Q1, now=moment(AFTER_Q1))
    with pytest.raises(ValidationError, match="申诉期内不能公布"):
        period_publish(actor=admin, period=period, today=AFTER_Q1, now=moment(AFTER_Q1))
    later = period.appeal_deadline + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="管理员"):
        period_publish(actor=w.users["district_admin_gc"], period=period, today=later, now=moment(later))
    period_publish(actor=admin, period=period, today=later, now=moment(later))
    with pytest.raises(ValidationError, match="不能重复公布"):
        period_publish(actor=admin, period=period, today=later, now=moment(later))
    period.refresh_from_db()
    assert period.status == PeriodStatus.PUBLISHED


def test_unfinished_quarter_cannot_be_rated(rating_world):
    with pytest.raises(ValidationError, match="尚未结束"):
        run_period(district=rating_world.shanting, year=2025, quarter=2, today=datetime.date(2025, 6, 30),
                   now=moment(datetime.date(2025, 6, 30)))


def test_published_tier_holds_until_the_next_published_period(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"])
    components(w, w.estate_a1, "80", "90")
    q1 = run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    assert published_tier(w.estate_a1, datetime.date(2025, 4, 1)) is None  # provisional does not pay
    publish(w, q1, AFTER_Q1)
    assert published_tier(w.estate_a1, datetime.date(2025, 3, 1)) is None  # Q1 has not ended by March
    for month in (4, 5, 6, 7, 8):
        assert published_tier(w.estate_a1, datetime.date(2025, month, 1)).tier == 5
    # Q2: a worse quarter, published -> from July on the new tier holds.
    inspected(w, w.estate_a1, ["72.0"], day=datetime.date(2025, 5, 5))
    components(w, w.estate_a1, "72", "72", quarter=2)
    q2 = run_period(district=w.shanting, year=2025, quarter=2, today=datetime.date(2025, 7, 6),
                    now=moment(datetime.date(2025, 7, 6)))
    publish(w, q2, datetime.date(2025, 7, 6))
    assert published_tier(w.estate_a1, datetime.date(2025, 6, 1)).tier == 5
    assert published_tier(w.estate_a1, datetime.date(2025, 7, 1)).tier == 2  # 72.00


def test_yearly_rating_is_the_mean_of_published_quarters(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"])
    components(w, w.estate_a1, "80", "90")  # Q1: 87.60
    inspected(w, w.estate_a1, ["72.0"], day=datetime.date(2025, 5, 5))
    components(w, w.estate_a1, "72", "72", quarter=2)  # Q2: 72.00
    for q, today in ((1, AFTER_Q1), (2, datetime.date(2025, 7, 6))):
        p = run_period(district=w.shanting, year=2025, quarter=q, today=today, now=moment(today))
        publish(w, p, today)
    # (87.60 + 72.00) / 2 = 79.80 -> 3★: the yearly re-check lowers the Q1 5★
    assert yearly_rating(w.estate_a1, 2025) == (Decimal("79.80"), 3)


def test_management_command_runs_the_same_job(rating_world, capsys):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"])
    components(w, w.estate_a1, "80", "90")
    call_command("run_star_ratings", "--period", "2025Q1", "--district", "山亭区")
    call_command("run_star_ratings", "--period", "2025q1")
    assert StarRating.objects.count() == 1
    assert "山亭区 2025Q1" in capsys.readouterr().out


def test_management_command_rejects_a_bad_period(rating_world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="季度格式"):
        call_command("run_star_ratings", "--period", "2025-1")


def test_estate_added_to_district_later_is_not_rated_without_application(rating_world):
    w = rating_world
    extra = EstateFactory(community=w.meiyuan, name="新建小区")
    inspected(w, extra, ["99.0"])
    run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=moment(AFTER_Q1))
    assert not StarRating.objects.filter(estate=extra).exists()


def test_yearly_recheck_page_lowers_the_tier_and_follows_scope(rating_world, client):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"])
    components(w, w.estate_a1, "80", "90")  # Q1: 87.60 -> 5★
    inspected(w, w.estate_a1, ["84.0"], day=datetime.date(2025, 5, 5))
    components(w, w.estate_a1, "70", "70", quarter=2)  # Q2: 58.8 + 7 + 14 = 79.80 -> 3★
    for q, today in ((1, AFTER_Q1), (2, datetime.date(2025, 7, 6))):
        p = run_period(district=w.shanting, year=2025, quarter=q, today=today, now=moment(today))
        publish(w, p, today)
    # Yearly: (87.60 + 79.80) / 2 = 83.70 -> 4★; the tier held from Q2 is 3★, so nothing is lowered.
    from ratings.selectors import yearly_ratings

    [row] = yearly_ratings(user=w.users["street_staff"], year=2025)
    assert (row["mean"], row["tier"], row["held_tier"], row["lowered"]) == (Decimal("83.70"), 4, 3, False)
    # A third quarter at 5★ is held now; the yearly mean (87.60+79.80+86.00)/3 = 84.466… -> 84.47 (4★) lowers it.
    inspected(w, w.estate_a1, ["86.0"], day=datetime.date(2025, 8, 5))
    components(w, w.estate_a1, "86", "86", quarter=3)  # 60.2 + 8.6 + 17.2 = 86.00 -> 5★
    p = run_period(district=w.shanting, year=2025, quarter=3, today=datetime.date(2025, 10, 6),
                   now=moment(datetime.date(2025, 10, 6)))
    publish(w, p, datetime.date(2025, 10, 6))
    [row] = yearly_ratings(user=w.users["street_staff"], year=2025)
    assert (row["mean"], row["tier"], row["held_tier"], row["lowered"]) == (Decimal("84.47"), 4, 5, True)
    client.force_login(w.users["street_staff"])
    html = client.get("/ratings/yearly/?year=2025").content.decode()
    assert "梅花园" in html and "降级" in html
    client.force_login(w.users["street_staff2"])
    assert "梅花园" not in client.get("/ratings/yearly/?year=2025").content.decode()
    assert yearly_ratings(user=w.users["firm_user2"], year=2025) == []
    client.logout()
    assert client.get("/ratings/yearly/").status_code == 302
