"""The flow of a work order: every step through the declared table, and every forbidden step refused.

The forbidden transitions are generated from TRANSITIONS itself: for each user action, an order in every
status the action does not start from is refused with a Chinese message naming the current status, and
nothing is written. For each action, a persona of the wrong kind is refused too.
"""
import pytest
from django.core.exceptions import ValidationError

from accounts.models import Notification
from complaints import services as svc
from complaints.models import Action, Complaint, ComplaintEvent, FirmHandling, Satisfaction, Status
from complaints.services import TRANSITIONS, USER_ACTIONS, action_refusal, allowed_actions

from .conftest import OTHER_PEOPLE, at

pytestmark = pytest.mark.django_db

T0 = at(2026, 12, 1, 9, 0)  # Tuesday
NOW = at(2026, 12, 1, 10, 0)


@pytest.fixture
def in_status(world, make_complaint):
    """in_status(Status.X) -> an order of 梅花园 (firm 甲) in that status, built through the services."""

    def _build(status):
        if status in (Status.RECEIVED, Status.ASSIGNED, Status.SIGNED, Status.ANSWERED, Status.CALLED_BACK,
                      Status.CLOSED):
            return make_complaint(to=status, at=T0,
                                  satisfaction=Satisfaction.UNSATISFIED if status == Status.CALLED_BACK
                                  else Satisfaction.SATISFIED)
        if status == Status.DISPATCHED:
            c = make_complaint(at=T0)
            return svc.complaint_dispatch(actor=world.users["district_admin"], complaint=c, street=world.shancheng,
                                          now=at(2026, 12, 1, 9, 5))
        if status == Status.RETURNED:
            c = make_complaint(to=Status.ASSIGNED, at=T0)
            return svc.complaint_return(actor=world.users["firm_user"], complaint=c, reason="不属于本企业服务范围",
                                        now=at(2026, 12, 1, 9, 5))
        if status == Status.MERGED:
            case = make_complaint(at=T0)
            report = make_complaint(at=at(2026, 12, 1, 9, 1))
            svc.complaint_merge(actor=world.users["street_staff"], case=case, reports=[report], comment="同一事项",
                                now=at(2026, 12, 1, 9, 5))
            report.refresh_from_db()
            return report
        raise AssertionError(status)

    return _build


def call(world, make_complaint, action, complaint, persona=None):
    """Take `action` through its service, as `persona` (default: the kind of user the table names)."""
    u = world.users
    who = TRANSITIONS[action].who
    actor = u[persona or ("street_staff" if "street" in who else "firm_user" if "firm" in who else "district_admin")]
    kw = {"actor": actor, "complaint": complaint, "now": NOW}
    return {
        Action.MATCH: lambda: svc.complaint_match(estate=world.estate_a1, **kw),
        Action.DISPATCH: lambda: svc.complaint_dispatch(street=world.shancheng, **kw),
        Action.ASSIGN: lambda: svc.complaint_assign(**kw),
        Action.SIGN: lambda: svc.complaint_sign(**kw),
        Action.RETURN: lambda: svc.complaint_return(reason="不属于本企业服务范围", **kw),
        Action.EXTEND_REQUEST: lambda: svc.complaint_extend_request(amount=2, reason="需采购配件", **kw),
        Action.EXTEND_APPROVE: lambda: svc.complaint_extend_decide(approve=True, comment="同意", **kw),
        Action.EXTEND_REJECT: lambda: svc.complaint_extend_decide(approve=False, comment="理由不充分", **kw),
        Action.ANSWER: lambda: svc.complaint_answer(answer="已处理", **kw),
        Action.CALLBACK: lambda: svc.complaint_callback(contacted=True, solved=True,
                                                        satisfaction=Satisfaction.SATISFIED, comment="", **kw),
        Action.CLOSE: lambda: svc.complaint_close(comment="非物业管理事项，已告知投诉人", **kw),
        Action.REOPEN: lambda: svc.complaint_reopen(reason="投诉人不满意", **kw),
        Action.URGE: lambda: svc.complaint_urge(comment="请尽快办理", **kw),
        Action.SUPERVISE: lambda: svc.complaint_supervise(comment="区督办", **kw),
        Action.MERGE: lambda: svc.complaint_merge(actor=actor, case=make_complaint(at=T0), reports=[complaint],
                                                  comment="同一事项", now=NOW),
        Action.MARK_MAJOR: lambda: svc.complaint_mark_major(reason="造成恶劣影响", **kw),
        Action.UNMARK_MAJOR: lambda: svc.complaint_unmark_major(reason="认定有误", **kw),
        Action.EXCLUDE: lambda: svc.complaint_exclude(kind="unreasonable", reason="诉求不合理", **kw),
    }[action]()


