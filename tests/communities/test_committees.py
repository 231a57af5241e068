"""Owner committee pages and services: scope for every persona, every rule's Chinese
message with the database left unchanged, members, history and query counts."""
import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from communities.models import CommitteeKind, CommitteeMember, FilingStatus, OwnerCommittee
from communities.services import committees as committee_services
from communities.services.committees import committee_create, committee_update
from tests.conftest import PERSONAS
from tests.factories import CommunityFactory, EstateFactory, OwnerCommitteeFactory

pytestmark = pytest.mark.django_db

# Committee of 梅花园 (山城街道 / 梅园社区, served by firm 甲: firm_user sees it, never edits it).
SEES_A1 = {"city_admin", "district_admin", "district_staff", "street_staff", "community_clerk", "firm_user"}
EDITS_A1 = {"city_admin", "district_admin", "street_staff"}
# Who may record a committee for 锦绣花园 (山城街道 / 紫薇社区).
EDITS_A2 = {"city_admin", "district_admin", "street_staff"}
LISTED = {
    "city_admin": ["北庄花园", "梅花园", "紫荆小区"],
    "district_admin": ["北庄花园", "梅花园"],
    "district_staff": ["北庄花园", "梅花园"],
    "district_admin_gc": ["紫荆小区"],
    "street_staff": ["梅花园"],
    "street_staff2": ["北庄花园"],
    "community_clerk": ["梅花园"],
    "firm_user": ["梅花园"],      # the estates each firm serves now
    "firm_user2": ["北庄花园"],
}


@pytest.fixture
def committees(world):
    world.committee_a1 = OwnerCommitteeFactory(estate=world.estate_a1, filing_status=FilingStatus.FILED,
                                               filed_on=datetime.date(2024, 4, 1))
    CommitteeMember.objects.create(committee=world.committee_a1, name="王建国", position="chair",
                                   phone="13800000001")
    world.committee_b1 = OwnerCommitteeFactory(estate=world.estate_b1)
    world.committee_c1 = OwnerCommitteeFactory(estate=world.estate_c1, kind=CommitteeKind.STANDIN)
    return world


def form_data(members=(), initial_members=0, **overrides):
    """POST data for the committee form with its member formset."""
    data = {
        "kind": "owners", "elected_on": "2024-03-01", "term_end": "2029-02-28",
        "filing_status": "not_filed", "filed_on": "", "is_active": "on", "notes": "",
        "members-TOTAL_FORMS": str(len(members)), "members-INITIAL_FORMS": str(initial_members),
        "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "1000",
    }
    for i, member in enumerate(members):
        for key, value in member.items():
            data[f"members-{i}-{key}"] = value
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def create_url(estate):
    return reverse("communities:committee_create", kwargs={"estate_pk": estate.pk})


# ----------------------------------------------------------------- permissions


