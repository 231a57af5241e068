"""Who is told of each workflow step (accounts/notices.py HANDOFFS, every event of every workflow), and the
notice read on opening its page.

Each declared event has one worked step below: the state before it, the step run through its real service
(or job), the persona who acts and the personas told, written out by hand (not read from the declaration).
Besides the world's personas there are a second user of firm 甲 (firm_user_b), a second clerk of 山城街道
(street_staff_b), a second district admin and a second district staff member of 山亭区, and a deactivated
user of firm 甲, who is never told.

Places (tests/conftest.py): 梅花园 is served by firm 甲 in 山城街道 (street_staff), 北庄花园 by firm 乙 in
北庄街道 (street_staff2), both in 山亭区; 锦绣花园 (山城街道) has no firm.
"""
import datetime
from dataclasses import dataclass
from typing import Callable
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Notification, Role
from accounts.notices import HANDOFFS, Place, recipients
from complaints import services as csvc
from complaints.models import Action, Complaint, ComplaintEvent, Satisfaction, Status
from complaints.services.imports import check as import_check
from complaints.services.imports import execute as import_execute
from complaints.services.imports import import_run_check, import_run_confirm, import_run_upload
from enterprises.credit.permissions import Unit
from enterprises.credit.records import (
    credit_objection_decide,
    credit_objection_submit,
    credit_record_confirm,
    credit_record_create,
    credit_record_repair,
)
from enterprises.credit.scores import credit_year_publish, credit_year_review, credit_year_run
from inspections.services import orders as osvc
from ratings.models import StarRating
from ratings.services.applications import application_submit, application_transition
from ratings.services.periods import (
    appeal_decide,
    appeal_submit,
    period_announce,
    period_publish,
    period_recompute,
    run_period,
)
from subsidies.models import PassOn, PayoutBatch
from subsidies.services import approvals as ap
from subsidies.services import generation as gen
from communities.services import assessments as ca_svc
from tests.communities.assessment_world import aw  # noqa: F401
from tests.communities.assessment_world import confirm as ca_confirm
from tests.communities.assessment_world import submit as ca_submit
from tests.complaints.conftest import _media_root, at, category, make_complaint, mapping  # noqa: F401
from tests.complaints.test_import import row, xlsx
from tests.enterprises.test_credit_records import credit_world, document  # noqa: F401
from tests.enterprises.test_credit_records import at as credit_at
from tests.factories import user_with_role
from tests.maintenance.conftest import mw  # noqa: F401
from tests.maintenance.conftest import step as fund_step
from tests.maintenance.conftest import submit as fund_submit
from tests.ratings.conftest import accept, components, inspected, moment, rating_world  # noqa: F401
from tests.subsidies.conftest import participating, published, sub_world  # noqa: F401

pytestmark = pytest.mark.django_db

APPLY_DAY = datetime.date(2025, 2, 1)
RUN_DAY = datetime.date(2025, 4, 6)
DEADLINE = datetime.date(2025, 4, 13)  # RUN_DAY + the default policy's 7 appeal days
AFTER = datetime.date(2025, 4, 14)
MARCH = datetime.date(2025, 3, 1)
FIRM_1 = {"firm_user", "firm_user_b"}
SHANCHENG = {"street_staff", "street_staff_b"}
DISTRICT_ADMINS = {"district_admin", "district_admin_b"}
DISTRICT_STAFF = {"district_staff", "district_staff_b"}
SHANTING = DISTRICT_ADMINS | DISTRICT_STAFF


@pytest.fixture
def people(world):
    w = world
    w.users["firm_user_b"] = user_with_role("firm_user_b", Role.FIRM_USER, firm=w.firm1)
    w.users["street_staff_b"] = user_with_role("street_staff_b", Role.STREET_STAFF, street=w.shancheng)
    w.users["district_admin_b"] = user_with_role("district_admin_b", Role.DISTRICT_ADMIN, district=w.shanting)
    w.users["district_staff_b"] = user_with_role("district_staff_b", Role.DISTRICT_STAFF, district=w.shanting)
    gone = user_with_role("firm_user_gone", Role.FIRM_USER, firm=w.firm1)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    return w


# --- the states before each step -----------------------------------------------------------------------------

def _submit(w):
    pdf = SimpleUploadedFile("物业服务方案.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    [w.app] = application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2025,
                                 statement="申报五星", files=[pdf], today=APPLY_DAY)


def _reported(w):
    _submit(w)
    application_transition(actor=w.users["street_staff"], application=w.app, action="report", comment="材料齐全")


