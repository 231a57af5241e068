"""Credit records: every automatic writer run twice writes one record; the firm is told of each proposed
record; objections inside the window decided one level above; repair; and the bad input of issue 12.

Shared fixtures and helpers of the credit tests live here (the other test_credit*.py import them).
"""
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Notification
from enterprises.credit.permissions import Unit
from enterprises.credit.policy import ensure_default_credit_policy
from enterprises.credit.records import (
    credit_objection_decide,
    credit_objection_submit,
    credit_record_auto,
    credit_record_confirm,
    credit_record_create,
    credit_record_repair,
)
from enterprises.credit.writers import credit_for_disqualification, credit_for_inspection, credit_for_overdue_order
from enterprises.models import CreditAction, CreditObjection, CreditRecord, CreditStatus, ObjectionStatus
from inspections.models import RectificationOrder
from inspections.services.inspections import inspection_save, inspection_start, inspection_submit
from inspections.services.orders import mark_overdue_orders, order_issue
from inspections.services.rubrics import ensure_default_rubric
from ratings.services.policy import ensure_default_policy
from ratings.services.scores import disqualification_withdraw, disqualify

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def credit_world(world):
    ensure_default_credit_policy()
    return world


def overdue_order(w, estate=None, issued=datetime.date(2025, 3, 3), days=7):
    """An order issued on `issued`, marked overdue by the nightly job the day after its deadline."""
    with time_machine.travel(at(issued), tick=False):
        order = order_issue(actor=w.users["street_staff"], estate=estate or w.estate_a1, problem="3 号楼楼道堆放杂物",
                            deadline=issued + datetime.timedelta(days=days), now=at(issued))
    job_day = issued + datetime.timedelta(days=days + 1)
    with time_machine.travel(at(job_day, 1), tick=False):
        mark_overdue_orders(now=at(job_day, 1))
    return order


def record_of(source, rule_code=None):
    from django.contrib.contenttypes.models import ContentType

    qs = CreditRecord.objects.filter(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)
    return qs.filter(rule_code=rule_code) if rule_code else qs


def bad_record(w, key: str, day: datetime.date, *, rule_code="disqualified", firm=None, confirm=True):
    """A bad record through the automatic writer (its source stands in: these tests are about what a
    record does, not where it came from), confirmed by the district on `day`."""
    record = credit_record_auto(rule_code=rule_code, firm=firm or w.firm1, source=w.estate_a1, key=key,
                                estate=w.estate_a1, occurred_on=day, now=at(day, 9), title=f"测试记录 {key}")
    if confirm:
        record = credit_record_confirm(actor=w.users["district_admin"], record=record, now=at(day, 16))
    return record


def document(name="媒体报道.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 evidence", content_type="application/pdf")


# --- the automatic writers, each run twice ------------------------------------------------------------------

def test_overdue_job_twice_writes_one_record_and_tells_the_firm_once(credit_world):
    w = credit_world
    order = overdue_order(w)
    with time_machine.travel(at(datetime.date(2025, 3, 12), 1), tick=False):
        assert mark_overdue_orders(now=at(datetime.date(2025, 3, 12), 1)) == 0
        credit_for_overdue_order(order=order, today=datetime.date(2025, 3, 12), now=at(datetime.date(2025, 3, 12)))
    [record] = record_of(order)
    assert (record.firm, record.rule_code, record.kind, record.points) == (w.firm1, "order_overdue", "bad", -2)
    assert record.status == CreditStatus.NOTIFIED and record.recording_district == w.shanting
    assert record.recorded_by is None and record.occurred_on == datetime.date(2025, 3, 11)
    assert order.number in record.title
    # 2025-03-11 (Tuesday) + 5 working days: Wed 12 … Tue 18 -> the window ends at 24:00 on 03-18.
    assert record.objection_deadline == at(datetime.date(2025, 3, 19), 0)
    assert [e.action for e in record.events.all()] == [CreditAction.PROPOSE, CreditAction.NOTIFY]
    notes = Notification.objects.filter(key=f"credit.record_notified:{record.pk}")
    assert [n.user.username for n in notes] == ["firm_user"]
    assert "2025-03-18" in notes[0].body


