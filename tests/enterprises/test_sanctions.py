"""Firm sanctions (管城回族区 附件2 六(二)3), worked by hand: which events sanction, the media count per year,
the estates' results, the star-rating application, the credit record, withdrawal."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Notification
from enterprises.credit.permissions import Unit
from enterprises.models import CreditRecord, CreditStatus, EventKind, FirmSanction, SanctionPolicy
from enterprises.sanctions.services import event_record, event_withdraw, media_count
from inspections.services.rubrics import ensure_default_rubric
from ratings.models import NoTierReason, PeriodStatus, StarRating
from ratings.services.applications import application_submit
from ratings.services.periods import period_announce, period_publish, period_recompute, period_refusal, run_period
from ratings.services.policy import ensure_default_policy
from tests.ratings.conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world):
    SanctionPolicy.objects.create(district=world.shanting, effective_from=datetime.date(2020, 1, 1))
    ensure_default_policy(world.shanting)
    return world


def pdf(name="报道.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


def record(w, kind, day, persona="district_admin", unit=None, firm=None):
    return event_record(actor=w.users[persona], firm=firm or w.firm1, unit=unit or Unit(w.shanting.pk), kind=kind,
                        occurred_on=day, description="经调查属实", files=[pdf()], now=moment(day + datetime.timedelta(days=1)))


def active(w, year, firm=None):
    return FirmSanction.objects.filter(firm=firm or w.firm1, year=year, lifted_at__isnull=True).exists()


def test_third_media_exposure_sanctions_two_do_not(sw):
    w = sw
    record(w, EventKind.MEDIA, datetime.date(2025, 2, 1))
    record(w, EventKind.MEDIA, datetime.date(2025, 5, 1))
    assert media_count(w.firm1.pk, w.shanting.pk, 2025) == 2
    assert not active(w, 2025)
    assert not CreditRecord.objects.filter(firm=w.firm1).exists()
    third = record(w, EventKind.MEDIA, datetime.date(2025, 8, 1))
    sanction = FirmSanction.objects.get(firm=w.firm1, year=2025)
    assert sanction.is_active and sanction.trigger == third
    assert sanction.reason == "企业发生重大负面事件（2025 年度第 3 次新闻媒体曝光）取消当年评比资格"
    [credit] = CreditRecord.objects.filter(firm=w.firm1)
    assert credit.rule_code == "media_exposure_third" and credit.kind == "serious"
    # the firm and the district's staff are told, the actor is not
    told = set(Notification.objects.filter(key__startswith="sanction.imposed:").values_list("user__username", flat=True))
    assert told == {"firm_user", "district_staff"}


def test_exposures_of_different_years_do_not_add_up(sw):
    w = sw
    record(w, EventKind.MEDIA, datetime.date(2024, 11, 1))
    record(w, EventKind.MEDIA, datetime.date(2024, 12, 20))
    record(w, EventKind.MEDIA, datetime.date(2025, 1, 5))
    assert not FirmSanction.objects.exists()


def test_the_threshold_is_the_districts_data(sw):
    w = sw
    SanctionPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 1, 1), media_threshold=2)
    record(w, EventKind.MEDIA, datetime.date(2025, 2, 1))
    assert not active(w, 2025)
    record(w, EventKind.MEDIA, datetime.date(2025, 3, 1))
    assert active(w, 2025)


def test_a_safety_accident_sanctions_at_once_with_one_credit_record(sw):
    w = sw
    event = record(w, EventKind.SAFETY_ACCIDENT, datetime.date(2025, 4, 3))
    assert active(w, 2025)
    assert FirmSanction.objects.get().reason == "企业发生重大负面事件（重大安全责任事故）取消当年评比资格"
    [credit] = CreditRecord.objects.filter(firm=w.firm1)
    assert credit.rule_code == "safety_accident" and credit.source_id == event.pk
    assert credit.recording_district_id == w.shanting.pk and credit.recorded_by == w.users["district_admin"]
    # a second accident of the year: a second record (one per event), the sanction stays one
    record(w, EventKind.SAFETY_ACCIDENT, datetime.date(2025, 6, 3))
    assert CreditRecord.objects.filter(firm=w.firm1, rule_code="safety_accident").count() == 2
    assert FirmSanction.objects.count() == 1


def test_a_kind_the_district_left_out_does_not_sanction(sw):
    w = sw
    SanctionPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 1, 1),
                                  sanctioning_kinds=["safety_accident"])
    record(w, EventKind.PETITION, datetime.date(2025, 4, 3))
    assert not FirmSanction.objects.exists() and not CreditRecord.objects.exists()


def test_without_a_policy_nothing_is_recorded(world):
    with pytest.raises(ValidationError, match="未启用"):
        record(world, EventKind.SAFETY_ACCIDENT, datetime.date(2025, 4, 3))


def test_evidence_and_scope_are_checked_and_nothing_is_half_written(sw):
    w = sw
    with pytest.raises(ValidationError, match="证明材料"):
        event_record(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk), kind="crime",
                     occurred_on=datetime.date(2025, 4, 3), description="x", files=[],
                     now=moment(datetime.date(2025, 4, 4)))
    with pytest.raises(ValidationError):  # another district's admin is no unit of 山亭区
        record(w, EventKind.CRIME, datetime.date(2025, 4, 3), persona="district_admin_gc")
    with pytest.raises(ValidationError):  # a firm cannot record against itself
        record(w, EventKind.CRIME, datetime.date(2025, 4, 3), persona="firm_user")
    assert not FirmSanction.objects.exists() and not CreditRecord.objects.exists()


def test_withdrawal_lifts_the_sanction_unless_another_event_keeps_it(sw):
    w = sw
    day = datetime.date(2025, 4, 3)
    accident = record(w, EventKind.SAFETY_ACCIDENT, day)
    crime = record(w, EventKind.CRIME, datetime.date(2025, 5, 3))
    with pytest.raises(ValidationError):  # a street may not withdraw, the district does
        event_withdraw(actor=w.users["street_staff"], event=accident, reason="误录", now=moment(day))
    event_withdraw(actor=w.users["district_admin"], event=accident, reason="误录", now=moment(datetime.date(2025, 6, 1)))
    sanction = FirmSanction.objects.get()
    assert sanction.is_active and sanction.trigger == crime
    assert CreditRecord.objects.get(source_id=accident.pk, rule_code="safety_accident").status == CreditStatus.WITHDRAWN
    event_withdraw(actor=w.users["district_staff"], event=crime, reason="经复核不属实",
                   now=moment(datetime.date(2025, 6, 2)))
    sanction.refresh_from_db()
    assert not sanction.is_active and "经复核不属实" in sanction.lift_reason
    assert set(CreditRecord.objects.values_list("status", flat=True)) == {CreditStatus.WITHDRAWN}
    assert Notification.objects.filter(key__startswith="sanction.lifted:", user__username="firm_user").count() == 1


def test_withdrawing_one_of_three_exposures_lifts_and_withdraws_the_serious_record(sw):
    w = sw
    first = record(w, EventKind.MEDIA, datetime.date(2025, 2, 1))
    record(w, EventKind.MEDIA, datetime.date(2025, 3, 1))
    record(w, EventKind.MEDIA, datetime.date(2025, 4, 1))
    assert active(w, 2025)
    event_withdraw(actor=w.users["district_admin"], event=first, reason="非本企业", now=moment(datetime.date(2025, 5, 1)))
    assert not active(w, 2025)
    assert CreditRecord.objects.get(rule_code="media_exposure_third").status == CreditStatus.WITHDRAWN


# --- the ratings ---------------------------------------------------------------------------------------------

@pytest.fixture
def rw(sw):
    w = sw
    w.rubric_2025 = ensure_default_rubric(district=w.shanting, year=2025, now=timezone.now())
    w.rubric_2026 = ensure_default_rubric(district=w.shanting, year=2026, now=timezone.now())
    for estate in (w.estate_a1, w.estate_b1):
        accept(w, estate, 2025)
        inspected(w, estate, ["90"])
        components(w, estate, "90", "90")
    return w


def result(w, estate, year=2025, quarter=1):
    return StarRating.objects.current().get(period__year=year, period__quarter=quarter, estate=estate)


def test_the_sanctioned_firms_estates_lose_that_years_ratings_and_say_why(rw):
    w = rw
    record(w, EventKind.SAFETY_ACCIDENT, datetime.date(2025, 3, 20))
    run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 4, 6),
               now=moment(datetime.date(2025, 4, 6)))
    mine, other = result(w, w.estate_a1), result(w, w.estate_b1)
    assert (mine.tier, mine.no_tier_reason, mine.score) == (0, NoTierReason.FIRM_SANCTIONED, Decimal("90.00"))
    assert mine.get_no_tier_reason_display() == "企业发生重大负面事件，取消当年评比资格"
    assert other.tier == 5 and other.no_tier_reason == ""


def test_the_next_years_ratings_are_not_touched(rw):
    w = rw
    record(w, EventKind.SAFETY_ACCIDENT, datetime.date(2025, 3, 20))
    accept(w, w.estate_a1, 2026)
    inspected(w, w.estate_a1, ["90"], day=datetime.date(2026, 2, 10))
    components(w, w.estate_a1, "90", "90", year=2026)
    # the 2026 inspection was written with the 2025 rubric fixture: the tier depends only on the totals
    run_period(district=w.shanting, year=2026, quarter=1, today=datetime.date(2026, 4, 6),
               now=moment(datetime.date(2026, 4, 6)))
    assert result(w, w.estate_a1, 2026).tier == 5


def test_a_published_quarter_is_not_rewritten_and_an_announced_one_must_be_recomputed(rw):
    w = rw
    admin = w.users["district_admin"]
    period = run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 4, 6),
                        now=moment(datetime.date(2025, 4, 6)))
    period = period_announce(actor=admin, period=period, today=datetime.date(2025, 4, 7),
                             now=moment(datetime.date(2025, 4, 7)))
    record(w, EventKind.CRIME, datetime.date(2025, 4, 10))
    later = datetime.date(2025, 4, 20)
    refusal = period_refusal(admin, period, "publish", later)
    assert refusal and "梅花园" in refusal and "重新计算" in refusal
    with pytest.raises(ValidationError):
        period_publish(actor=admin, period=period, today=later, now=moment(later))
    period = period_recompute(actor=admin, period=period, reason="企业被取消当年评比资格", today=later, now=moment(later))
    assert result(w, w.estate_a1).no_tier_reason == NoTierReason.FIRM_SANCTIONED
    done = datetime.date(2025, 5, 1)
    period_publish(actor=admin, period=period, today=done, now=moment(done))
    # published: withdrawing the event afterwards changes nothing (a correction would be the district's own)
    event = w.firm1.negative_events.get()
    event_withdraw(actor=admin, event=event, reason="误录", now=moment(datetime.date(2025, 5, 2)))
    period.refresh_from_db()
    assert period.status == PeriodStatus.PUBLISHED
    assert result(w, w.estate_a1).no_tier_reason == NoTierReason.FIRM_SANCTIONED
    assert run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 5, 3),
                      now=moment(datetime.date(2025, 5, 3))).status == PeriodStatus.PUBLISHED
    assert result(w, w.estate_a1).tier == 0


def test_the_sanctioned_firm_may_not_apply_for_the_years_star_rating(sw):
    w = sw
    record(w, EventKind.PETITION, datetime.date(2025, 1, 10))
    with pytest.raises(ValidationError) as exc:
        application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2025,
                           files=[pdf("申报表.pdf")], today=datetime.date(2025, 2, 1))
    assert "取消当年评比资格" in str(exc.value) and "2025 年度" in str(exc.value)
    # the next year it may
    [app] = application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2026,
                               files=[pdf("申报表.pdf")], today=datetime.date(2026, 2, 1))
    assert app.year == 2026