def _computed(w):
    """2025Q1 of 山亭区 computed: 梅花园 (firm 甲) and 北庄花园 (firm 乙) rated, not yet announced."""
    for estate, insp in ((w.estate_a1, "88.0"), (w.estate_b1, "78.0")):
        accept(w, estate)
        inspected(w, estate, [insp])
        components(w, estate, "80", "80")
    w.period = run_period(district=w.shanting, year=2025, quarter=1, today=RUN_DAY, now=moment(RUN_DAY))


def _announced(w):
    _computed(w)
    w.period = period_announce(actor=w.users["district_admin"], period=w.period, today=RUN_DAY,
                               now=moment(RUN_DAY))
    w.rating = StarRating.objects.current().get(period=w.period, estate=w.estate_a1)


def _appealed(w):
    _announced(w)
    w.appeal = appeal_submit(actor=w.users["firm_user"], rating=w.rating, reason="检查当日正在维修", today=RUN_DAY)


def _batch(w):
    participating(w, w.estate_a1, 2025, 0, area="20000.00")
    published(w, w.estate_a1, 2025, 1, 5)
    participating(w, w.estate_b1, 2025, 0, area="10000.00")
    published(w, w.estate_b1, 2025, 1, 3)
    w.batch = gen.generate_batch(district=w.shanting, month=MARCH)


def _checked(w):
    _batch(w)
    ap.batch_transition(actor=w.users["district_staff"], batch=w.batch, action="check")


def _approved(w):
    _checked(w)
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="approve")


def _disbursed(w):
    _approved(w)
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="disburse",
                        disbursed_on=datetime.date(2025, 4, 10), voucher="SG-2025-0410", today=AFTER)


def _nothing(w):
    pass


def _no_batch(w):
    participating(w, w.estate_a1, 2025, 0, area="20000.00")
    published(w, w.estate_a1, 2025, 1, 5)
    participating(w, w.estate_b1, 2025, 0, area="10000.00")
    published(w, w.estate_b1, 2025, 1, 3)


def _generate(w):
    w.batch, _outcome = gen.batch_generate(actor=w.users["district_staff"], district=w.shanting, month=MARCH)


def _batch_url(w):
    return reverse("subsidies:batch_detail", args=[w.batch.pk])


@dataclass
class Step:
    fixture: str
    before: Callable
    run: Callable
    actor: str | None  # None: a job, the public or the portal itself acted
    told: set
    url: Callable  # the link of the notices: one page, or a set of pages (one per firm told)
    again: bool = True  # False: running it again is a new occurrence (a second order issued), not a repeat