def test_inspection_below_the_line_counts_once_per_estate_and_quarter(credit_world):
    w = credit_world
    ensure_default_rubric(district=w.shanting, year=2025, now=timezone.now())

    def inspect(day, deduct):
        insp = inspection_start(actor=w.users["street_staff"], estate=w.estate_a1, kind="regular", date=day,
                                inspectors="山城街道检查组", today=day)
        scores, left = {}, Decimal(deduct)
        for row in insp.scores.select_related("item"):
            take = min(left, row.item.max_points)
            scores[row.item_id] = (row.item.max_points - take, "")
            left -= take
        inspection_save(actor=w.users["street_staff"], inspection=insp, scores=scores, today=day)
        with time_machine.travel(at(day, 15), tick=False):
            return inspection_submit(actor=w.users["street_staff"], inspection=insp, now=at(day, 15))

    passing = inspect(datetime.date(2025, 4, 8), 40)  # 60.0: not below the line
    assert not record_of(passing).exists()
    low = inspect(datetime.date(2025, 4, 9), 45)  # 55.0
    again = inspect(datetime.date(2025, 5, 20), 50)  # 50.0, same quarter
    credit_for_inspection(inspection=low, now=at(datetime.date(2025, 5, 21)))
    [record] = CreditRecord.objects.filter(rule_code="inspection_below_60")
    assert record.source_id == low.pk and record.points == -1 and record.source_key == f"estate:{w.estate_a1.pk}:2025Q2"
    assert not record_of(again).exists()
    next_quarter = inspect(datetime.date(2025, 7, 2), 45)
    assert record_of(next_quarter).count() == 1


def test_disqualification_writes_one_record_and_its_withdrawal_withdraws_it(credit_world):
    w = credit_world
    policy = ensure_default_policy(w.shanting)
    d = disqualify(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=2,
                   reason=policy.disqualifying_reasons[1], occurred_on=datetime.date(2025, 5, 6), evidence="现场核实 2 户群租",
                   now=at(datetime.date(2025, 5, 6)))
    credit_for_disqualification(disqualification=d, now=at(datetime.date(2025, 5, 7)))
    [record] = record_of(d)
    assert (record.rule_code, record.points, record.firm) == ("disqualified", -5, w.firm1)
    assert record.recorded_by == w.users["street_staff"] and record.recording_district == w.shanting
    disqualification_withdraw(actor=w.users["street_staff"], disqualification=d, reason="核实有误",
                              now=at(datetime.date(2025, 5, 8)))
    record.refresh_from_db()
    assert record.status == CreditStatus.WITHDRAWN
    assert record.events.order_by("pk").last().action == CreditAction.SOURCE_WITHDRAWN
    credit_for_disqualification(disqualification=d, now=at(datetime.date(2025, 5, 9)))
    assert record_of(d).count() == 1


def test_rerunning_a_writer_after_an_upheld_objection_writes_nothing(credit_world):
    w = credit_world
    order = overdue_order(w)
    [record] = record_of(order)
    objection = credit_objection_submit(actor=w.users["firm_user"], record=record, reason="期限内已整改并报街道",
                                        now=at(datetime.date(2025, 3, 12)))
    credit_objection_decide(actor=w.users["city_admin"], objection=objection, upheld=True,
                            decision="经核实企业已按期整改", now=at(datetime.date(2025, 3, 14)))
    record.refresh_from_db()
    assert record.status == CreditStatus.WITHDRAWN and record.withdrawn_at is not None
    with time_machine.travel(at(datetime.date(2025, 3, 15), 1), tick=False):
        mark_overdue_orders(now=at(datetime.date(2025, 3, 15), 1))
    assert credit_for_overdue_order(order=order, today=datetime.date(2025, 3, 15),
                                    now=at(datetime.date(2025, 3, 15))) == record
    assert CreditRecord.objects.count() == 1


def test_third_media_exposure_of_a_year_writes_one_serious_record_and_lists_the_firm(credit_world):
    w = credit_world
    exposures = []
    for i, day in enumerate((datetime.date(2025, 2, 3), datetime.date(2025, 5, 6), datetime.date(2025, 8, 4),
                             datetime.date(2025, 9, 1))):
        r = credit_record_create(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk),
                                 rule_code="media_exposure", points=-2, title=f"小区电梯故障被报道（第 {i + 1} 次）",
                                 detail="", occurred_on=day, document=document(), now=at(day))
        exposures.append(credit_record_confirm(actor=w.users["district_staff"], record=r, now=at(day, 16)))
    [serious] = CreditRecord.objects.filter(rule_code="media_exposure_third")
    assert serious.kind == "serious" and serious.source_id == exposures[2].pk and serious.status == CreditStatus.NOTIFIED
    assert serious.occurred_on == datetime.date(2025, 8, 4)
    assert not w.firm1.blacklist_entries.exists()  # listed when confirmed, not when proposed
    credit_record_confirm(actor=w.users["district_admin"], record=serious, now=at(datetime.date(2025, 9, 20)))
    [entry] = w.firm1.blacklist_entries.all()
    assert (entry.basis, entry.starts_on, entry.ends_on) == ("serious_record", datetime.date(2025, 9, 20),
                                                             datetime.date(2028, 9, 20))


