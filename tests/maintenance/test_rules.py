"""The fund's rules, each against a worked example written out by hand (章贡区 三.2: at most 75 yuan/㎡ with a
lift, 55 without, matched one to one by the district; old estates only)."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from communities.models import DistrictPolicy, EstateArea
from maintenance.models import ApplicationEvent, ApplicationStatus, FundApplication, MaintenancePolicy
from maintenance.selectors import eligibility
from maintenance.services import applications as svc

from .conftest import TODAY, submit, through

pytestmark = pytest.mark.django_db


def messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def test_a_4000_sqm_lift_estate_asking_80_yuan_is_refused_with_the_cap(mw):
    with pytest.raises(ValidationError) as exc:
        submit(mw, mw.lift_estate, area="4000", per_sqm="80", has_lift=True)
    assert exc.value.message_dict["per_sqm"] == ["交存标准 80.00 元/㎡ 超过电梯房上限 75.00 元/㎡。"]
    assert FundApplication.objects.count() == 0 and ApplicationEvent.objects.count() == 0


def test_a_4000_sqm_lift_estate_at_75_yuan_gives_300000_and_a_district_match_of_300000(mw):
    app = submit(mw, mw.lift_estate, area="4000", per_sqm="75", has_lift=True)
    app = FundApplication.objects.get(pk=app.pk)  # as stored
    # 4,000 ㎡ × 75 yuan = 300,000.00; the district matches one to one: 300,000.00; together 600,000.00.
    assert app.granted == Decimal("300000.00") and str(app.granted) == "300000.00"
    assert app.matched == Decimal("300000.00") and str(app.matched) == "300000.00"
    assert app.total == Decimal("600000.00")
    assert (app.cap, app.match_ratio, app.cutoff_year, app.policy) == (Decimal("75.00"), Decimal("1.00"), 2004,
                                                                       mw.policy)
    assert (app.street, app.district, app.year, app.status) == (mw.shancheng, mw.shanting, 2025, "submitted")


def test_without_a_lift_the_cap_is_55(mw):
    with pytest.raises(ValidationError) as exc:
        submit(mw, mw.nolift_estate, area="6000", per_sqm="55.01")
    assert exc.value.message_dict["per_sqm"] == ["交存标准 55.01 元/㎡ 超过非电梯房上限 55.00 元/㎡。"]
    # An estate without lifts cannot claim the lift cap.
    with pytest.raises(ValidationError) as exc:
        submit(mw, mw.nolift_estate, area="6000", per_sqm="75", has_lift=True)
    assert "登记为无电梯小区" in messages_of(exc.value)
    app = submit(mw, mw.nolift_estate, area="6000", per_sqm="55")
    # 6,000 ㎡ × 55 = 330,000.00, matched 330,000.00.
    assert (app.granted, app.matched, app.cap) == (Decimal("330000.00"), Decimal("330000.00"), Decimal("55.00"))


def test_a_lift_estate_may_apply_for_its_buildings_without_a_lift_at_55(mw):
    with pytest.raises(ValidationError, match="非电梯房上限 55.00"):
        submit(mw, mw.lift_estate, area="1000", per_sqm="60", has_lift=False)
    app = submit(mw, mw.lift_estate, area="1000", per_sqm="55", has_lift=False)
    assert app.granted == Decimal("55000.00")


def test_an_estate_that_is_not_old_is_refused(mw):
    # 锦绣花园 was completed in 2012; 山亭区 counts estates built in 2004 or before as old.
    with pytest.raises(ValidationError) as exc:
        submit(mw, mw.estate_a2, area="1000", per_sqm="50")
    assert messages_of(exc.value) == (
        "“锦绣花园”2012 年建成，山亭区老旧小区为 2004 年底前（含）建成的小区，不能申请老旧小区维修资金。")
    assert not FundApplication.objects.exists()


def test_the_cut_off_is_the_districts_policy_as_data(mw):
    # 山亭区 moves its cut-off to 2012 from 2025-06-01: 锦绣花园 (2012) is old from that day, not before.
    DistrictPolicy.objects.create(district=mw.shanting, effective_from=datetime.date(2025, 6, 1),
                                  old_estate_cutoff_year=2012)
    assert not eligibility(mw.estate_a2, today=datetime.date(2025, 5, 31)).is_old
    assert eligibility(mw.estate_a2, today=TODAY).is_old
    app = submit(mw, mw.estate_a2, area="1000", per_sqm="50")
    assert (app.cutoff_year, app.granted) == (2012, Decimal("50000.00"))
    # 管城回族区 keeps the default: its cut-off is its own.
    assert eligibility(mw.estate_c1, today=TODAY).cutoff_year == 2004


def test_an_area_above_the_estates_area_is_refused(mw):
    with pytest.raises(ValidationError) as exc:
        submit(mw, mw.lift_estate, area="4000.01", per_sqm="75", has_lift=True)
    assert exc.value.message_dict["area"] == ["申请面积 4,000.01 ㎡ 超过小区总建筑面积 4,000.00 ㎡。"]


def test_the_area_in_force_today_is_the_limit(mw):
    # The estate was re-measured: 3,800 ㎡ from 2025-01-01 (the versions, communities.EstateArea).
    EstateArea.objects.create(estate=mw.lift_estate, area=Decimal("3800.00"), effective_from=datetime.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="超过小区总建筑面积 3,800.00"):
        submit(mw, mw.lift_estate, area="4000", per_sqm="75", has_lift=True)


def test_one_years_applications_cover_the_estates_area_at_most_once(mw):
    first = submit(mw, mw.lift_estate, area="3000", per_sqm="75", has_lift=True)
    through(mw, first, "disburse")
    with pytest.raises(ValidationError) as exc:
        submit(mw, mw.lift_estate, area="1500", per_sqm="75", has_lift=True)
    assert exc.value.message_dict["area"] == [
        "本年度该小区已申请 3,000.00 ㎡，加上本次 1,500.00 ㎡ 超过小区总建筑面积 4,000.00 ㎡（本年度最多还可申请 1,000.00 ㎡）。"]
    second = submit(mw, mw.lift_estate, area="1000", per_sqm="75", has_lift=True)
    assert second.granted == Decimal("75000.00")
    # The next year starts afresh.
    through(mw, second, "disburse")
    with pytest.raises(ValidationError, match="已覆盖小区全部 4,000.00 ㎡"):
        submit(mw, mw.lift_estate, area="1", per_sqm="75", has_lift=True)
    third = submit(mw, mw.lift_estate, area="4000", per_sqm="70", has_lift=True, today=datetime.date(2026, 1, 5))
    assert (third.year, third.granted) == (2026, Decimal("280000.00"))


def test_the_match_ratio_and_rounding_come_from_the_policy(mw):
    # A new version from 2025-06-01: the district matches half (1 : 0.50).
    MaintenancePolicy.objects.create(district=mw.shanting, effective_from=datetime.date(2025, 6, 1),
                                     match_ratio=Decimal("0.50"))
    app = submit(mw, mw.lift_estate, area="4000", per_sqm="75", has_lift=True)
    assert (app.granted, app.matched) == (Decimal("300000.00"), Decimal("150000.00"))
    # Half-up to the fen: 1.01 ㎡ × 12.50 = 12.625 → 12.63 (not the banker's 12.62); × 0.50 = 6.315 → 6.32.
    app2 = submit(mw, mw.nolift_estate, area="1.01", per_sqm="12.50")
    assert (app2.granted, app2.matched) == (Decimal("12.63"), Decimal("6.32"))
    # The application submitted before the new version keeps its numbers.
    old = submit(mw, mw.bz_estate, area="1000", per_sqm="55", actor="street_staff2", today=datetime.date(2025, 5, 20))
    assert (old.match_ratio, old.matched) == (Decimal("1.00"), Decimal("55000.00"))


def test_a_district_without_a_policy_cannot_take_applications(mw):
    MaintenancePolicy.objects.filter(district=mw.shanting).delete()
    elig = eligibility(mw.lift_estate, today=TODAY)
    assert not elig.eligible and elig.cap is None
    with pytest.raises(ValidationError, match="山亭区尚未制定老旧小区维修资金政策"):
        submit(mw, mw.lift_estate, area="4000", per_sqm="75", has_lift=True)


@pytest.mark.parametrize("area, per_sqm, field, message", [
    ("-1", "50", "area", "申请面积必须大于 0。"),
    ("0", "50", "area", "申请面积必须大于 0。"),
    ("100.001", "50", "area", "申请面积最多两位小数。"),
    ("100", "0", "per_sqm", "交存标准必须大于 0。"),
    ("100", "50.555", "per_sqm", "交存标准最多两位小数。"),
    ("abc", "50", "area", "申请面积必须是数字。"),
])
def test_bad_numbers_get_a_clear_message_and_write_nothing(mw, area, per_sqm, field, message):
    with pytest.raises(ValidationError) as exc:
        svc.application_submit(actor=mw.users["street_staff"], estate=mw.nolift_estate, area=area, has_lift=False,
                               per_sqm=per_sqm, repair_items="屋面防水", collector="firm", today=TODAY)
    assert exc.value.message_dict[field] == [message]
    assert not FundApplication.objects.exists()


def test_repair_items_and_the_collector_are_required(mw):
    with pytest.raises(ValidationError) as exc:
        svc.application_submit(actor=mw.users["street_staff"], estate=mw.nolift_estate, area="100", has_lift=False,
                               per_sqm="50", repair_items="  ", collector="bank", today=TODAY)
    assert exc.value.message_dict == {"repair_items": ["请填写维修项目。"], "collector": ["请选择归集单位。"]}
    assert not FundApplication.objects.exists()


@pytest.mark.parametrize("persona", ["street_staff2", "district_staff", "district_admin", "community_clerk",
                                     "firm_user", "district_admin_gc"])
def test_only_the_estates_street_applies(mw, persona):
    with pytest.raises(ValidationError, match="只能由小区所在街道申请"):
        submit(mw, mw.lift_estate, area="4000", per_sqm="75", has_lift=True, actor=persona)
    assert not FundApplication.objects.exists()


def test_a_second_open_application_for_the_estate_is_refused(mw):
    first = submit(mw, mw.nolift_estate, area="1000", per_sqm="50")
    with pytest.raises(ValidationError) as exc:
        submit(mw, mw.nolift_estate, area="1000", per_sqm="50")
    assert "已有一份在办的维修资金申请（已提交）" in messages_of(exc.value)
    assert FundApplication.objects.get() == first
    # Withdrawn, the estate may apply again.
    svc.application_transition(actor=mw.users["street_staff"], application=first, action="withdraw", today=TODAY)
    again = submit(mw, mw.nolift_estate, area="1000", per_sqm="50")
    assert again.pk != first.pk
    assert list(FundApplication.objects.order_by("pk").values_list("status", flat=True)) == [
        ApplicationStatus.WITHDRAWN, ApplicationStatus.SUBMITTED]