STEPS = {
    "application.submitted": Step("rating_world", _nothing, _submit, "firm_user", SHANCHENG,
                                  lambda w: reverse("ratings:application_detail", args=[w.app.pk])),
    "application.reported": Step(
        "rating_world", _submit,
        lambda w: application_transition(actor=w.users["street_staff"], application=w.app, action="report"),
        "street_staff", DISTRICT_ADMINS, lambda w: reverse("ratings:application_detail", args=[w.app.pk])),
    "application.accepted": Step(
        "rating_world", _reported,
        lambda w: application_transition(actor=w.users["district_admin"], application=w.app, action="accept"),
        "district_admin", FIRM_1, lambda w: reverse("ratings:application_detail", args=[w.app.pk])),
    "application.returned": Step(
        "rating_world", _submit,
        lambda w: application_transition(actor=w.users["street_staff"], application=w.app, action="return",
                                         comment="缺少物业服务合同"),
        "street_staff", FIRM_1, lambda w: reverse("ratings:application_detail", args=[w.app.pk])),
    "application.rejected": Step(
        "rating_world", _reported,
        lambda w: application_transition(actor=w.users["district_admin"], application=w.app, action="reject",
                                         comment="不符合申报条件"),
        "district_admin", FIRM_1, lambda w: reverse("ratings:application_detail", args=[w.app.pk])),
    "period.announced": Step(
        "rating_world", _computed,
        lambda w: period_announce(actor=w.users["district_admin"], period=w.period, today=RUN_DAY,
                                  now=moment(RUN_DAY)),
        "district_admin", FIRM_1 | {"firm_user2"}, lambda w: reverse("ratings:period_detail", args=[w.period.pk])),
    "period.recomputed": Step(
        "rating_world", _announced,
        lambda w: period_recompute(actor=w.users["district_admin"], period=w.period, reason="补录检查记录",
                                   today=datetime.date(2025, 4, 8), now=moment(datetime.date(2025, 4, 8))),
        "district_admin", FIRM_1 | {"firm_user2"}, lambda w: reverse("ratings:period_detail", args=[w.period.pk])),
    "period.published": Step(
        "rating_world", _announced,
        lambda w: period_publish(actor=w.users["district_admin"], period=w.period, today=AFTER, now=moment(AFTER)),
        "district_admin", FIRM_1 | {"firm_user2"}, lambda w: reverse("ratings:period_detail", args=[w.period.pk])),
    "appeal.filed": Step(
        "rating_world", _announced,
        lambda w: appeal_submit(actor=w.users["firm_user"], rating=w.rating, reason="检查当日正在维修",
                                today=RUN_DAY),
        "firm_user", DISTRICT_ADMINS, lambda w: reverse("ratings:rating_detail", args=[w.rating.pk])),
    "appeal.decided": Step(
        "rating_world", _appealed,
        lambda w: appeal_decide(actor=w.users["district_admin"], appeal=w.appeal, upheld=False,
                                decision="检查记录无误", now=moment(datetime.date(2025, 4, 9))),
        "district_admin", FIRM_1, lambda w: reverse("ratings:rating_detail", args=[w.rating.pk])),
    "batch.generated": Step("sub_world", _no_batch, _generate, "district_staff", {"district_staff_b"},
                            _batch_url),
    "batch.checked": Step(
        "sub_world", _batch,
        lambda w: ap.batch_transition(actor=w.users["district_staff"], batch=w.batch, action="check"),
        "district_staff", DISTRICT_ADMINS, _batch_url),
    "batch.check_returned": Step(
        "sub_world", _checked,
        lambda w: ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="reject_check",
                                      comment="面积有误"),
        "district_admin", DISTRICT_STAFF, _batch_url),
    "batch.approval_returned": Step(
        "sub_world", _approved,
        lambda w: ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="reject_approval",
                                      comment="预算科目有误"),
        "district_admin", {"district_admin_b"}, _batch_url),
    "batch.approved": Step(
        "sub_world", _checked,
        lambda w: ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="approve"),
        "district_admin", SHANCHENG | {"street_staff2"}, _batch_url),
    "batch.disbursed": Step(
        "sub_world", _approved,
        lambda w: ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="disburse",
                                      disbursed_on=datetime.date(2025, 4, 10), voucher="SG-2025-0410",
                                      today=AFTER),
        "district_admin", SHANCHENG | {"street_staff2"}, _batch_url),
    "batch.passed_on": Step(
        "sub_world", _disbursed,
        lambda w: ap.pass_on_record(actor=w.users["street_staff"], batch=w.batch, street_id=w.shancheng.pk,
                                    firm_id=w.firm1.pk, paid_on=datetime.date(2025, 4, 12), voucher="SC-1",
                                    today=AFTER),
        "street_staff", FIRM_1, lambda w: reverse("subsidies:mine")),
}


# --- inspections: the rectification order -------------------------------------------------------------------

ISSUE_AT = credit_at(datetime.date(2025, 3, 3))
ORDER_DEADLINE = datetime.date(2025, 3, 10)


def _order_url(w):
    return reverse("inspections:order_detail", args=[w.order.pk])


def _issue(w):
    w.order = osvc.order_issue(actor=w.users["street_staff"], estate=w.estate_a1, problem="3 号楼楼道堆放杂物",
                               deadline=ORDER_DEADLINE, now=ISSUE_AT)


def _order_answered(w):
    _issue(w)
    osvc.order_answer(actor=w.users["firm_user"], order=w.order, answer="已清理完毕", now=ISSUE_AT)


def _answer(w):
    osvc.order_answer(actor=w.users["firm_user"], order=w.order, answer="已清理完毕", now=ISSUE_AT)


STEPS.update({
    "order.issued": Step("world", _nothing, _issue, "street_staff", FIRM_1, _order_url, again=False),
    "order.answered": Step("world", _issue, _answer, "firm_user", SHANCHENG, _order_url),
    "order.accepted": Step(
        "world", _order_answered,
        lambda w: osvc.order_accept(actor=w.users["street_staff"], order=w.order, comment="复查合格", now=ISSUE_AT),
        "street_staff", FIRM_1, _order_url),
    "order.returned": Step(
        "world", _order_answered,
        lambda w: osvc.order_reject(actor=w.users["street_staff"], order=w.order, reason="杂物仍未清完"),
        "street_staff", FIRM_1, _order_url),
    "order.overdue": Step(
        "world", _issue, lambda w: osvc.mark_overdue_orders(now=credit_at(datetime.date(2025, 3, 11), 1)),
        None, FIRM_1 | SHANCHENG, _order_url),
    "order.cancelled": Step(
        "world", _issue,
        lambda w: osvc.order_cancel(actor=w.users["street_staff"], order=w.order, reason="重复下发", now=ISSUE_AT),
        "street_staff", FIRM_1, _order_url),
})


# --- complaints ------------------------------------------------------------------------------------------------

T0 = at(2026, 12, 1, 9, 0)  # a Tuesday
T1 = at(2026, 12, 1, 10, 0)