# --- objections: the window, the deciding level ------------------------------------------------------------------

def test_objection_after_its_window_is_refused_and_nothing_saved(credit_world):
    w = credit_world
    [record] = record_of(overdue_order(w))
    with pytest.raises(ValidationError, match="异议期已于 2025-03-18 届满"):
        credit_objection_submit(actor=w.users["firm_user"], record=record, reason="迟到的异议",
                                now=at(datetime.date(2025, 3, 19), 0))
    assert not CreditObjection.objects.exists() and record.events.count() == 2
    # the last minute of the window still counts
    credit_objection_submit(actor=w.users["firm_user"], record=record, reason="期限内已整改",
                            now=datetime.datetime(2025, 3, 18, 23, 59, tzinfo=SHANGHAI))


def test_objection_goes_to_the_level_above_and_never_to_the_objector_or_the_recorder(credit_world):
    w = credit_world
    [record] = record_of(overdue_order(w))
    credit_record_confirm(actor=w.users["district_staff"], record=record, now=at(datetime.date(2025, 3, 12)))
    objection = credit_objection_submit(actor=w.users["firm_user"], record=record, reason="期限内已整改",
                                        now=at(datetime.date(2025, 3, 13)))
    told = Notification.objects.filter(key=f"credit.objection_filed:{objection.pk}").values_list("user__username", flat=True)
    assert list(told) == ["city_admin"]
    for persona, message in (("firm_user", "不能处理本人或本企业提出的异议"),
                             ("district_staff", "记录人或确认人不能处理"),
                             ("district_admin", "上级单位（市住房管理中心）"),
                             ("street_staff", "上级单位")):
        with pytest.raises(ValidationError, match=message):
            credit_objection_decide(actor=w.users[persona], objection=objection, upheld=True, decision="同意",
                                    now=at(datetime.date(2025, 3, 14)))
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN
    with pytest.raises(ValidationError, match="处理意见"):
        credit_objection_decide(actor=w.users["city_admin"], objection=objection, upheld=False, decision="  ",
                                now=at(datetime.date(2025, 3, 14)))
    credit_objection_decide(actor=w.users["city_admin"], objection=objection, upheld=False,
                            decision="逾期事实清楚", now=at(datetime.date(2025, 3, 14)))
    record.refresh_from_db()
    assert record.status == CreditStatus.CONFIRMED
    assert Notification.objects.filter(key=f"credit.objection_decided:{objection.pk}", user__username="firm_user").exists()
    with pytest.raises(ValidationError, match="不能重复提出"):
        credit_objection_submit(actor=w.users["firm_user"], record=record, reason="再议",
                                now=at(datetime.date(2025, 3, 15)))


def test_a_street_record_is_decided_by_its_district(credit_world):
    w = credit_world
    record = credit_record_create(actor=w.users["street_staff"], firm=w.firm1, unit=Unit(w.shanting.pk, w.shancheng.pk),
                                  rule_code="media_exposure", points=-2, title="小区垃圾清运不及时被报道", detail="",
                                  occurred_on=datetime.date(2025, 6, 2), document=document(),
                                  now=at(datetime.date(2025, 6, 3)))
    assert record.recording_unit_name == "山城街道"
    objection = credit_objection_submit(actor=w.users["firm_user"], record=record, reason="报道失实",
                                        now=at(datetime.date(2025, 6, 4)))
    with pytest.raises(ValidationError, match="山亭区住房保障服务中心"):
        credit_objection_decide(actor=w.users["city_admin"], objection=objection, upheld=True, decision="失实",
                                now=at(datetime.date(2025, 6, 5)))
    credit_objection_decide(actor=w.users["district_staff"], objection=objection, upheld=True, decision="报道失实",
                            now=at(datetime.date(2025, 6, 5)))
    record.refresh_from_db()
    assert record.status == CreditStatus.WITHDRAWN