FORBIDDEN = [(a, s) for a in USER_ACTIONS for s in Status.values if s not in TRANSITIONS[a].sources]


@pytest.mark.parametrize(("action", "status"), FORBIDDEN)
def test_every_forbidden_transition_is_refused_naming_the_status(world, make_complaint, in_status, action, status):
    c = in_status(status)
    events = ComplaintEvent.objects.filter(complaint=c).count()
    label = Status(status).label
    assert f"工单当前状态为“{label}”" in action_refusal(world.users["street_staff"], c, action, NOW)
    with pytest.raises(ValidationError) as err:
        # As the street clerk, who sees every order of the street: the status is refused before who acts.
        call(world, make_complaint, action, c, persona="street_staff")
    assert f"当前状态为“{label}”" in " ".join(err.value.messages)
    c.refresh_from_db()
    assert c.status == status
    assert ComplaintEvent.objects.filter(complaint=c).count() == events


def test_the_table_covers_every_action_but_receive():
    assert set(TRANSITIONS) == set(Action.values) - {Action.RECEIVE}
    assert len(FORBIDDEN) > 60


# For each action: a status it may start from.
START = {
    Action.MATCH: Status.RECEIVED, Action.DISPATCH: Status.RECEIVED, Action.ASSIGN: Status.RECEIVED,
    Action.SIGN: Status.ASSIGNED, Action.RETURN: Status.ASSIGNED, Action.EXTEND_REQUEST: Status.SIGNED,
    Action.EXTEND_APPROVE: "pending", Action.EXTEND_REJECT: "pending", Action.ANSWER: Status.SIGNED,
    Action.CALLBACK: Status.ANSWERED, Action.CLOSE: Status.CALLED_BACK, Action.REOPEN: Status.CALLED_BACK,
    Action.URGE: Status.ASSIGNED, Action.SUPERVISE: Status.SIGNED, Action.MERGE: Status.RECEIVED,
    Action.MARK_MAJOR: Status.SIGNED, Action.UNMARK_MAJOR: "major", Action.EXCLUDE: Status.CLOSED,
}
# Who qualifies for each kind of TRANSITIONS.who (a city administrator edits everything, as everywhere).
QUALIFY = {"street": {"street_staff", "district_admin", "city_admin"}, "firm": {"firm_user"},
           "district": {"district_admin", "district_staff"}}
PERSONAS = ["city_admin", "district_admin", "district_staff", "district_admin_gc", "street_staff",
            "street_staff2", "community_clerk", "firm_user", "firm_user2"]


def _start(world, in_status, action):
    start = START[action]
    if start == "pending":
        c = in_status(Status.SIGNED)
        return svc.complaint_extend_request(actor=world.users["firm_user"], complaint=c, amount=2,
                                            reason="需采购配件", now=at(2026, 12, 1, 9, 30))
    if start == "major":
        c = in_status(Status.SIGNED)
        return svc.complaint_mark_major(actor=world.users["street_staff"], complaint=c, reason="造成恶劣影响",
                                        now=at(2026, 12, 1, 9, 30))
    return in_status(start)


