"""Who is told of each ratings and subsidies step (accounts/notices.py HANDOFFS), and the notice read on
opening its page.

Each declared event has one worked step below: the state before it, the step run through its service, the
persona who acts and the personas told, written out by hand (not read from the declaration). Besides the
world's personas there are a second user of firm 甲 (firm_user_b), a second district admin and a second
district staff member of 山亭区, and a deactivated user of firm 甲, who is never told.

Places (tests/conftest.py): 梅花园 is served by firm 甲 in 山城街道 (street_staff), 北庄花园 by firm 乙 in
北庄街道 (street_staff2), both in 山亭区.
"""
import datetime
from dataclasses import dataclass
from typing import Callable

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Notification, Role
from accounts.notices import HANDOFFS
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
from tests.factories import user_with_role
from tests.ratings.conftest import accept, components, inspected, moment, rating_world  # noqa: F401
from tests.subsidies.conftest import participating, published, sub_world  # noqa: F401

pytestmark = pytest.mark.django_db

APPLY_DAY = datetime.date(2025, 2, 1)
RUN_DAY = datetime.date(2025, 4, 6)
DEADLINE = datetime.date(2025, 4, 13)  # RUN_DAY + the default policy's 7 appeal days
AFTER = datetime.date(2025, 4, 14)
MARCH = datetime.date(2025, 3, 1)
FIRM_1 = {"firm_user", "firm_user_b"}
DISTRICT_ADMINS = {"district_admin", "district_admin_b"}
DISTRICT_STAFF = {"district_staff", "district_staff_b"}


@pytest.fixture
def people(world):
    w = world
    w.users["firm_user_b"] = user_with_role("firm_user_b", Role.FIRM_USER, firm=w.firm1)
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
    actor: str
    told: set
    url: Callable


STEPS = {
    "application.submitted": Step("rating_world", _nothing, _submit, "firm_user", {"street_staff"},
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
        "district_admin", {"street_staff", "street_staff2"}, _batch_url),
    "batch.disbursed": Step(
        "sub_world", _approved,
        lambda w: ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="disburse",
                                      disbursed_on=datetime.date(2025, 4, 10), voucher="SG-2025-0410",
                                      today=AFTER),
        "district_admin", {"street_staff", "street_staff2"}, _batch_url),
    "batch.passed_on": Step(
        "sub_world", _disbursed,
        lambda w: ap.pass_on_record(actor=w.users["street_staff"], batch=w.batch, street_id=w.shancheng.pk,
                                    firm_id=w.firm1.pk, paid_on=datetime.date(2025, 4, 12), voucher="SC-1",
                                    today=AFTER),
        "street_staff", FIRM_1, lambda w: reverse("subsidies:mine")),
}


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
    assert "firm_user_gone" not in told and "city_admin" not in told
    url = step.url(w)
    assert set(Notification.objects.filter(key__startswith=f"{event}:").values_list("url", flat=True)) == {url}
    # The same step again: refused, or (a job) done already: nobody is told a second time.
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
    response = client.get(step.url(w))
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
