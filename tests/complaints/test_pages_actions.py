"""Actions through the detail page: each posts to complaints:act, calls its service with the page's clock and
writes exactly one event; a refused action shows the page again with its Chinese message and writes nothing.

Times (Asia/Shanghai; December 2026 has no holidays): received Tuesday 2026-12-01 09:00, assigned 09:01,
signed 09:02. The return limit (2 working days from the assignment) ends at 24:00 Thursday 12-03; the
answer limit (5 working days from signing) at 24:00 Tuesday 12-08.
"""
import pytest
from django.urls import reverse

from complaints.models import (
    Action,
    AttachmentKind,
    Complaint,
    ComplaintEvent,
    Satisfaction,
    Source,
    Status,
)

from .conftest import OTHER_PEOPLE, at
from .test_pages_permissions import png

pytestmark = pytest.mark.django_db

T0 = at(2026, 12, 1, 9, 0)


@pytest.fixture
def clock(time_machine):
    """clock(moment): the pages' timezone.now() from here on."""

    def _move(moment):
        time_machine.move_to(moment, tick=False)
        return moment

    _move(at(2026, 12, 1, 10, 0))
    return _move


def act(client, c, action, data=None, **extra):
    return client.post(reverse("complaints:act", args=[c.pk, action]), data or {}, **extra)


def events(c):
    return list(ComplaintEvent.objects.filter(complaint=c).order_by("pk").values_list("action", flat=True))


def test_firm_signs_through_the_page_status_changes_and_one_event_is_written(make_complaint, login, clock):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    before = events(c)
    client = login("firm_user")
    page = client.get(reverse("complaints:detail", args=[c.pk]))
    assert page.context["actions"][:1] == ["sign"]
    assert 'data-testid="action-sign"' in page.content.decode()
    response = act(client, c, "sign")
    assert response.status_code == 302 and response["Location"] == reverse("complaints:detail", args=[c.pk])
    c.refresh_from_db()
    assert c.status == Status.SIGNED
    assert c.signed_at == at(2026, 12, 1, 10, 0)  # the page's clock, passed to the service
    assert events(c) == before + [Action.SIGN]


def test_firm_answers_with_photos(make_complaint, login, clock):
    c = make_complaint(to=Status.SIGNED, at=T0)
    response = act(login("firm_user"), c, "answer", {"answer-answer": "已清理楼道垃圾，并安排每日巡查。",
                                                    "answer-photos": [png("a.png"), png("b.png", "blue")]})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.answer) == (Status.ANSWERED, "已清理楼道垃圾，并安排每日巡查。")
    assert c.attachments.filter(kind=AttachmentKind.ANSWER).count() == 2
    assert events(c)[-1] == Action.ANSWER and events(c).count(Action.ANSWER) == 1
    html = login("street_staff").get(reverse("complaints:detail", args=[c.pk])).content.decode()
    for photo in c.attachments.all():
        assert reverse("complaints:attachment", args=[photo.pk]) in html


def test_four_answer_photos_are_refused_and_nothing_is_written(make_complaint, login, clock):
    c = make_complaint(to=Status.SIGNED, at=T0)
    before = events(c)
    response = act(login("firm_user"), c, "answer", {"answer-answer": "已处理",
                                                    "answer-photos": [png(f"{i}.png") for i in range(4)]})
    assert response.status_code == 200
    assert "最多上传 3 个文件" in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.SIGNED and not c.attachments.exists() and events(c) == before


def test_an_answer_photo_that_is_not_an_image_is_refused_with_its_name(make_complaint, login, clock):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = make_complaint(to=Status.SIGNED, at=T0)
    fake = SimpleUploadedFile("现场.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")
    response = act(login("firm_user"), c, "answer", {"answer-answer": "已处理", "answer-photos": [fake]})
    assert response.status_code == 200
    assert "现场.jpg" in response.content.decode() and "不是 JPG、PNG、WebP 图片或 PDF 文件" in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.SIGNED and not c.attachments.exists()


def test_return_form_says_its_limit_up_front(make_complaint, login, clock):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    html = login("firm_user").get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert "退单须在派单后 2 工作日内" in html
    assert "2026-12-03 24:00" in html  # the return deadline, as the due filter writes it