@pytest.mark.parametrize("action", USER_ACTIONS)
def test_every_action_is_refused_to_users_who_may_not_take_it(world, make_complaint, in_status, action):
    c = _start(world, in_status, action)
    who = TRANSITIONS[action].who
    qualified = set().union(*(QUALIFY[k] for k in who))
    personas = [p for p in PERSONAS if p not in qualified]
    for persona in sorted(personas):
        before = ComplaintEvent.objects.filter(complaint=c).count()
        assert action_refusal(world.users[persona], c, action, NOW), (action, persona)
        with pytest.raises(ValidationError):
            call(world, make_complaint, action, c, persona=persona)
        assert ComplaintEvent.objects.filter(complaint=c).count() == before, (action, persona)
    # ...and the right persona may.
    allowed_persona = "street_staff" if "street" in who else "firm_user" if "firm" in who else "district_admin"
    assert action in allowed_actions(world.users[allowed_persona], c, NOW), (action, allowed_persona)


def test_wrong_who_message_names_who_may(world, in_status):
    c = in_status(Status.ASSIGNED)
    assert action_refusal(world.users["street_staff"], c, Action.SIGN, NOW) == "只有承办的物业企业可以签收。"
    assert action_refusal(world.users["firm_user"], c, Action.SUPERVISE, NOW) == "只有区住房保障部门可以督办。"


def test_buttons_per_persona_for_an_assigned_order(world, in_status):
    c = in_status(Status.ASSIGNED)
    u = world.users
    assert allowed_actions(u["firm_user"], c, NOW) == ["sign", "return"]
    assert allowed_actions(u["street_staff"], c, NOW) == ["urge", "merge", "mark_major"]
    assert allowed_actions(u["district_admin"], c, NOW) == ["urge", "supervise", "merge", "mark_major", "exclude"]
    assert allowed_actions(u["district_staff"], c, NOW) == ["urge", "supervise", "exclude"]
    for persona in ("firm_user2", "street_staff2", "community_clerk", "district_admin_gc"):
        assert allowed_actions(u[persona], c, NOW) == []


def test_buttons_for_a_received_order_and_after_an_unsatisfied_callback(world, in_status):
    u = world.users
    received = in_status(Status.RECEIVED)
    assert allowed_actions(u["street_staff"], received, NOW) == ["match", "assign", "close", "merge", "mark_major"]
    assert allowed_actions(u["firm_user"], received, NOW) == []
    called_back = in_status(Status.CALLED_BACK)  # 不满意
    assert allowed_actions(u["street_staff"], called_back, NOW) == ["close", "reopen", "merge", "mark_major"]


def test_the_whole_flow_writes_one_event_per_step_with_who_and_when(world, make_complaint):
    u = world.users
    c = make_complaint(at=T0)
    steps = [
        (lambda c: svc.complaint_assign(actor=u["street_staff"], complaint=c, now=at(2026, 12, 1, 9, 10)),
         Status.RECEIVED, Status.ASSIGNED, "street_staff"),
        (lambda c: svc.complaint_sign(actor=u["firm_user"], complaint=c, now=at(2026, 12, 1, 9, 20)),
         Status.ASSIGNED, Status.SIGNED, "firm_user"),
        (lambda c: svc.complaint_answer(actor=u["firm_user"], complaint=c, answer="已清理", now=at(2026, 12, 2, 9)),
         Status.SIGNED, Status.ANSWERED, "firm_user"),
        (lambda c: svc.complaint_callback(actor=u["street_staff"], complaint=c, contacted=True, solved=False,
                                          satisfaction=Satisfaction.UNSATISFIED, comment="仍有垃圾",
                                          now=at(2026, 12, 2, 10)),
         Status.ANSWERED, Status.CALLED_BACK, "street_staff"),
        (lambda c: svc.complaint_reopen(actor=u["street_staff"], complaint=c, reason="回访不满意",
                                        now=at(2026, 12, 2, 11)),
         Status.CALLED_BACK, Status.ASSIGNED, "street_staff"),
    ]
    for fn, before, after, persona in steps:
        c = fn(c)
        e = c.events.order_by("-pk").first()
        assert (e.from_status, e.to_status, e.actor_id) == (before, after, u[persona].pk)
    c.refresh_from_db()
    assert c.reopened_count == 1
    assert c.satisfaction == "" and c.callback_contacted is None  # the new round is called back anew
    assert FirmHandling.objects.filter(complaint=c).count() == 2
    assert c.handled_by.assigned_at == at(2026, 12, 2, 11)
    assert c.sign_due_at == at(2026, 12, 4, 0, 0)  # 1 working day after Wednesday 12-02: end of Thursday


