"""Applications, component scores, disqualifications, appeals: rules and refusals."""
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from enterprises.credit.policy import ensure_default_credit_policy
from enterprises.models import BlacklistEntry, CreditRecord
from ratings.models import (
    Application,
    ApplicationStatus,
    AppealStatus,
    ComponentScore,
    Disqualification,
    RatingPolicy,
    StarRating,
)
from ratings.services.applications import allowed_actions, application_submit, application_transition
from ratings.services.periods import (
    appeal_decide,
    appeal_submit,
    period_announce,
    period_publish,
    period_recompute,
    run_period,
)
from ratings.services.policy import policy_create
from ratings.services.scores import component_import, component_set, disqualify

from .conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db
IN_WINDOW = datetime.date(2025, 2, 1)
RECORDED = datetime.datetime(2025, 2, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # a disqualification's recording


def submit(w, persona="firm_user", estates=None, today=IN_WINDOW, firm=None):
    return application_submit(actor=w.users[persona], firm=firm or w.firm1, estates=estates or [w.estate_a1],
                              year=2025, statement="申报三星", today=today)


def test_firm_street_district_chain_with_events(rating_world):
    w = rating_world
    [app] = submit(w)
    assert allowed_actions(app, w.users["street_staff"]) == ["report", "return"]
    assert allowed_actions(app, w.users["district_admin"]) == []
    application_transition(actor=w.users["street_staff"], application=app, action="report", comment="材料齐全")
    app.refresh_from_db()
    assert allowed_actions(app, w.users["district_admin"]) == ["return", "accept", "reject"]
    application_transition(actor=w.users["district_admin"], application=app, action="accept")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACCEPTED
    assert list(app.events.values_list("from_status", "to_status")) == [
        ("", "submitted"), ("submitted", "reported"), ("reported", "accepted")]


def test_applying_outside_the_window_is_refused(rating_world):
    with pytest.raises(ValidationError, match="不在申报期内"):
        submit(rating_world, today=datetime.date(2025, 4, 1))
    assert not Application.objects.exists()


def test_applying_for_another_firms_estate_is_refused_and_nothing_saved(rating_world):
    w = rating_world
    with pytest.raises(ValidationError, match="不是贵企业服务的小区"):
        submit(w, estates=[w.estate_a1, w.estate_b1])
    assert not Application.objects.exists()


def test_applying_in_another_firms_name_is_refused(rating_world):
    with pytest.raises(ValidationError, match="本企业"):
        submit(rating_world, persona="firm_user2")


def test_blacklisted_firm_cannot_apply(rating_world):
    w = rating_world
    BlacklistEntry.objects.create(firm=w.firm1, district=w.shanting, reason="连续两年信用分低于 70",
                                  starts_on=datetime.date(2024, 12, 1))
    with pytest.raises(ValidationError, match="失信黑名单"):
        submit(w)


def test_second_live_application_for_the_same_year_is_refused(rating_world):
    w = rating_world
    submit(w)
    with pytest.raises(ValidationError, match="已申报"):
        submit(w)


def test_return_needs_a_reason_and_other_street_cannot_review(rating_world):
    w = rating_world
    [app] = submit(w)
    with pytest.raises(ValidationError, match="原因"):
        application_transition(actor=w.users["street_staff"], application=app, action="return")
    with pytest.raises(ValidationError, match="无权"):
        application_transition(actor=w.users["street_staff2"], application=app, action="report")
    with pytest.raises(ValidationError, match="不能执行"):
        application_transition(actor=w.users["district_admin"], application=app, action="accept")


def test_evidence_must_be_a_document(rating_world):
    w = rating_world
    exe = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError, match="格式不支持"):
        application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2025,
                           files=[exe], today=IN_WINDOW)


@pytest.mark.parametrize("score", ["-1", "100.01", "abc", "85.555"])
def test_component_score_outside_0_100_is_refused(rating_world, score):
    w = rating_world
    with pytest.raises(ValidationError):
        component_set(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=1, kind="opinion",
                      score=score)
    assert not ComponentScore.objects.exists()


def test_component_score_scope(rating_world):
    w = rating_world
    component_set(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=1, kind="opinion",
                  score="88.5")
    with pytest.raises(ValidationError, match="管辖范围"):
        component_set(actor=w.users["street_staff2"], estate=w.estate_a1, year=2025, quarter=1,
                      kind="opinion", score="10")
    with pytest.raises(ValidationError, match="管辖范围"):
        component_set(actor=w.users["firm_user"], estate=w.estate_a1, year=2025, quarter=1,
                      kind="opinion", score="100")
    assert ComponentScore.objects.get().score == Decimal("88.50")