@pytest.fixture
def complaint_world(world, make_complaint):
    world.make = make_complaint
    return world


def _complaint_url(w):
    return reverse("complaints:detail", args=[w.c.pk])


def _complaint(status, **kw):
    def before(w):
        w.c = w.make(to=status, at=T0, **kw)
    return before


def _hotline(w):
    w.c = csvc.complaint_receive(actor=None, street=w.shancheng, source="hotline", received_at=T0,
                                 category=_category(), title="电梯故障",
                                 content="3号楼电梯停运两天", now=T0, external_no="GD2026120100012",
                                 estate=w.estate_a1, complainant_name="投诉人", complainant_phone="13900001111")


def _category():
    from complaints.models import Category

    return Category.objects.get(code="sanitation")


def _triage(w):
    w.c = w.make(at=T0, estate=None, street=w.shancheng)


def _extension_asked(w):
    w.c = w.make(to=Status.SIGNED, at=T0)
    csvc.complaint_extend_request(actor=w.users["firm_user"], complaint=w.c, amount=1, reason="等配件", now=T1)


def _late_sign(w):
    """Assigned on Friday 2025-09-26 16:00: the sign-for clock (1 working day) is due at 24:00 on Sunday's
    eve, 2025-09-29 00:00; the street is told a working day later (09-30 00:00), the district another one
    later (10-01 00:00)."""
    w.c = w.make(at=at(2025, 9, 26, 16, 0), step_minutes=0)
    w.c = csvc.complaint_assign(actor=w.users["street_staff"], complaint=w.c, now=at(2025, 9, 26, 16, 0))


def _two_reports(w):
    w.make(at=at(2026, 12, 1, 10, 0), title="楼道垃圾无人清理")
    w.make(at=at(2026, 12, 2, 10, 0), title="电梯停运")


def _third_report(w):
    w.c = w.make(at=at(2026, 12, 4, 9, 0), title="楼道垃圾没人管")


def _reports_on_two_estates(w):
    """Three reports on each of 梅花园 and 锦绣花园 within hours, as an import leaves them: not flagged yet."""
    made = [w.make(at=at(2026, 12, 1, 9 + i, 0), estate=estate) for estate in (w.estate_a1, w.estate_a2)
            for i in range(3)]
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(supervision_flagged=False)
    ComplaintEvent.objects.filter(action=Action.FLAG_REPEATED).delete()
    Notification.objects.filter(key__startswith="complaint.flagged").delete()


def _flag_both(w):
    csvc.complaints_flag_repeated(estate_ids=[w.estate_a1.pk, w.estate_a2.pk], now=at(2026, 12, 1, 15, 0))