def test_return_goes_back_to_the_street_and_a_reassignment_is_a_new_handling(world, make_complaint):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    first = c.handled_by_id
    c = svc.complaint_return(actor=world.users["firm_user"], complaint=c, reason="地址不在本小区", now=NOW)
    assert c.status == Status.RETURNED and c.handled_by_id is None and c.sign_due_at is None
    assert FirmHandling.objects.get(pk=first).ended_at == NOW
    assert Notification.objects.filter(user=world.users["street_staff"], key__startswith="complaint.returned:").count() == 1
    c = svc.complaint_assign(actor=world.users["street_staff"], complaint=c, now=at(2026, 12, 1, 11))
    assert c.handled_by_id != first and c.status == Status.ASSIGNED
    assert action_refusal(world.users["firm_user"], c, Action.SIGN, NOW) is None


def test_close_from_the_queue_needs_a_reason_and_callback_fields_are_checked(world, make_complaint):
    c = make_complaint(at=T0)
    with pytest.raises(ValidationError, match="请说明理由"):
        svc.complaint_close(actor=world.users["street_staff"], complaint=c, now=NOW)
    a = make_complaint(to=Status.ANSWERED, at=T0)
    with pytest.raises(ValidationError) as err:
        svc.complaint_callback(actor=world.users["street_staff"], complaint=a, contacted=True, solved=None,
                               satisfaction="", comment="", now=NOW)
    assert set(err.value.message_dict) == {"solved", "satisfaction"}
    a.refresh_from_db()
    assert a.status == Status.ANSWERED and a.events.count() == 4


def test_reopen_only_after_an_unsatisfied_callback(world, make_complaint):
    c = make_complaint(to=Status.CALLED_BACK, at=T0, satisfaction=Satisfaction.BASIC)
    assert action_refusal(world.users["street_staff"], c, Action.REOPEN, NOW) == "只有回访结果为“不满意”的工单可以重办。"
    with pytest.raises(ValidationError, match="不满意"):
        svc.complaint_reopen(actor=world.users["street_staff"], complaint=c, reason="再办一次", now=NOW)


def test_assign_needs_an_estate_with_a_serving_firm(world, make_complaint):
    triage = make_complaint(at=T0, estate=None, street=world.shancheng)
    assert "待分拣" in action_refusal(world.users["street_staff"], triage, Action.ASSIGN, NOW)
    no_firm = make_complaint(at=T0, estate=world.estate_a2)  # 锦绣花园: nobody serves it
    msg = action_refusal(world.users["street_staff"], no_firm, Action.ASSIGN, NOW)
    assert msg.startswith("小区“锦绣花园”目前没有服务企业")
    # Triage: matching places the order on an estate (and its street).
    moved = svc.complaint_match(actor=world.users["street_staff"], complaint=triage, estate=world.estate_b1, now=NOW)
    assert (moved.estate, moved.street, moved.firm) == (world.estate_b1, world.beizhuang, world.firm2)
    assert Notification.objects.filter(user=world.users["street_staff2"], key__startswith="complaint.matched:").count() == 1
    with pytest.raises(ValidationError, match="管城回族区|山亭区"):
        svc.complaint_match(actor=world.users["district_admin"], complaint=moved, estate=world.estate_c1, now=NOW)


def test_an_order_outside_the_scope_is_not_found(world, make_complaint):
    c = make_complaint(at=T0)
    with pytest.raises(ValidationError, match="未找到该工单"):
        svc.complaint_assign(actor=world.users["street_staff2"], complaint=c, now=NOW)