def _xlsx(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["街道", "社区", "小区名称", "业主及业委会意见得分", "第三方满意度得分"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_component_import_is_all_or_nothing(rating_world):
    w = rating_world
    bad = _xlsx([["山城街道", "梅园社区", "梅花园", 90, 88], ["山城街道", "紫薇社区", "锦绣花园", 120, 80],
                 ["北庄街道", "北庄社区", "北庄花园", 80, 80]])
    with pytest.raises(ValidationError) as exc:
        component_import(actor=w.users["street_staff"], year=2025, quarter=1, file=bad)
    text = " ".join(exc.value.messages)
    assert "第 3 行" in text and "0 到 100" in text and "第 4 行" in text
    assert not ComponentScore.objects.exists()
    good = _xlsx([["山城街道", "梅园社区", "梅花园", 90, 88], ["山城街道", "紫薇社区", "锦绣花园", 70, None]])
    assert component_import(actor=w.users["street_staff"], year=2025, quarter=1, file=good) == 3


def test_disqualification_reason_must_be_one_of_the_districts(rating_world):
    w = rating_world
    with pytest.raises(ValidationError, match="取消参评情形"):
        disqualify(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=1, reason="看不顺眼",
                   occurred_on=datetime.date(2025, 2, 1), evidence="x", now=RECORDED)
    disqualify(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=1,
               reason="破坏房屋承重结构", occurred_on=datetime.date(2025, 2, 1), evidence="3 号楼 2 单元", now=RECORDED)
    assert Disqualification.objects.count() == 1


def test_disqualification_is_recorded_at_the_given_now_not_by_the_clock(rating_world):
    # 2031 is years away from the real clock and time is not frozen: a service reading the clock would fail.
    w = rating_world
    ensure_default_credit_policy()
    far = datetime.datetime(2031, 6, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    record = disqualify(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=1,
                        reason="破坏房屋承重结构", occurred_on=datetime.date(2025, 2, 1), evidence="3 号楼 2 单元",
                        now=far)
    record.refresh_from_db()
    assert record.recorded_at == far
    # The firm's credit record it writes is stamped with the same moment.
    credit = CreditRecord.objects.get(rule_code="disqualified", source_id=record.pk)
    assert (credit.recorded_at, credit.occurred_on) == (far, datetime.date(2025, 2, 1))


@pytest.mark.parametrize("data, message", [
    ({"weight_inspection": "70", "weight_opinion": "10", "weight_satisfaction": "25"}, "之和必须为 100"),
    ({"threshold_4": "86"}, "严格递减"),
    ({"threshold_1": "70"}, "严格递减"),
    ({"application_start": "13-01"}, "月-日"),
])
def test_bad_policy_is_refused(rating_world, data, message):
    w = rating_world
    base = {"weight_inspection": "70", "weight_opinion": "10", "weight_satisfaction": "20", "threshold_5": "85",
            "threshold_4": "80", "threshold_3": "75", "threshold_2": "70", "threshold_1": "65",
            "application_start": "01-01", "application_end": "03-31", "appeal_days": 7, "run_day": 5,
            "disqualifying_reasons": []}
    before = RatingPolicy.objects.count()
    with pytest.raises(ValidationError, match=message):
        policy_create(actor=w.users["district_admin"], district=w.shanting,
                      effective_from=datetime.date(2026, 1, 1), data={**base, **data})
    assert RatingPolicy.objects.count() == before


def _rated(w):
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["78.0"])
    components(w, w.estate_a1, "80", "80")  # 54.6 + 8 + 16 = 78.60 -> 3★
    period = run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 4, 6),
                        now=moment(datetime.date(2025, 4, 6)))
    return period_announce(actor=w.users["district_admin"], period=period, today=datetime.date(2025, 4, 6),
                           now=moment(datetime.date(2025, 4, 6)))


def test_appeal_in_window_then_decided_with_reason_then_published(rating_world):
    w = rating_world
    period = _rated(w)
    rating = StarRating.objects.get()
    appeal = appeal_submit(actor=w.users["firm_user"], rating=rating, reason="3 月检查漏记整改", today=period.appeal_deadline)
    after = period.appeal_deadline + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="未处理的申诉"):
        period_publish(actor=w.users["district_admin"], period=period, today=after, now=moment(after))
    with pytest.raises(ValidationError, match="处理意见"):
        appeal_decide(actor=w.users["district_admin"], appeal=appeal, upheld=True, decision="", adjusted_tier=4,
                      now=moment(after))
    appeal_decide(actor=w.users["district_admin"], appeal=appeal, upheld=True, decision="复核属实", adjusted_tier=4,
                  now=moment(after))
    rating.refresh_from_db()
    assert rating.tier == 4
    # The nightly job leaves the announced period alone; the district's recompute keeps the decided tier
    # (and, having recomputed, opens a fresh appeal window).
    period = run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 4, 7),
                        now=moment(datetime.date(2025, 4, 7)))
    assert period.appeal_deadline == datetime.date(2025, 4, 13)
    period = period_recompute(actor=w.users["district_admin"], period=period, reason="补录检查",
                              today=datetime.date(2025, 4, 7), now=moment(datetime.date(2025, 4, 7)))
    rating.refresh_from_db()
    assert rating.tier == 4 and period.appeal_deadline == datetime.date(2025, 4, 14)
    after = period.appeal_deadline + datetime.timedelta(days=1)
    period_publish(actor=w.users["district_admin"], period=period, today=after, now=moment(after))
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD


def test_appeal_after_the_window_is_refused(rating_world):
    w = rating_world
    period = _rated(w)
    with pytest.raises(ValidationError, match="申诉期已过"):
        appeal_submit(actor=w.users["firm_user"], rating=StarRating.objects.get(), reason="x",
                      today=period.appeal_deadline + datetime.timedelta(days=1))


def test_only_the_rated_firm_may_appeal(rating_world):
    w = rating_world
    period = _rated(w)
    with pytest.raises(ValidationError, match="本企业"):
        appeal_submit(actor=w.users["firm_user2"], rating=StarRating.objects.get(), reason="x",
                      today=period.appeal_deadline)