STEPS.update({
    "complaint.received": Step("complaint_world", _nothing, _hotline, None, SHANCHENG, _complaint_url),
    "complaint.matched": Step(
        "complaint_world", _triage,
        lambda w: csvc.complaint_match(actor=w.users["street_staff"], complaint=w.c, estate=w.estate_b1, now=T1),
        "street_staff", {"street_staff2"}, _complaint_url),
    "complaint.dispatched": Step(
        "complaint_world", _complaint(Status.RECEIVED),
        lambda w: csvc.complaint_dispatch(actor=w.users["district_admin"], complaint=w.c, street=w.shancheng,
                                          now=T1),
        "district_admin", SHANCHENG, _complaint_url, again=False),  # dispatching again is a new hand-off
    "complaint.assigned": Step(
        "complaint_world", _complaint(Status.RECEIVED),
        lambda w: csvc.complaint_assign(actor=w.users["street_staff"], complaint=w.c, now=T1),
        "street_staff", FIRM_1, _complaint_url),
    "complaint.returned": Step(
        "complaint_world", _complaint(Status.ASSIGNED),
        lambda w: csvc.complaint_return(actor=w.users["firm_user"], complaint=w.c, reason="不属于本企业服务范围",
                                        now=T1),
        "firm_user", SHANCHENG, _complaint_url),
    "complaint.extension_requested": Step(
        "complaint_world", _complaint(Status.SIGNED),
        lambda w: csvc.complaint_extend_request(actor=w.users["firm_user"], complaint=w.c, amount=1,
                                                reason="等配件", now=T1),
        "firm_user", SHANCHENG, _complaint_url),
    "complaint.extension_approved": Step(
        "complaint_world", _extension_asked,
        lambda w: csvc.complaint_extend_decide(actor=w.users["street_staff"], complaint=w.c, approve=True,
                                               comment="同意", now=at(2026, 12, 1, 11, 0)),
        "street_staff", FIRM_1, _complaint_url),
    "complaint.extension_rejected": Step(
        "complaint_world", _extension_asked,
        lambda w: csvc.complaint_extend_decide(actor=w.users["street_staff"], complaint=w.c, approve=False,
                                               comment="理由不充分", now=at(2026, 12, 1, 11, 0)),
        "street_staff", FIRM_1, _complaint_url),
    "complaint.answered": Step(
        "complaint_world", _complaint(Status.SIGNED),
        lambda w: csvc.complaint_answer(actor=w.users["firm_user"], complaint=w.c, answer="已安排保洁清理完毕。",
                                        now=T1),
        "firm_user", SHANCHENG, _complaint_url),
    "complaint.reopened": Step(
        "complaint_world", _complaint(Status.CALLED_BACK, satisfaction=Satisfaction.UNSATISFIED),
        lambda w: csvc.complaint_reopen(actor=w.users["street_staff"], complaint=w.c, reason="投诉人不满意", now=T1),
        "street_staff", FIRM_1, _complaint_url),
    "complaint.urged": Step(
        "complaint_world", _complaint(Status.ASSIGNED),
        lambda w: csvc.complaint_urge(actor=w.users["district_admin"], complaint=w.c, comment="请今天内签收",
                                      now=T1),
        "district_admin", FIRM_1, _complaint_url, again=False),  # each 催办 is news to the firm
    "complaint.supervised": Step(
        "complaint_world", _complaint(Status.SIGNED),
        lambda w: csvc.complaint_supervise(actor=w.users["district_staff"], complaint=w.c, comment="区督办",
                                           now=T1),
        "district_staff", SHANCHENG | FIRM_1, _complaint_url),
    "complaint.overdue.firm": Step(
        "complaint_world", _late_sign, lambda w: csvc.complaints_mark_overdue(now=at(2025, 9, 29, 0, 0)),
        None, FIRM_1, _complaint_url),
    "complaint.overdue.street": Step(
        "complaint_world", _late_sign, lambda w: csvc.complaints_mark_overdue(now=at(2025, 9, 30, 0, 0)),
        None, SHANCHENG, _complaint_url),
    "complaint.overdue.district": Step(
        "complaint_world", _late_sign, lambda w: csvc.complaints_mark_overdue(now=at(2025, 10, 1, 0, 0)),
        None, SHANTING, _complaint_url),
    "complaint.flagged": Step("complaint_world", _two_reports, _third_report, None, SHANTING, _complaint_url),
    "complaint.flagged_many": Step("complaint_world", _reports_on_two_estates, _flag_both, None, SHANTING,
                                   lambda w: reverse("complaints:tasks")),
})


# --- complaints: the 12345 import, told to its uploader -------------------------------------------------------

IMPORT_AT = at(2026, 12, 1, 12, 0)


@pytest.fixture
def import_world(world, mapping):
    world.mapping = mapping
    return world


def _import_url(w):
    return reverse("complaints:import_detail", args=[w.run.pk])


def _uploaded_big(w):
    """A file kept as 检查中 for the background check (as every file over CHECK_INLINE_MAX_BYTES)."""
    with mock.patch.object(import_check, "CHECK_INLINE_MAX_BYTES", 0):
        w.run = import_run_upload(actor=w.users["street_staff"], street=w.shancheng, mapping=w.mapping,
                                  uploaded_file=xlsx([row("N1"), row("N2")]), now=IMPORT_AT)


def _queued(w):
    """A checked file of three rows confirmed with INLINE_MAX_ROWS at 2: queued for the task."""
    w.run = import_run_upload(actor=w.users["street_staff"], street=w.shancheng, mapping=w.mapping,
                              uploaded_file=xlsx([row(f"Q{i}") for i in range(3)]), now=IMPORT_AT)
    with mock.patch.object(import_execute, "INLINE_MAX_ROWS", 2):
        import_run_confirm(actor=w.users["street_staff"], run=w.run, now=IMPORT_AT)


def _execute(w):
    with mock.patch.object(import_execute, "INLINE_MAX_ROWS", 2):
        import_execute.import_run_execute(run_id=w.run.pk, now=IMPORT_AT)


STEPS.update({
    "complaint_import.checked": Step("import_world", _uploaded_big,
                                     lambda w: import_run_check(run_id=w.run.pk, now=IMPORT_AT), None,
                                     {"street_staff"}, _import_url),
    "complaint_import.done": Step("import_world", _queued, _execute, None, {"street_staff"}, _import_url),
})


# --- credit: records, objections, repair, the yearly score, the blacklist ------------------------------------

RECORD_DAY = datetime.date(2025, 6, 2)


def _record_url(w):
    return reverse("enterprises:credit_record", args=[w.record.pk])


def _credit_file_url(w):
    return reverse("enterprises:credit_file", args=[w.firm1.pk])


