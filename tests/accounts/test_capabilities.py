"""What each role may do is declared once (accounts/capabilities.py) and the services enforce exactly that.

Two tables are checked here: the decision itself, written out by hand (so changing who may do what is a
visible change of this file), and, for every capability and every role, a call to the service or the one
permission question the services ask ("probes"): allowed where the declaration says so, refused elsewhere.
"""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.capabilities import CAPABILITIES, roles_at, table
from accounts.models import Role
from accounts.scope import EDIT_ROLES

pytestmark = pytest.mark.django_db

TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=TZ)
TODAY = NOW.date()

# One persona per role, each acting in 山亭区 (its street 山城街道, community 梅园社区, firm 甲).
PERSONAS = {Role.CITY_ADMIN: "city_admin", Role.DISTRICT_ADMIN: "district_admin",
            Role.DISTRICT_STAFF: "district_staff", Role.STREET_STAFF: "street_staff",
            Role.COMMUNITY_CLERK: "community_clerk", Role.FIRM_USER: "firm_user"}

# The decision (issue 15): district staff are the district's 经办人. Written by hand on purpose.
DA, DS, SS, CC, FU, CA = (Role.DISTRICT_ADMIN, Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.COMMUNITY_CLERK,
                          Role.FIRM_USER, Role.CITY_ADMIN)
EXPECTED = {
    "records.edit": {CA, DA, SS, CC, FU},
    "users.manage": {CA, DA},
    "ratings.decide": {CA, DA},
    "subsidies.generate": {CA, DA, DS},
    "subsidies.check": {CA, DA, DS},
    "subsidies.approve": {CA, DA},
    "subsidies.disburse": {CA, DA, DS},
    "subsidies.pass_on": {CA, SS},
    "subsidies.adjust": {CA, DA},
    "complaints.district": {DA, DS},
    "complaints.import": {CA, DA, SS},
    "credit.keep": {CA, DA, DS, SS},
    "credit.serious": {CA, DA, SS},
}


def test_the_declaration_is_the_decision():
    declared = {name: set(cap.roles) | ({CA} if cap.city else set()) for name, cap in CAPABILITIES.items()}
    assert declared == EXPECTED


def test_every_capability_has_a_chinese_label_and_the_table_has_a_cell_per_role():
    for row in table():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(row["label"])), row["name"]
        assert len(row["cells"]) == len(Role)


def test_edit_roles_of_the_scope_mechanism_come_from_the_declaration():
    assert EDIT_ROLES == {"district": {DA}, "street": {SS}, "community": {CC}, "firm": {FU}}
    assert roles_at("credit.keep", "district") == (DA, DS)


# --- probes: one real call per capability --------------------------------------------------------------------

def _refused(call, message: str) -> bool:
    """Did the service refuse the user (its refusal names who may)? Other refusals (the batch's month is
    outside the programme, …) come after the question of who, so they count as passing it."""
    try:
        call()
    except ValidationError as exc:
        return any(message in m for m in exc.messages)
    return False


def probe_records_edit(w, user):
    from accounts.scope import scope_of

    level = {Role.CITY_ADMIN: "district", Role.DISTRICT_ADMIN: "district", Role.DISTRICT_STAFF: "district",
             Role.STREET_STAFF: "street", Role.COMMUNITY_CLERK: "community", Role.FIRM_USER: "firm"}
    from communities.models import Community, District, Street
    from enterprises.models import Firm

    model, unit = {"district": (District, w.shanting), "street": (Street, w.shancheng),
                   "community": (Community, w.meiyuan), "firm": (Firm, w.firm1)}[level[user.roles.get().role]]
    if scope_of(user).city_admin:
        return District.objects.editable_by(user).filter(pk=w.shanting.pk).exists()
    return unit.pk in scope_of(user).ids(model._meta.model_name, edit=True) and \
        model.objects.filter(pk=unit.pk).exists()


def probe_users_manage(w, user):
    from accounts.services import user_create

    return not _refused(lambda: user_create(actor=user, username="probe_clerk", password="Tan-Ce-Mi-Ma-2026",
                                            role=Role.STREET_STAFF, target=w.shancheng),
                       "您无权在这个范围授予这个角色")


def probe_ratings_decide(w, user):
    from ratings.models import PeriodAction, PeriodStatus, RatingPeriod
    from ratings.services.periods import ADMIN_ONLY, period_refusal
    from ratings.services.policy import ensure_default_policy

    period = RatingPeriod.objects.create(district=w.shanting, year=2026, quarter=3, status=PeriodStatus.PROVISIONAL,
                                         policy=ensure_default_policy(w.shanting), computed_at=NOW)
    return period_refusal(user, period, PeriodAction.ANNOUNCE, TODAY) != str(ADMIN_ONLY[PeriodAction.ANNOUNCE])