def test_receive_refuses_bad_input_and_saves_nothing(world, category):
    before = Complaint.objects.count()
    with pytest.raises(ValidationError) as err:
        svc.complaint_receive(actor=world.users["street_staff"], street=world.shancheng, source="fax",
                              received_at=at(2026, 12, 2, 9), category=category, title=" ", content="",
                              now=NOW, urgency="soon")
    assert set(err.value.message_dict) == {"source", "urgency", "received_at", "title", "content"}
    with pytest.raises(ValidationError, match="不能为“北庄街道”登记投诉"):
        svc.complaint_receive(actor=world.users["street_staff"], street=world.beizhuang, source="walk_in",
                              received_at=T0, category=category, title="噪音", content="夜间施工噪音", now=NOW)
    with pytest.raises(ValidationError, match="不在管城回族区|不在山亭区"):
        svc.complaint_receive(actor=world.users["street_staff"], street=world.shancheng, source="walk_in",
                              received_at=T0, category=category, title="噪音", content="夜间施工噪音", now=NOW,
                              estate=world.estate_c1)
    assert Complaint.objects.count() == before


def test_receive_keeps_policy_firm_and_refuses_a_second_hotline_number(world, category):
    kw = dict(actor=None, street=world.shancheng, source="hotline", received_at=T0, category=category,
              title="电梯故障", content="3号楼电梯停运两天", now=NOW, external_no="GD2026120100012",
              estate=world.estate_a1, complainant_name=OTHER_PEOPLE[0], complainant_phone="13900001111")
    c = svc.complaint_receive(**kw)
    assert c.status == Status.RECEIVED and c.firm == world.firm1 and c.policy.district == world.shanting
    assert c.number.startswith("TS20261201-") and len(c.tracking_code) == 10
    assert c.events.get().action == Action.RECEIVE
    # The street's staff are told of an order that arrived without one of them.
    assert Notification.objects.filter(user=world.users["street_staff"], key__startswith="complaint.received:").count() == 1
    with pytest.raises(ValidationError, match="GD2026120100012 已登记"):
        svc.complaint_receive(**kw)


def test_merge_reports_into_one_case_which_closes_them(world, make_complaint):
    u = world.users
    case = make_complaint(to=Status.CALLED_BACK, at=T0)
    r1 = make_complaint(at=at(2026, 12, 1, 9, 30), complainant_name=OTHER_PEOPLE[1])
    r2 = make_complaint(to=Status.ASSIGNED, at=at(2026, 12, 1, 9, 40))
    other_estate = make_complaint(at=T0, estate=world.estate_a2)
    with pytest.raises(ValidationError, match="不是同一小区"):
        svc.complaint_merge(actor=u["street_staff"], case=case, reports=[r1, other_estate], comment="", now=NOW)
    r1.refresh_from_db()
    assert r1.status == Status.RECEIVED  # nothing half-merged
    svc.complaint_merge(actor=u["street_staff"], case=case, reports=[r1, r2], comment="同一事项", now=NOW)
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert (r1.status, r1.merged_into, r2.status, r2.merged_into) == (Status.MERGED, case, Status.MERGED, case)
    assert r1.complainant_name == OTHER_PEOPLE[1] and r1.number != case.number
    assert r2.handled_by.ended_at == NOW
    with pytest.raises(ValidationError, match="已并案"):
        svc.complaint_merge(actor=u["street_staff"], case=other_estate, reports=[r1], comment="", now=NOW)
    svc.complaint_close(actor=u["street_staff"], complaint=case, now=at(2026, 12, 1, 11))
    r1.refresh_from_db()
    assert r1.closed_at == at(2026, 12, 1, 11) and r1.status == Status.MERGED
    assert r1.events.order_by("-pk").first().action == Action.CLOSE
    assert Complaint.objects.open().filter(pk__in=[case.pk, r1.pk, r2.pk]).count() == 0