def _propose(w, *, rule_code="media_exposure", points=-2, title="小区电梯故障被报道"):
    w.record = credit_record_create(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk),
                                    rule_code=rule_code, points=points, title=title, detail="",
                                    occurred_on=RECORD_DAY, document=document(), now=credit_at(RECORD_DAY))


def _confirmed(w):
    _propose(w)
    credit_record_confirm(actor=w.users["district_staff"], record=w.record, now=credit_at(RECORD_DAY, 16))


def _objected(w):
    _propose(w)
    w.objection = credit_objection_submit(actor=w.users["firm_user"], record=w.record, reason="报道失实",
                                          now=credit_at(datetime.date(2025, 6, 3)))


def _serious(w):
    _propose(w, rule_code="firm_disqualified", points=-10, title="因管理不善引发业主群体上访")


def _list(w):
    credit_record_confirm(actor=w.users["district_admin"], record=w.record, now=credit_at(datetime.date(2025, 6, 10)))
    w.entry = w.firm1.blacklist_entries.get()


def _listed(w):
    _serious(w)
    _list(w)


def _reviewed_year(w):
    """2025's scores computed on 2026-01-05 (firms 甲 and 乙 serve estates in it) and reviewed by the city."""
    day = datetime.date(2026, 1, 5)
    w.year = credit_year_run(year=2025, today=day, now=credit_at(day, 4))
    w.year = credit_year_review(actor=w.users["city_admin"], credit_year=w.year, today=day, now=credit_at(day))


STEPS.update({
    "credit.record_notified": Step("credit_world", _nothing, _propose, "district_admin", FIRM_1, _record_url,
                                   again=False),
    "credit.objection_filed": Step(  # recorded by the district: the city decides
        "credit_world", _propose,
        lambda w: credit_objection_submit(actor=w.users["firm_user"], record=w.record, reason="报道失实",
                                          now=credit_at(datetime.date(2025, 6, 3))),
        "firm_user", {"city_admin"}, _record_url),
    "credit.objection_decided": Step(
        "credit_world", _objected,
        lambda w: credit_objection_decide(actor=w.users["city_admin"], objection=w.objection, upheld=False,
                                          decision="报道属实", now=credit_at(datetime.date(2025, 6, 5))),
        "city_admin", FIRM_1, _record_url),
    "credit.record_repaired": Step(
        "credit_world", _confirmed,
        lambda w: credit_record_repair(actor=w.users["district_admin"], record=w.record, reason="已整改",
                                       now=credit_at(datetime.date(2025, 9, 1))),
        "district_admin", FIRM_1, _record_url),
    "credit.score_published": Step(
        "credit_world", _reviewed_year,
        lambda w: credit_year_publish(actor=w.users["city_admin"], credit_year=w.year,
                                      today=datetime.date(2026, 1, 15), now=credit_at(datetime.date(2026, 1, 15))),
        "city_admin", FIRM_1 | {"firm_user2"},
        lambda w: {reverse("enterprises:credit_file", args=[firm.pk]) for firm in (w.firm1, w.firm2)}),
    # The listing is the portal's consequence of confirming a serious record (no actor of its own): the
    # district admin who confirmed is told to print the letters too.
    "blacklist.listed": Step("credit_world", _serious, _list, None, FIRM_1, _credit_file_url),
    "blacklist.letters_due": Step("credit_world", _serious, _list, None, SHANTING, _credit_file_url),
    "blacklist.street_warned": Step("credit_world", _serious, _list, None, SHANCHENG, _credit_file_url),
    "blacklist.removed": Step(
        "credit_world", _listed,
        lambda w: credit_record_repair(actor=w.users["district_admin"], record=w.record, reason="已整改并化解矛盾",
                                       now=credit_at(datetime.date(2025, 9, 1))),
        "district_admin", FIRM_1 | (SHANTING - {"district_admin"}), _credit_file_url),
})


# --- maintenance fund: the application street -> district staff -> district admin -> disbursed -----------------

def _fund_url(w):
    return reverse("maintenance:application_detail", args=[w.fund.pk])


def _fund_submit(w):
    """纺织厂宿舍 (山城街道, 1990, no lift): 6,000 ㎡ at 55 yuan per ㎡."""
    w.fund = fund_submit(w, w.nolift_estate, area="6000.00", per_sqm="55")


def _fund_reviewed(w):
    _fund_submit(w)
    w.fund = fund_step(w, w.fund, "review", "district_staff", comment="材料齐全")


def _fund_approved(w):
    _fund_reviewed(w)
    w.fund = fund_step(w, w.fund, "approve", "district_admin")