def _batch(w, status):
    from subsidies.models import PayoutBatch, SubsidyPolicy

    policy = SubsidyPolicy.objects.get_or_create(district=w.shanting, effective_from=datetime.date(2025, 1, 1),
                                                 defaults={"programme_start": datetime.date(2025, 1, 1)})[0]
    return PayoutBatch.objects.create(district=w.shanting, month=datetime.date(2026, 10, 1), policy=policy,
                                      status=status, generated_at=NOW)


def probe_subsidies_generate(w, user):
    from subsidies.services.generation import batch_generate

    return not _refused(lambda: batch_generate(actor=user, district=w.shanting, month=datetime.date(2026, 10, 1)),
                        "只有本区管理员或工作人员可以生成补贴批次")


def _may_take(w, user, status, actions):
    from subsidies.services.approvals import allowed_actions

    batch = _batch(w, status)
    allowed = [a in allowed_actions(batch, user) for a in actions]
    assert len(set(allowed)) == 1, (actions, allowed)  # the actions of one capability go together
    return allowed[0]


def probe_subsidies_check(w, user):
    from subsidies.models import BatchStatus

    return _may_take(w, user, BatchStatus.GENERATED, ["check"])


def probe_subsidies_approve(w, user):
    from subsidies.models import BatchStatus

    return _may_take(w, user, BatchStatus.CHECKED, ["approve", "reject_check"])


def probe_subsidies_disburse(w, user):
    from subsidies.models import BatchStatus

    return _may_take(w, user, BatchStatus.APPROVED, ["disburse"])


def probe_subsidies_pass_on(w, user):
    from subsidies.models import BatchStatus
    from subsidies.services.approvals import pass_on_record

    batch = _batch(w, BatchStatus.DISBURSED)
    return not _refused(lambda: pass_on_record(actor=user, batch=batch, street_id=w.shancheng.pk, firm_id=w.firm1.pk,
                                               paid_on=TODAY, voucher="JZ-001", today=TODAY), "只能登记本街道的拨付")


def probe_subsidies_adjust(w, user):
    from subsidies.models import BatchStatus, Payout
    from subsidies.services.approvals import adjustment_create

    batch = _batch(w, BatchStatus.APPROVED)
    line = Payout.objects.create(batch=batch, estate=w.estate_a1, month=datetime.date(2026, 9, 1),
                                 street=w.shancheng, firm=w.firm1, area=Decimal("36000.50"), tier=3,
                                 rate=Decimal("0.20"), amount=Decimal("7200.10"))
    return not _refused(lambda: adjustment_create(actor=user, original=line, delta="-100.00", reason="面积更正"),
                        "只有本区管理员可以登记调整")


def probe_complaints_district(w, user):
    from complaints.models import Action, Category
    from complaints.services.flow import action_refusal
    from complaints.services.intake import complaint_receive

    complaint = complaint_receive(actor=w.users["street_staff"], street=w.shancheng, estate=w.estate_a1,
                                  source="walk_in", received_at=NOW, now=NOW,
                                  category=Category.objects.get(code="sanitation"), title="楼道垃圾无人清理",
                                  content="单元楼道内堆放垃圾多日无人清理。")
    return action_refusal(user, complaint, Action.SUPERVISE, NOW) is None


def probe_complaints_import(w, user):
    from complaints.services.imports.common import importable_streets, may_import

    allowed = may_import(user, w.shancheng)
    assert allowed == importable_streets(user).filter(pk=w.shancheng.pk).exists()
    return allowed


def _own_unit(w, user):
    """The recording unit a persona would act for: the city, 山亭区 or 山城街道."""
    from enterprises.credit.permissions import CITY, Unit

    role = user.roles.get().role
    return {Role.CITY_ADMIN: CITY, Role.STREET_STAFF: Unit(w.shanting.pk, w.shancheng.pk)}.get(role, Unit(w.shanting.pk))


def probe_credit_keep(w, user):
    from enterprises.credit.permissions import create_refusal

    return create_refusal(user, w.firm1, _own_unit(w, user)) is None