def test_return_after_its_limit_is_refused_on_the_page_and_writes_nothing(make_complaint, login, clock):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    before = events(c)
    clock(at(2026, 12, 4, 9, 0))  # Friday: the limit ended at 24:00 Thursday
    client = login("firm_user")
    page = client.get(reverse("complaints:detail", args=[c.pk]))
    assert "return" not in page.context["actions"]
    assert any("退单须在派单后" in why for _label, why in page.context["refusals"])
    response = act(client, c, "return", {"return-reason": "不属于本企业服务范围"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "现已超过退单时限" in html and "退单未完成" in html
    c.refresh_from_db()
    assert c.status == Status.ASSIGNED and c.handled_by.ended_at is None and events(c) == before


def test_return_within_its_limit_goes_back_to_the_street(make_complaint, login, clock):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    response = act(login("firm_user"), c, "return", {"return-reason": "不属于本企业服务范围"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Status.RETURNED and events(c)[-1] == Action.RETURN
    ev = c.events.last()
    assert ev.comment == "不属于本企业服务范围" and (ev.from_status, ev.to_status) == (Status.ASSIGNED, Status.RETURNED)


def test_return_without_a_reason_is_a_form_error(make_complaint, login, clock):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    before = events(c)
    response = act(login("firm_user"), c, "return", {"return-reason": "  "})
    assert response.status_code == 200 and "请填写退单理由" in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.ASSIGNED and events(c) == before


def test_extension_beyond_the_maximum_is_refused_by_the_form(make_complaint, login, clock):
    c = make_complaint(to=Status.SIGNED, at=T0)
    client = login("firm_user")
    assert "延期累计不超过 10 工作日" in client.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    before = events(c)
    response = act(client, c, "extend_request", {"extend_request-amount": "11", "extend_request-reason": "材料未到"})
    assert response.status_code == 200
    assert "本工单还可延期 10 工作日" in response.content.decode()
    c.refresh_from_db()
    assert c.extension_requested is None and events(c) == before


def test_extension_requested_by_the_firm_and_approved_by_the_street_moves_the_answer_due(make_complaint, login,
                                                                                       clock):
    c = make_complaint(to=Status.SIGNED, at=T0)
    assert c.answer_due_at == at(2026, 12, 9, 0, 0)
    response = act(login("firm_user"), c, "extend_request", {"extend_request-amount": "3",
                                                             "extend_request-reason": "需更换水泵，配件未到"})
    assert response.status_code == 302
    client = login("street_staff")
    page = client.get(reverse("complaints:detail", args=[c.pk]))
    html = page.content.decode()
    assert 'data-testid="submit-extend_approve"' in html and 'data-testid="submit-extend_reject"' in html
    response = act(client, c, "extend_approve", {"extend_decide-comment": "同意"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.extended_total == 3 and c.extension_requested is None
    assert c.answer_due_at == at(2026, 12, 12, 0, 0)  # 24:00 Friday 12-11: three working days on
    assert events(c)[-2:] == [Action.EXTEND_REQUEST, Action.EXTEND_APPROVE]


def test_rejecting_an_extension_without_a_reason_is_refused(make_complaint, login, clock):
    c = make_complaint(to=Status.SIGNED, at=T0)
    act(login("firm_user"), c, "extend_request", {"extend_request-amount": "2", "extend_request-reason": "材料未到"})
    before = events(c)
    response = act(login("street_staff"), c, "extend_reject", {"extend_decide-comment": ""})
    assert response.status_code == 200 and "驳回延期申请时请说明理由" in response.content.decode()
    c.refresh_from_db()
    assert c.extension_requested == 2 and events(c) == before


def test_street_calls_back_and_closes(make_complaint, login, clock):
    c = make_complaint(to=Status.ANSWERED, at=T0)
    client = login("street_staff")
    response = act(client, c, "callback", {"callback-contacted": "true", "callback-solved": "true",
                                           "callback-satisfaction": Satisfaction.BASIC, "callback-comment": "已回访"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.callback_contacted, c.callback_solved, c.satisfaction) == (
        Status.CALLED_BACK, True, True, Satisfaction.BASIC)
    response = act(client, c, "close", {"close-comment": ""})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Status.CLOSED and c.closed_at == at(2026, 12, 1, 10, 0)
    assert events(c)[-2:] == [Action.CALLBACK, Action.CLOSE]


def test_callback_contacted_needs_a_satisfaction(make_complaint, login, clock):
    c = make_complaint(to=Status.ANSWERED, at=T0)
    before = events(c)
    response = act(login("street_staff"), c, "callback", {"callback-contacted": "true", "callback-solved": "false"})
    assert response.status_code == 200 and "已联系上投诉人，请选择满意度" in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.ANSWERED and events(c) == before


def test_reopen_after_a_satisfied_callback_is_refused_with_its_reason(make_complaint, login, clock):
    c = make_complaint(to=Status.CALLED_BACK, at=T0, satisfaction=Satisfaction.SATISFIED)
    client = login("street_staff")
    assert "reopen" not in client.get(reverse("complaints:detail", args=[c.pk])).context["actions"]
    before = events(c)
    response = act(client, c, "reopen", {"reopen-reason": "投诉人仍有意见"})
    assert response.status_code == 200
    assert "只有回访结果为“不满意”的工单可以重办" in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.CALLED_BACK and c.reopened_count == 0 and events(c) == before


def test_reopen_after_an_unsatisfied_callback_goes_back_to_the_firm(make_complaint, login, clock):
    c = make_complaint(to=Status.CALLED_BACK, at=T0, satisfaction=Satisfaction.UNSATISFIED)
    response = act(login("street_staff"), c, "reopen", {"reopen-reason": "投诉人反映垃圾仍未清理"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.reopened_count) == (Status.ASSIGNED, 1)
    assert events(c)[-1] == Action.REOPEN


def test_a_wrong_persona_posting_an_action_gets_the_refusal_not_a_change(make_complaint, login, clock):
    """The community clerk sees the order but is not in its handling chain."""
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    before = events(c)
    client = login("community_clerk")
    assert client.get(reverse("complaints:detail", args=[c.pk])).context["actions"] == []
    response = act(client, c, "sign")
    assert response.status_code == 200 and "只有承办的物业企业可以签收" in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.ASSIGNED and events(c) == before


def test_unknown_action_is_not_found(make_complaint, login, clock):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    assert act(login("street_staff"), c, "overdue").status_code == 404
    assert act(login("street_staff"), c, "delete").status_code == 404


def test_district_dispatches_to_a_street_of_its_district_only(world, make_complaint, login, clock):
    c = make_complaint(at=T0, estate=None, street=world.shancheng)
    client = login("district_admin")
    response = act(client, c, "dispatch", {"dispatch-street": world.zijingshan.pk, "dispatch-comment": ""})
    assert response.status_code == 200 and "所选街道不在本区" in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.RECEIVED
    response = act(client, c, "dispatch", {"dispatch-street": world.beizhuang.pk, "dispatch-comment": "请北庄街道核实"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.street) == (Status.DISPATCHED, world.beizhuang)


def test_triage_match_from_the_queue_returns_to_the_queue(world, make_complaint, login, clock):
    c = make_complaint(at=T0, estate=None, street=world.shancheng, address="山城路梅花园 3 号楼")
    client = login("street_staff")
    queue = client.get(reverse("complaints:triage"))
    assert [r.pk for r in queue.context["rows"]] == [c.pk]
    assert "山城路梅花园 3 号楼" in queue.content.decode()
    response = act(client, c, "match", {"match-estate": world.estate_a1.pk, "next": reverse("complaints:triage")})
    assert response.status_code == 302 and response["Location"] == reverse("complaints:triage")
    c.refresh_from_db()
    assert c.estate == world.estate_a1 and c.firm == world.firm1 and events(c)[-1] == Action.MATCH
    assert client.get(reverse("complaints:triage")).context["rows"].__len__() == 0


def test_triage_searches_and_matches_an_estate_of_another_street(world, make_complaint, login, clock):
    """The clerk of 山城街道 finds 北庄花园 (北庄街道) in the type-ahead and places the order there."""
    c = make_complaint(at=T0, estate=None, street=world.shancheng, address="北庄路口")
    client = login("street_staff")
    html = client.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert f"purpose=match&amp;complaint={c.pk}" in html  # the widget asks for the triage purpose
    found = client.get(reverse("choices", args=["estates"]), {"purpose": "match", "complaint": c.pk, "q": "北庄"})
    assert [r["id"] for r in found.json()["results"]] == [world.estate_b1.pk]
    response = act(client, c, "match", {"match-estate": world.estate_b1.pk})
    assert response.status_code == 302 and response["Location"] == reverse("complaints:list")  # now 北庄's
    c.refresh_from_db()
    assert (c.estate, c.street) == (world.estate_b1, world.beizhuang)


def test_triage_match_to_another_district_is_refused(world, make_complaint, login, clock):
    c = make_complaint(at=T0, estate=None, street=world.shancheng)
    response = act(login("street_staff"), c, "match", {"match-estate": world.estate_c1.pk})
    assert response.status_code == 200 and "所选小区不在本区" in response.content.decode()
    c.refresh_from_db()
    assert c.estate is None and events(c) == [Action.RECEIVE]


def test_next_to_another_site_is_ignored(world, make_complaint, login, clock):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    response = act(login("firm_user"), c, "sign", {"next": "https://example.org/"})
    assert response["Location"] == reverse("complaints:detail", args=[c.pk])


def test_merge_a_suggested_duplicate_through_the_page(world, make_complaint, login, clock):
    case = make_complaint(at=T0, title="楼道垃圾无人清理", content="3 号楼楼道垃圾堆放多日无人清理")
    report = make_complaint(at=at(2026, 12, 1, 9, 30), title="楼道垃圾无人清理",
                            content="3 号楼楼道垃圾堆放多日无人清理，气味难闻")
    client = login("street_staff")
    page = client.get(reverse("complaints:detail", args=[case.pk]))
    assert [d.pk for d in page.context["candidates"]] == [report.pk]
    response = act(client, case, "merge", {"merge-reports": [report.pk], "merge-comment": "同一事项"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.merged_into) == (Status.MERGED, case)
    html = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert report.number in html and 'data-testid="merged-reports"' in html
    # merged reports are hidden from the list unless asked for
    listed = {c.pk for c in client.get(reverse("complaints:list")).context["object_list"]}
    assert report.pk not in listed and case.pk in listed
    listed = {c.pk for c in client.get(reverse("complaints:list"), {"merged": "true"}).context["object_list"]}
    assert report.pk in listed


def test_merge_of_an_order_that_is_not_a_suggested_duplicate_is_refused(world, make_complaint, login, clock):
    case = make_complaint(at=T0)
    other = make_complaint(at=T0, estate=world.estate_b1, clerk="street_staff2")
    response = act(login("street_staff"), case, "merge", {"merge-reports": [other.pk]})
    assert response.status_code == 200 and "所选工单不能并入本案" in response.content.decode()
    other.refresh_from_db()
    assert other.status == Status.RECEIVED


def test_mark_major_through_the_page_disqualifies_the_estate_and_unmark_withdraws(world, make_complaint, login,
                                                                                   clock):
    c = make_complaint(to=Status.ASSIGNED, at=T0)
    client = login("street_staff")
    response = act(client, c, "mark_major", {"mark_major-reason": "引发群体性上访"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.major and c.disqualification is not None and c.disqualification.withdrawn_at is None
    html = client.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert "引发群体性上访" in html and "取消参评记录" in html
    response = act(client, c, "unmark_major", {"unmark_major-reason": "经核实不属重大投诉"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert not c.major and c.disqualification.withdrawn_at is not None
    assert events(c)[-2:] == [Action.MARK_MAJOR, Action.UNMARK_MAJOR]


def test_exclude_is_the_district_s(make_complaint, login, clock):
    c = make_complaint(to=Status.CLOSED, at=T0)
    response = act(login("street_staff"), c, "exclude", {"exclude-kind": "unreasonable", "exclude-reason": "x"})
    assert response.status_code == 200 and "只有区住房保障部门可以不计入考核" in response.content.decode()
    response = act(login("district_admin"), c, "exclude", {"exclude-kind": "unreasonable",
                                                           "exclude-reason": "诉求超出物业服务范围"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.excluded == "unreasonable" and c.exclusion_reason == "诉求超出物业服务范围"


def test_timeline_shows_who_when_from_to_and_details_in_chinese(make_complaint, login, clock):
    c = make_complaint(to=Status.SIGNED, at=T0)
    response = login("street_staff").get(reverse("complaints:detail", args=[c.pk]))
    html = response.content.decode()
    for e in response.context["events"]:
        assert e.get_action_display() in html
    assert "待企业签收 → 办理中" in html  # the sign event: from → to
    assert "答复期限：2026-12-08 24:00" in html  # its data, labelled and formatted
    assert "sign_due_at" not in html and "answer_due_at" not in html


# --- registering --------------------------------------------------------------------------------------------

def register_data(world, category, **over):
    data = {"source": Source.WALK_IN, "external_no": "", "received_at": "2026-12-01T09:30",
            "matter_type": "complaint", "category": category.pk, "urgency": "normal",
            "title": "电梯经常停运", "content": "2 号楼电梯一周内停运三次。", "address": "梅花园 2 号楼",
            "estate": world.estate_a1.pk, "street": "", "complainant_name": OTHER_PEOPLE[2],
            "complainant_phone": "13800001111"}
    data.update(over)
    return data


def test_street_staff_registers_a_walk_in_complaint_with_an_attachment(world, category, login, clock):
    client = login("street_staff")
    response = client.post(reverse("complaints:new"), {**register_data(world, category), "files": [png()]})
    c = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("complaints:detail", args=[c.pk])
    assert (c.source, c.estate, c.street, c.firm, c.status) == (Source.WALK_IN, world.estate_a1, world.shancheng,
                                                               world.firm1, Status.RECEIVED)
    assert c.received_at == at(2026, 12, 1, 9, 30) and c.created_by == world.users["street_staff"]
    assert c.attachments.filter(kind=AttachmentKind.COMPLAINT).count() == 1
    assert events(c) == [Action.RECEIVE]


def test_register_without_an_estate_goes_to_the_street_s_triage(world, category, login, clock):
    client = login("street_staff")
    response = client.post(reverse("complaints:new"), register_data(world, category, estate="",
                                                                    street=world.shancheng.pk))
    assert response.status_code == 302
    c = Complaint.objects.get()
    assert c.estate is None and c.street == world.shancheng
    assert [r.pk for r in client.get(reverse("complaints:triage")).context["rows"]] == [c.pk]


@pytest.mark.parametrize("over,message", [
    ({"complainant_phone": "电话13800"}, "联系电话格式不正确"),
    ({"received_at": "2026-12-02T09:00"}, "受理时间不能晚于现在"),
    ({"received_at": "2026-02-30T09:00"}, "受理时间格式不正确"),
    ({"title": ""}, "请填写标题"),
    ({"estate": "", "street": ""}, "未选择小区时，请选择承办街道"),
    ({"source": "online"}, "选择一个有效的选项"),
])
def test_register_bad_input_gets_a_chinese_message_and_saves_nothing(world, category, login, clock, over, message):
    response = login("street_staff").post(reverse("complaints:new"), register_data(world, category, **over))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Complaint.objects.exists()


def test_register_refuses_an_estate_of_another_street(world, category, login, clock):
    response = login("street_staff").post(reverse("complaints:new"),
                                          register_data(world, category, estate=world.estate_b1.pk))
    assert response.status_code == 200 and "所选小区不在您的管辖范围内" in response.content.decode()
    assert not Complaint.objects.exists()


def test_register_refuses_a_duplicate_hotline_number(world, category, login, clock, make_complaint):
    make_complaint(at=T0, source=Source.HOTLINE, external_no="GD2026120100001")
    response = login("street_staff").post(reverse("complaints:new"), register_data(
        world, category, source=Source.HOTLINE, external_no="GD2026120100001"))
    assert response.status_code == 200 and "GD2026120100001 已登记" in response.content.decode()
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize("persona", ["street_staff", "firm_user", "district_admin", "community_clerk"])
def test_detail_query_count_does_not_grow_with_the_timeline(world, make_complaint, login, clock, persona,
                                                            django_assert_max_num_queries):
    c = make_complaint(to=Status.SIGNED, at=T0)
    for i in range(4):  # a longer timeline and more duplicates to consider
        act(login("street_staff"), c, "urge", {"urge-comment": f"请尽快处理（第 {i + 1} 次）"})
        make_complaint(at=T0)
    client = login(persona)
    client.get(reverse("complaints:detail", args=[c.pk]))
    # session, user, roles, notifications; the order; who may act (scope, published quarter); duplicates;
    # the calendar (two per deadline read); attachments, handlings, events, merged reports
    with django_assert_max_num_queries(16):
        response = client.get(reverse("complaints:detail", args=[c.pk]))
    assert len(response.context["events"]) == 3 + 4


def test_merge_form_only_when_duplicates_are_suggested(make_complaint, login, clock):
    c = make_complaint(at=T0, title="电梯停运", content="2 号楼电梯一周停运三次")
    response = login("street_staff").get(reverse("complaints:detail", args=[c.pk]))
    assert "merge" in response.context["actions"] and response.context["candidates"] == []
    assert 'data-testid="action-merge"' not in response.content.decode()