STEPS.update({
    "maintenance.submitted": Step("mw", _nothing, _fund_submit, "street_staff", DISTRICT_STAFF, _fund_url),
    "maintenance.reviewed": Step(
        "mw", _fund_submit, lambda w: fund_step(w, w.fund, "review", "district_staff", comment="材料齐全"),
        "district_staff", DISTRICT_ADMINS, _fund_url),
    "maintenance.returned": Step(
        "mw", _fund_submit, lambda w: fund_step(w, w.fund, "return", "district_staff", comment="面积与测绘报告不符"),
        "district_staff", SHANCHENG, _fund_url),
    "maintenance.approved": Step(
        "mw", _fund_reviewed, lambda w: fund_step(w, w.fund, "approve", "district_admin"),
        "district_admin", SHANCHENG | DISTRICT_STAFF, _fund_url),
    "maintenance.disbursed": Step(
        "mw", _fund_approved,
        lambda w: fund_step(w, w.fund, "disburse", "district_admin", disbursed_on=w.today, voucher="WX-2025-001"),
        "district_admin", SHANCHENG, _fund_url),
    "maintenance.withdrawn": Step(
        "mw", _fund_submit, lambda w: fund_step(w, w.fund, "withdraw", "street_staff", comment="另行安排"),
        "street_staff", DISTRICT_STAFF, _fund_url),
})


# --- owner-committee yearly assessment: the street submits -> the district admin confirms or returns -----------

def _ca_url(w):
    return reverse("communities:assessment_detail", args=[w.assessment.pk])


def _ca_submit(w):
    """梅花园's committee (山城街道), 2025, 80 points: qualified, waiting for the district."""
    w.assessment = ca_submit(w, w.c_mei)


STEPS.update({
    "committee_assessment.submitted": Step("aw", _nothing, _ca_submit, "street_staff", DISTRICT_ADMINS, _ca_url),
    "committee_assessment.returned": Step(
        "aw", _ca_submit,
        lambda w: ca_svc.assessment_transition(actor=w.users["district_admin"], assessment=w.assessment,
                                               action="return", comment="评分依据不足", today=w.today),
        "district_admin", SHANCHENG, _ca_url),
    "committee_assessment.confirmed": Step(
        "aw", _ca_submit, lambda w: ca_confirm(w, w.assessment), "district_admin", SHANCHENG, _ca_url),
})


# --- two-way evaluation: the district publishes the year's campaign ----------------------------------------------

def _evaluation_draft(w):
    from evaluations.services import campaign_create

    w.campaign = campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2025,
                                 opens_on=datetime.date(2025, 11, 1), closes_on=datetime.date(2025, 11, 30))


def _evaluation_publish(w):
    from evaluations.services import campaign_publish

    campaign_publish(actor=w.users["district_admin"], campaign=w.campaign, today=datetime.date(2025, 10, 20))


STEPS.update({
    # every street of 山亭区, the firms serving its estates, and 梅园社区's clerk
    "evaluation.opened": Step(
        "world", _evaluation_draft, _evaluation_publish, "district_admin",
        SHANCHENG | {"street_staff2", "community_clerk", "firm_user2"} | FIRM_1,
        lambda w: reverse("evaluations:campaign_detail", args=[w.campaign.pk])),
})


# --- firm sanctions: a safety accident recorded by the street -> imposed; withdrawn by the district -> lifted --

ACCIDENT_DAY = datetime.date(2025, 4, 3)


def _sanction_event_url(w):
    return reverse("enterprises:sanction_event", args=[w.event.pk])


def _sanction_policy(w):
    from enterprises.models import SanctionPolicy

    SanctionPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 1, 1))


def _accident(w):
    """山城街道 records a major safety accident at 梅花园 (firm 甲): the firm loses 2025 at once."""
    from enterprises.sanctions.services import event_record

    pdf = SimpleUploadedFile("事故认定书.pdf", b"%PDF-1.4 accident", content_type="application/pdf")
    w.event = event_record(actor=w.users["street_staff"], firm=w.firm1, unit=Unit(w.shanting.pk, w.shancheng.pk),
                           kind="safety_accident", occurred_on=ACCIDENT_DAY, estate=w.estate_a1,
                           description="3 号楼电梯困人致伤", files=[pdf], now=credit_at(ACCIDENT_DAY))


def _sanctioned(w):
    _sanction_policy(w)
    _accident(w)


def _withdraw_accident(w):
    from enterprises.sanctions.services import event_withdraw

    event_withdraw(actor=w.users["district_admin"], event=w.event, reason="经复核系业主自行改装设备所致",
                   now=credit_at(datetime.date(2025, 4, 10)))


STEPS.update({
    # the firm and every district user of 山亭区 (the street that recorded it is not told: it acted)
    "sanction.imposed": Step("world", _sanction_policy, _accident, "street_staff", FIRM_1 | SHANTING,
                             _sanction_event_url),
    "sanction.lifted": Step("world", _sanctioned, _withdraw_accident, "district_admin",
                            FIRM_1 | (SHANTING - {"district_admin"}), _sanction_event_url),
})