def test_firm_sees_its_estates_committees_with_names_but_not_phones_or_history(committees, login):
    client = login("firm_user")
    response = client.get(reverse("communities:committee_list"))
    html = response.content.decode()
    assert 'data-testid="firm-scope-note"' in html and "在管小区（现 1 个）" in html
    detail = client.get(reverse("communities:committee_detail", args=[committees.committee_a1.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "王建国" in html and "主任" in html
    assert "13800000001" not in html and "联系电话</th>" not in html
    assert detail.context["history"] == [] and 'data-testid="contacts-note"' in html
    # The street sees the phone and the history.
    street = login("street_staff").get(reverse("communities:committee_detail", args=[committees.committee_a1.pk]))
    assert "13800000001" in street.content.decode() and street.context["history"]


def test_firm_estate_page_shows_its_committee_instead_of_none(committees, login):
    html = login("firm_user").get(reverse("communities:estate_detail", args=[committees.estate_a1.pk])).content.decode()
    assert "暂无在任业主委员会" not in html
    assert reverse("communities:committee_detail", args=[committees.committee_a1.pk]) in html


def test_firm_whose_estates_have_no_committee_is_told_why_the_list_is_empty(world, login):
    html = login("firm_user").get(reverse("communities:committee_list")).content.decode()
    assert "贵企业在管的 1 个小区中没有符合条件的业主委员会或物业管理委员会。" in html
    assert "没有符合条件的委员会。" not in html


def test_firm_no_longer_serving_the_estate_no_longer_sees_its_committee(committees, login):
    committees.estate_a1.firm = committees.firm2
    committees.estate_a1.save(update_fields=["firm"])
    assert login("firm_user").get(
        reverse("communities:committee_detail", args=[committees.committee_a1.pk])).status_code == 404
    html = login("firm_user").get(reverse("communities:committee_list")).content.decode()
    assert "贵企业目前没有在管小区，因此没有可查看的委员会。" in html


@pytest.mark.parametrize("persona", PERSONAS)
def test_committee_list_shows_exactly_the_personas_committees(committees, login, persona):
    response = login(persona).get(reverse("communities:committee_list"))
    assert response.status_code == 200
    assert sorted(c.estate.name for c in response.context["object_list"]) == LISTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_committee_export_holds_only_the_personas_committees(committees, login, persona):
    response = login(persona).get(reverse("communities:committee_list") + "?export=xlsx")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert sorted(r[3] for r in rows[1:]) == LISTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_committee_detail_is_found_only_inside_scope(committees, login, persona):
    response = login(persona).get(reverse("communities:committee_detail", args=[committees.committee_a1.pk]))
    assert response.status_code == (200 if persona in SEES_A1 else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_committee_edit_page_is_found_only_for_its_street_and_district(committees, login, persona):
    response = login(persona).get(reverse("communities:committee_update", args=[committees.committee_a1.pk]))
    assert response.status_code == (200 if persona in EDITS_A1 else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_committee_create_page_is_found_only_for_estates_the_user_may_edit(world, login, persona):
    response = login(persona).get(create_url(world.estate_a2))
    assert response.status_code == (200 if persona in EDITS_A2 else 404)


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - EDITS_A2))
def test_posting_a_committee_outside_scope_is_404_and_saves_nothing(world, login, persona):
    response = login(persona).post(create_url(world.estate_a2), form_data())
    assert response.status_code == 404
    assert not OwnerCommittee.objects.exists()


def test_edit_button_shown_only_to_editors(committees, login):
    url = reverse("communities:committee_detail", args=[committees.committee_a1.pk])
    edit = reverse("communities:committee_update", args=[committees.committee_a1.pk])
    assert edit in login("street_staff").get(url).content.decode()
    assert edit not in login("community_clerk").get(url).content.decode()


@pytest.mark.parametrize("name, kwargs", [
    ("communities:committee_list", {}),
    ("communities:committee_detail", {"pk": 1}),
    ("communities:committee_update", {"pk": 1}),
    ("communities:committee_create", {"estate_pk": 1}),
])
def test_anonymous_visitor_is_sent_to_login_from_committee_pages(client, committees, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_visitor_cannot_export_committees(client, committees):
    response = client.get(reverse("communities:committee_list") + "?export=xlsx")
    assert response.status_code == 302


def test_street_filter_choices_are_only_the_users_streets(committees, login):
    response = login("street_staff").get(reverse("communities:committee_list"))
    choices = [str(label) for _, label in response.context["filter"].form.fields["street"].choices]
    assert choices[1:] == ["山城街道"]


def test_committee_list_filters_by_kind_and_active(committees, login):
    OwnerCommitteeFactory(estate=committees.estate_a2, kind=CommitteeKind.STANDIN, is_active=False)
    client = login("city_admin")
    response = client.get(reverse("communities:committee_list"), {"kind": "standin"})
    assert sorted(c.estate.name for c in response.context["object_list"]) == ["紫荆小区", "锦绣花园"]
    response = client.get(reverse("communities:committee_list"), {"kind": "standin", "is_active": "false"})
    assert [c.estate.name for c in response.context["object_list"]] == ["锦绣花园"]


# ------------------------------------------------------------------ create/edit


def test_street_staff_records_a_committee_with_members(world, login):
    response = login("street_staff").post(create_url(world.estate_a2), form_data(
        members=[{"name": "李华", "position": "chair", "phone": "13900000000"},
                 {"name": "赵敏", "position": "member", "phone": ""}],
        filing_status="filed", filed_on="2024-04-01",
    ))
    committee = OwnerCommittee.objects.get(estate=world.estate_a2)
    assert response.status_code == 302
    assert response["Location"] == reverse("communities:committee_detail", args=[committee.pk])
    assert committee.filing_status == FilingStatus.FILED and committee.filed_on == datetime.date(2024, 4, 1)
    assert sorted(committee.members.values_list("name", "position")) == [("李华", "chair"), ("赵敏", "member")]


def test_a_standin_committee_may_be_recorded_for_any_estate(world, login):
    response = login("district_admin").post(create_url(world.estate_b1), form_data(kind="standin"))
    assert response.status_code == 302
    assert OwnerCommittee.objects.get().kind == CommitteeKind.STANDIN


@pytest.mark.parametrize("overrides, field, message", [
    ({"term_end": "2024-02-01"}, "term_end", "任期届满日期须晚于成立（选举）日期。"),
    ({"term_end": "2024-03-01"}, "term_end", "任期届满日期须晚于成立（选举）日期。"),
    ({"filing_status": "filed"}, "filed_on", "备案状态为“已备案”时，须填写备案日期。"),
    ({"filing_status": "filed", "filed_on": "2024-02-01"}, "filed_on", "备案日期不能早于成立（选举）日期。"),
    ({"filing_status": "pending", "filed_on": "2024-05-01"}, "filed_on", "仅“已备案”的委员会可填写备案日期。"),
    ({"elected_on": "2026-12-02", "term_end": "2031-12-01"}, "elected_on", "成立（选举）日期不能晚于今天（2026-12-01）。"),
    ({"filing_status": "filed", "filed_on": "2026-12-02"}, "filed_on", "备案日期不能晚于今天（2026-12-01）。"),
])
def test_bad_committee_input_gets_a_chinese_message_and_saves_nothing(world, login, overrides, field, message):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        response = login("street_staff").post(create_url(world.estate_a2), form_data(**overrides))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert not OwnerCommittee.objects.exists()


def test_second_active_committee_is_a_form_error_not_a_500(committees, login):
    response = login("street_staff").post(create_url(committees.estate_a1), form_data())
    assert response.status_code == 200
    errors = response.context["form"].errors["is_active"]
    assert any("该小区已有在任的业主委员会" in e for e in errors)
    assert OwnerCommittee.objects.filter(estate=committees.estate_a1).count() == 1


def test_an_inactive_committee_may_be_recorded_beside_the_active_one(committees, login):
    response = login("street_staff").post(create_url(committees.estate_a1), form_data(
        is_active=None, elected_on="2018-01-01", term_end="2023-01-01"))
    assert response.status_code == 302
    assert OwnerCommittee.objects.filter(estate=committees.estate_a1).count() == 2


def test_the_database_constraint_is_caught_as_a_validation_error(committees, monkeypatch):
    # Even if the service's own check is bypassed (a race), the unique index gives a message, not a 500.
    monkeypatch.setattr(committee_services, "_check_single_active", lambda *a, **kw: None)
    with pytest.raises(ValidationError) as exc:
        committee_create(actor=committees.users["street_staff"], estate=committees.estate_a1, data={
            "kind": "owners", "elected_on": datetime.date(2025, 1, 1), "term_end": datetime.date(2030, 1, 1),
            "filing_status": "not_filed", "filed_on": None, "is_active": True, "notes": "",
        })
    assert "该小区已有在任的业主委员会" in exc.value.message_dict["is_active"][0]
    assert OwnerCommittee.objects.filter(estate=committees.estate_a1).count() == 1


def test_service_rechecks_scope_inside_the_transaction(committees):
    data = {"kind": "owners", "elected_on": datetime.date(2025, 1, 1), "term_end": datetime.date(2030, 1, 1),
            "filing_status": "not_filed", "filed_on": None, "is_active": False, "notes": ""}
    with pytest.raises(PermissionDenied):
        committee_create(actor=committees.users["street_staff2"], estate=committees.estate_a1, data=data)
    with pytest.raises(PermissionDenied):
        committee_update(actor=committees.users["community_clerk"], committee=committees.committee_a1, data=data)
    assert OwnerCommittee.objects.count() == 3


def test_two_chairs_are_refused(world, login):
    response = login("street_staff").post(create_url(world.estate_a2), form_data(members=[
        {"name": "甲", "position": "chair"}, {"name": "乙", "position": "chair"}]))
    assert "一个委员会只能有一名主任。" in response.content.decode()
    assert not OwnerCommittee.objects.exists() and not CommitteeMember.objects.exists()


def test_bad_member_phone_is_refused(world, login):
    response = login("street_staff").post(create_url(world.estate_a2), form_data(members=[
        {"name": "甲", "position": "member", "phone": "abc"}]))
    assert "请输入有效的联系电话" in response.content.decode()
    assert not OwnerCommittee.objects.exists()


def _edit_data(committee, **overrides):
    members = [{"id": str(m.pk), "committee": str(committee.pk), "name": m.name, "position": m.position,
                "phone": m.phone} for m in committee.members.all()]
    return members, overrides


def test_edit_changes_fields_and_members_and_history_shows_it(committees, login):
    committee = committees.committee_a1
    chair = committee.members.get()
    client = login("street_staff")
    response = client.post(reverse("communities:committee_update", args=[committee.pk]), form_data(
        members=[
            {"id": str(chair.pk), "committee": str(committee.pk), "name": chair.name, "position": "chair",
             "phone": "13800000009"},
            {"name": "孙丽", "position": "vice", "phone": ""},
        ],
        initial_members=1, filing_status="filed", filed_on="2024-05-01",
    ))
    assert response.status_code == 302
    committee.refresh_from_db()
    assert committee.filed_on == datetime.date(2024, 5, 1)
    assert sorted(committee.members.values_list("name", "phone")) == [("孙丽", ""), ("王建国", "13800000009")]
    page = client.get(reverse("communities:committee_detail", args=[committee.pk])).content.decode()
    assert "变更历史" in page
    assert "备案日期" in page and "2024-05-01" in page
    assert "新增成员：孙丽（副主任）" in page
    assert "修改成员" in page


def test_edit_removes_a_member(committees, login):
    committee = committees.committee_a1
    chair = committee.members.get()
    response = login("district_admin").post(reverse("communities:committee_update", args=[committee.pk]), form_data(
        members=[{"id": str(chair.pk), "committee": str(committee.pk), "name": chair.name, "position": "chair",
                  "phone": chair.phone, "DELETE": "on"}],
        initial_members=1, filing_status="filed", filed_on="2024-04-01",
    ))
    assert response.status_code == 302
    assert not committee.members.exists()
    assert "移除成员：王建国（主任）" in login("district_admin").get(
        reverse("communities:committee_detail", args=[committee.pk])).content.decode()


def test_bad_edit_leaves_the_committee_unchanged(committees, login):
    committee = committees.committee_a1
    response = login("street_staff").post(reverse("communities:committee_update", args=[committee.pk]), form_data(
        term_end="2020-01-01", initial_members=0))
    assert response.status_code == 200
    assert "任期届满日期须晚于成立（选举）日期。" in response.content.decode()
    committee.refresh_from_db()
    assert committee.term_end == datetime.date(2029, 2, 28)
    assert committee.history.count() == 1


def test_retiring_the_old_committee_lets_a_new_one_be_active(committees, login):
    client = login("street_staff")
    old = committees.committee_a1
    chair = old.members.get()
    response = client.post(reverse("communities:committee_update", args=[old.pk]), form_data(
        members=[{"id": str(chair.pk), "committee": str(old.pk), "name": chair.name, "position": "chair",
                  "phone": chair.phone}],
        initial_members=1, is_active=None, filing_status="filed", filed_on="2024-04-01"))
    assert response.status_code == 302
    response = client.post(create_url(committees.estate_a1), form_data(elected_on="2025-03-01",
                                                                        term_end="2030-02-28"))
    assert response.status_code == 302
    assert OwnerCommittee.objects.filter(estate=committees.estate_a1, is_active=True).get().elected_on == \
        datetime.date(2025, 3, 1)


# ---------------------------------------------------------------- query counts


def test_committee_list_runs_a_fixed_number_of_queries(committees, login, django_assert_max_num_queries):
    community = CommunityFactory(street=committees.shancheng, name="新社区")
    for i in range(20):
        committee = OwnerCommitteeFactory(estate=EstateFactory(community=community, name=f"新小区{i}"))
        CommitteeMember.objects.create(committee=committee, name=f"主任{i}", position="chair")
        CommitteeMember.objects.create(committee=committee, name=f"委员{i}", position="member")
    client = login("street_staff")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("communities:committee_list"))
    assert len(response.context["object_list"]) == 21
    with django_assert_max_num_queries(7):
        response = client.get(reverse("communities:committee_list") + "?export=xlsx")
    assert response.status_code == 200


def test_committee_detail_runs_a_fixed_number_of_queries(committees, login, django_assert_max_num_queries):
    for i in range(20):
        CommitteeMember.objects.create(committee=committees.committee_a1, name=f"委员{i}")
    client = login("street_staff")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("communities:committee_detail", args=[committees.committee_a1.pk]))
    assert len(response.context["members"]) == 21


def test_blank_member_rows_from_the_browser_are_ignored(world, login):
    blank = {"name": "", "position": "member", "phone": ""}
    response = login("street_staff").post(create_url(world.estate_a2), form_data(
        members=[{"name": "李华", "position": "chair", "phone": ""}, blank, blank]))
    assert response.status_code == 302
    assert list(CommitteeMember.objects.values_list("name", flat=True)) == ["李华"]