def probe_credit_serious(w, user):
    from enterprises.credit.permissions import confirm_refusal
    from enterprises.credit.policy import ensure_default_credit_policy
    from enterprises.credit.records import credit_record_create

    ensure_default_credit_policy()
    unit = _own_unit(w, user)
    recorder = w.users[{"city": "city_admin", "district": "district_admin", "street": "street_staff"}[unit.kind]]
    record = credit_record_create(actor=recorder, firm=w.firm1, unit=unit, rule_code="safety_accident", points=-10,
                                  title="小区电梯困人致伤", detail="", occurred_on=TODAY - datetime.timedelta(days=3),
                                  document=SimpleUploadedFile("认定书.pdf", b"%PDF-1.4 x"), now=NOW)
    return confirm_refusal(user, record) is None


PROBES = {
    "records.edit": probe_records_edit, "users.manage": probe_users_manage, "ratings.decide": probe_ratings_decide,
    "subsidies.generate": probe_subsidies_generate, "subsidies.check": probe_subsidies_check,
    "subsidies.approve": probe_subsidies_approve, "subsidies.disburse": probe_subsidies_disburse,
    "subsidies.pass_on": probe_subsidies_pass_on, "subsidies.adjust": probe_subsidies_adjust, "complaints.district": probe_complaints_district,
    "complaints.import": probe_complaints_import, "credit.keep": probe_credit_keep,
    "credit.serious": probe_credit_serious,
}


def test_every_capability_has_a_probe():
    assert set(PROBES) == set(CAPABILITIES)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("role", list(PERSONAS), ids=lambda r: str(r))
@pytest.mark.parametrize("name", list(CAPABILITIES))
def test_services_enforce_the_declaration(world, name, role):
    user = world.users[PERSONAS[role]]
    assert PROBES[name](world, user) is (role in EXPECTED[name])


def test_district_staff_cannot_confirm_a_serious_record_nor_see_it_waiting(world, settings, tmp_path):
    """The serious record waits on the district's administrator: not on the staff's 待办, and refused with a
    message that says who does it."""
    from enterprises.credit.permissions import Unit, confirm_refusal
    from enterprises.credit.policy import ensure_default_credit_policy
    from enterprises.credit.records import credit_record_confirm, credit_record_create
    from enterprises.credit.selectors import queue_rows, records_to_confirm

    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_default_credit_policy()
    make = dict(firm=world.firm1, unit=Unit(world.shanting.pk), points=-10, detail="",
                occurred_on=TODAY - datetime.timedelta(days=3), now=NOW)
    serious = credit_record_create(actor=world.users["district_admin"], rule_code="safety_accident",
                                   title="小区电梯困人致伤", document=SimpleUploadedFile("认定书.pdf", b"%PDF-1.4 x"),
                                   **make)
    bad = credit_record_create(actor=world.users["district_admin"], rule_code="media_exposure",
                               title="小区垃圾清运不及时被报道", document=SimpleUploadedFile("报道.pdf", b"%PDF-1.4 y"),
                               **{**make, "points": -2})
    staff, admin = world.users["district_staff"], world.users["district_admin"]
    assert "须由山亭区住房保障服务中心的管理员办理" in confirm_refusal(staff, serious)
    assert list(records_to_confirm(staff)) == [bad] and queue_rows(staff)[0].count() == 1
    assert set(records_to_confirm(admin)) == {serious, bad} and queue_rows(admin)[0].count() == 2
    with pytest.raises(ValidationError, match="确认后企业即列入失信黑名单"):
        credit_record_confirm(actor=staff, record=serious, now=NOW)
    assert not world.firm1.blacklist_entries.exists()
    credit_record_confirm(actor=staff, record=bad, now=NOW)  # an ordinary record: the staff's own work
    credit_record_confirm(actor=admin, record=serious, now=NOW)
    assert world.firm1.blacklist_entries.count() == 1


def test_roles_page_shows_the_declaration(login, world):
    page = login("district_staff").get("/accounts/roles/").content.decode()
    for cap in CAPABILITIES.values():
        assert str(cap.label) in page
    row = page[page.index('data-capability="subsidies.approve"'):]
    row = row[:row.index("</tr>")]
    # 市级管理员 ✓, 区级管理员 ✓, 区级工作人员 —, …
    assert row.count("bi-check-lg") == 2 and row.index("可以") < row.index("不可以")


def test_roles_page_needs_a_login(client, world):
    assert client.get("/accounts/roles/")["Location"].startswith("/accounts/login/")


def test_the_readme_table_is_the_declaration():
    """README.md's "What each role may do" table says what the declaration says, cell by cell."""
    from pathlib import Path

    from django.conf import settings

    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        if line.startswith("| **") and line.count("|") == 8:
            cells = [c.strip() for c in line.strip("|").split("|")]
            name = cells[0].split("**")[1]
            if name in CAPABILITIES:
                rows[name] = {role for role, mark in zip(Role, cells[1:]) if mark == "✓"}
    assert rows == EXPECTED