def test_every_declared_event_has_a_worked_step():
    assert set(STEPS) == set(HANDOFFS)


def _told(event):
    """persona -> how many notices of `event` they hold."""
    counts = {}
    for n in Notification.objects.filter(key__startswith=f"{event}:").select_related("user"):
        counts[n.user.username] = counts.get(n.user.username, 0) + 1
    return counts


def _prepared(request, event):
    step = STEPS[event]
    request.getfixturevalue(step.fixture)
    w = request.getfixturevalue("people")
    step.before(w)
    return step, w


@pytest.mark.parametrize("event", list(STEPS))
def test_the_declared_people_are_told_once_and_never_the_actor(request, event):
    step, w = _prepared(request, event)
    assert _told(event) == {}
    step.run(w)
    told = _told(event)
    assert told == dict.fromkeys(step.told, 1)
    assert step.actor not in told
    assert "firm_user_gone" not in told
    url = step.url(w)
    assert set(Notification.objects.filter(key__startswith=f"{event}:").values_list("url", flat=True)) == (
        url if isinstance(url, set) else {url})
    # The same step again: refused, or (a job) done already: nobody is told a second time.
    if step.again:
        try:
            step.run(w)
        except ValidationError:
            pass
        assert _told(event) == told


@pytest.mark.parametrize("event", list(STEPS))
def test_opening_the_object_marks_its_notice_read_and_another_page_does_not(request, client, event):
    step, w = _prepared(request, event)
    step.run(w)
    persona = sorted(step.told)[0]
    notice = Notification.objects.get(user=w.users[persona], key__startswith=f"{event}:")
    client.force_login(w.users[persona])
    other = client.get(reverse("accounts:notifications"))  # another page with the bell, not the object
    assert other.status_code == 200 and other.context["unread_notifications"] > 0
    notice.refresh_from_db()
    assert notice.read_at is None
    url = step.url(w)
    if isinstance(url, set):  # one page per firm: the persona's own
        assert notice.url in url
        url = notice.url
    response = client.get(url)
    assert response.status_code == 200
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert response.context["unread_notifications"] == Notification.objects.filter(
        user=w.users[persona], read_at__isnull=True).count()


def test_the_monthly_job_tells_every_district_staff_member_once(sub_world, people):
    w = people
    _no_batch(w)
    [batch] = gen.generate_all(month=MARCH, district_ids=[w.shanting.pk])
    assert _told("batch.generated") == dict.fromkeys(DISTRICT_STAFF, 1)
    gen.generate_all(month=MARCH, district_ids=[w.shanting.pk])
    gen.batch_generate(actor=w.users["district_staff"], district=w.shanting, month=MARCH, recompute=True)
    assert _told("batch.generated") == dict.fromkeys(DISTRICT_STAFF, 1)
    assert PayoutBatch.objects.get() == batch


def test_a_post_to_the_page_does_not_mark_it_read(rating_world, people, client):
    w = people
    _submit(w)
    notice = Notification.objects.get(user=w.users["street_staff"])
    client.force_login(w.users["street_staff"])
    client.post(reverse("ratings:application_detail", args=[w.app.pk]))
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_notice_linking_to_the_home_page_stays_unread_on_landing_there(world, client):
    """Everyone lands on the home page after logging in: that is not opening the notice's object."""
    from accounts.services import notify

    notify(users=[world.users["firm_user"]], key="home-link", title="一条新通知", url=reverse("home"))
    client.force_login(world.users["firm_user"])
    response = client.get(reverse("home"))
    assert response.status_code == 200 and response.context["unread_notifications"] == 1
    assert Notification.objects.get(key="home-link").read_at is None


def test_a_page_costs_no_update_when_nothing_is_unread(world, client):
    """The mark-read UPDATE runs only for users the bell shows unread notices to."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.users["firm_user"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    assert not [q for q in queries.captured_queries
                if q["sql"].startswith("UPDATE") and "notification" in q["sql"]]


def test_passed_on_is_told_to_the_firm_paid_only(sub_world, people):
    """Each pass-on tells its own firm: firm 乙's users hear of 北庄街道's payment, not of 山城街道's."""
    w = people
    _disbursed(w)
    STEPS["batch.passed_on"].run(w)
    ap.pass_on_record(actor=w.users["street_staff2"], batch=w.batch, street_id=w.beizhuang.pk, firm_id=w.firm2.pk,
                      paid_on=datetime.date(2025, 4, 13), voucher="BZ-1", today=AFTER)
    assert _told("batch.passed_on") == {**dict.fromkeys(FIRM_1, 1), "firm_user2": 1}
    assert PassOn.objects.count() == 2