def test_confirming_with_an_open_objection_or_outside_the_unit_is_refused(credit_world):
    w = credit_world
    [record] = record_of(overdue_order(w))
    for persona in ("street_staff", "firm_user", "district_admin_gc", "city_admin"):
        with pytest.raises(ValidationError, match="只有记录单位"):
            credit_record_confirm(actor=w.users[persona], record=record, now=at(datetime.date(2025, 3, 12)))
    credit_objection_submit(actor=w.users["firm_user"], record=record, reason="已整改", now=at(datetime.date(2025, 3, 12)))
    with pytest.raises(ValidationError, match="须待上级单位处理异议"):
        credit_record_confirm(actor=w.users["district_admin"], record=record, now=at(datetime.date(2025, 3, 13)))


# --- manual records: bad input ---------------------------------------------------------------------------------

def manual(w, **overrides):
    data = dict(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk), rule_code="award",
                points=3, title="获区级物业管理先进单位", detail="", occurred_on=datetime.date(2025, 6, 1),
                document=document("表彰决定.pdf"), now=at(datetime.date(2025, 6, 2)))
    data.update(overrides)
    return credit_record_create(**data)


@pytest.mark.parametrize("overrides, message", [
    ({"points": 5}, "分值应在 1 至 3 之间"),
    ({"points": -2}, "分值应在 1 至 3 之间"),
    ({"rule_code": "order_overdue", "points": -2}, "由平台自动记录"),
    ({"rule_code": "nope"}, "请从发生日期适用的信用规则中选择"),
    ({"document": None}, "请上传证明文件"),
    ({"document": SimpleUploadedFile("a.exe", b"MZ")}, "证明文件须为"),
    ({"title": "  "}, "简要事实"),
    ({"occurred_on": datetime.date(2025, 6, 3)}, "不能晚于今天"),
    ({"actor": "firm_user"}, "只有市住房管理中心、区住房保障服务中心或街道"),
    ({"actor": "district_admin_gc", "unit": "gc"}, "不在您的管辖范围内"),
])
def test_bad_manual_record_is_refused_and_nothing_saved(credit_world, overrides, message):
    w = credit_world
    if overrides.get("actor") == "firm_user":
        overrides = {**overrides, "actor": w.users["firm_user"]}
    if overrides.get("actor") == "district_admin_gc":
        overrides = {**overrides, "actor": w.users["district_admin_gc"], "unit": Unit(w.guancheng.pk)}
    with pytest.raises(ValidationError, match=message):
        manual(w, **overrides)
    assert not CreditRecord.objects.exists() and not Notification.objects.exists()


def test_manual_award_inside_its_range_is_told_to_the_firm(credit_world):
    w = credit_world
    record = manual(w, points=2)
    assert (record.kind, record.points, record.status, record.document_name) == ("good", 2, "notified", "表彰决定.pdf")
    assert Notification.objects.filter(user=w.users["firm_user"], key=f"credit.record_notified:{record.pk}").exists()


# --- repair -------------------------------------------------------------------------------------------------------

def test_repair_needs_a_reason_and_the_recording_unit(credit_world):
    w = credit_world
    record = bad_record(w, "a", datetime.date(2025, 4, 1))
    with pytest.raises(ValidationError, match="信用修复的理由"):
        credit_record_repair(actor=w.users["district_admin"], record=record, reason=" ", now=at(datetime.date(2025, 5, 1)))
    with pytest.raises(ValidationError, match="只有记录单位"):
        credit_record_repair(actor=w.users["street_staff"], record=record, reason="已整改", now=at(datetime.date(2025, 5, 1)))
    record.refresh_from_db()
    assert record.status == CreditStatus.CONFIRMED and record.repaired_on is None
    credit_record_repair(actor=w.users["district_admin"], record=record, reason="已完成整改并通过复查",
                         now=at(datetime.date(2025, 5, 1)))
    record.refresh_from_db()
    assert (record.status, record.repaired_on) == (CreditStatus.REPAIRED, datetime.date(2025, 5, 1))
    assert record.published_until == datetime.date(2026, 4, 1)  # kept: the history says what it was


def test_confirmed_record_counts_its_publication_from_the_confirmation_day(credit_world):
    w = credit_world
    record = bad_record(w, "b", datetime.date(2024, 2, 29))
    assert (record.confirmed_on, record.published_until) == (datetime.date(2024, 2, 29), datetime.date(2025, 2, 28))
    assert RectificationOrder.objects.count() == 0
