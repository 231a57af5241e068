"""`manage.py seed_demo`: idempotent, faithful to the seed tables, scoped users."""
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from stdnum.cn import uscc

from accounts.models import RoleAssignment, User
from communities.management.commands.seed_demo import (
    DEMO_PASSWORD,
    SHANCHENG_MANAGED,
    SHANCHENG_UNMANAGED,
)
from communities.models import (
    CommitteeMember,
    Community,
    District,
    DistrictPolicy,
    Estate,
    ManagementMode,
    OwnerCommittee,
    Street,
)
from enterprises.models import ContractStatus, Firm, ServiceContract

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _scratch_var_dir(settings, tmp_path):
    """The demo writes photos and its 12345 files: into a scratch directory, not the checkout's var/."""
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = str(tmp_path / "media")

SEEDS_DIR = Path("/work/shared/seeds")

# Written out by hand from the district's work plan (附件3 / 附件4), not imported.
EXPECTED_MANAGED = {
    "梅园社区": {"梅花园", "龙珠百合"},
    "紫薇社区": {"锦绣花园", "御景公馆", "紫锦庄园", "宝徕花苑", "樱花园", "龙珠丽都", "民生国际", "裕升山亭花园",
             "太清湖润景家园", "银光上城"},
    "丰泽社区": {"欧亚城", "欧情豪庭", "欧情南苑", "桂花园", "御峰园", "苹果花苑", "枣花园"},
    "东、西鲁社区": {"丰泽嘉苑"},
}
EXPECTED_UNMANAGED = {
    "梅园社区": {"四十中宿舍", "建行宿舍", "福源公寓", "梅园（西24.25号楼）", "安居小区", "医院宿舍", "书香花苑", "福临公寓",
             "山城街道教育宿舍", "华润纸厂宿舍"},
    "紫薇社区": {"鑫盛公寓（药材宿舍）", "银山小区", "紫薇社区", "翼云公寓"},
    "丰泽社区": {"欧情东苑", "柴林小区", "财富广场", "联通佳苑", "海洋公寓", "福地公寓", "牡丹花园"},
}


def _row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _estate_snapshot():
    return list(Estate.objects.order_by("community__name", "name").values_list(
        "community__name", "name", "completion_year", "total_area", "management_mode", "category", "firm__name"))


@pytest.fixture
def seeded(db):
    call_command("seed_demo", verbosity=0)


def test_seed_demo_twice_changes_nothing(seeded):
    before = _row_counts()
    snapshot = _estate_snapshot()
    call_command("seed_demo", verbosity=0)
    assert _row_counts() == before
    assert _estate_snapshot() == snapshot
    assert before["communities.Estate"] > 60
    assert before["communities.HistoricalEstate"] == before["communities.Estate"]


def test_seed_demo_is_deterministic_after_a_wipe(seeded):
    first = _estate_snapshot()
    codes = sorted(Firm.objects.values_list("credit_code", flat=True))
    members = sorted(CommitteeMember.objects.values_list("name", flat=True))
    # Remove everything the command made (every table), then seed again: same data.
    from django.db import connection

    if connection.vendor == "postgresql":  # TRUNCATE refuses while deferred FK checks are pending
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo", verbosity=0)
    assert _estate_snapshot() == first
    assert sorted(Firm.objects.values_list("credit_code", flat=True)) == codes
    assert sorted(CommitteeMember.objects.values_list("name", flat=True)) == members


def test_module_tables_match_the_seed_document():
    assert {k: set(v) for k, v in SHANCHENG_MANAGED.items()} == EXPECTED_MANAGED
    assert {k: set(v) for k, v in SHANCHENG_UNMANAGED.items()} == EXPECTED_UNMANAGED


def test_shancheng_has_exactly_the_41_seed_estates_with_their_modes(seeded):
    street = Street.objects.get(district__name="山亭区", name="山城街道")
    estates = Estate.objects.filter(community__street=street).select_related("community")
    assert estates.count() == 20 + 21
    managed, unmanaged = {}, {}
    for estate in estates:
        target = managed if estate.management_mode == ManagementMode.MARKET else unmanaged
        target.setdefault(estate.community.name, set()).add(estate.name)
    assert managed == EXPECTED_MANAGED
    assert unmanaged == EXPECTED_UNMANAGED
    for estate in estates:
        if estate.management_mode == ManagementMode.MARKET:
            assert estate.firm is not None and estate.firm_since is not None
            active = estate.contracts.filter(status=ContractStatus.ACTIVE).get()
            assert active.firm_id == estate.firm_id
        else:
            assert estate.management_mode == ManagementMode.NONE
            assert estate.firm is None
            assert estate.category in (2, 3)


def test_shancheng_committee_formation_is_visibly_below_target(seeded):
    estates = Estate.objects.filter(community__street__name="山城街道").with_committee_flags()
    filed = estates.filter(has_filed_committee=True).count()
    assert 0.5 <= filed / estates.count() <= 0.7
    assert estates.filter(has_standin_committee=True).exists()


def test_every_firm_credit_code_is_valid(seeded):
    firms = list(Firm.objects.all())
    assert len(firms) >= 8
    for firm in firms:
        assert uscc.is_valid(firm.credit_code), firm.name
        firm.full_clean()
    assert sum(f.is_street_run for f in firms) == 1
    assert Firm.objects.get(is_street_run=True).street.name == "山城街道"
    assert any(f.in_public_benefit_pool for f in firms)


def test_contract_figures_are_within_policy_limits(seeded):
    for contract in ServiceContract.objects.filter(status=ContractStatus.ACTIVE):
        assert 20000 <= contract.bond <= 100000
        assert 0.5 <= contract.fee_standard <= 2.0


def test_estate_figures_are_plausible(seeded):
    for estate in Estate.objects.all():
        assert 2000 <= estate.total_area <= 180000
        assert 1985 <= estate.completion_year <= 2023
        assert estate.building_count >= 1 and estate.household_count >= estate.building_count
    old = Estate.objects.filter(completion_year__lt=2005).count()
    assert old >= Estate.objects.count() * 0.3
    assert Estate.objects.filter(in_renovation_programme=True, renovation_accepted=True).exists()


def test_demo_users_have_their_scope(seeded):
    def visible(username):
        return Estate.objects.visible_to(User.objects.get(username=username))

    shancheng = set(Estate.objects.filter(community__street__name="山城街道").values_list("pk", flat=True))
    assert set(visible("street_staff").values_list("pk", flat=True)) == shancheng
    assert not visible("street_staff2").filter(pk__in=shancheng).exists()
    assert visible("street_staff2").count() == 10
    assert set(visible("community_clerk").values_list("community__name", flat=True)) == {"梅园社区"}
    assert set(visible("district_admin").values_list("community__street__district__name", flat=True)) == {"山亭区"}
    assert set(visible("gc_district_admin").values_list("community__street__district__name", flat=True)) == {
        "管城回族区"}
    assert visible("city_admin").count() == Estate.objects.count()
    firm_estates = visible("firm_user")
    assert firm_estates.filter(name="梅花园").exists()
    assert set(firm_estates.values_list("firm__name", flat=True)) == {Firm.objects.get(estates__name="梅花园").name}
    assert visible("firm_user2").exists()
    assert not visible("firm_user2").filter(name="梅花园").exists()
    city_admin = User.objects.get(username="city_admin")
    assert city_admin.is_staff


def test_demo_user_logs_in_with_the_documented_password(seeded, client):
    response = client.post("/accounts/login/", {"username": "street_staff", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200


def test_rerun_keeps_a_changed_password(seeded):
    user = User.objects.get(username="street_staff")
    user.set_password("Changed-by-the-user-2026")
    user.save()
    call_command("seed_demo", verbosity=0)
    user.refresh_from_db()
    assert user.check_password("Changed-by-the-user-2026")


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="the seed documents are not on this machine")
def test_no_seeded_person_shares_a_name_with_anyone_in_the_seed_documents(seeded):
    text = "".join(p.read_text(encoding="utf-8") for p in SEEDS_DIR.glob("*.txt"))
    text = re.sub(r"\s+", "", text)
    people = set(CommitteeMember.objects.values_list("name", flat=True))
    people |= set(Estate.objects.values_list("contact_name", flat=True))
    people |= set(Firm.objects.values_list("legal_representative", flat=True))
    people |= set(Firm.objects.values_list("contact_name", flat=True))
    people |= set(User.objects.values_list("full_name", flat=True))
    people.discard("")
    assert people
    assert sorted(name for name in people if name in text) == []


def test_seed_demo_has_a_whole_supervision_cycle(seeded):
    from inspections.models import Inspection, InspectionStatus, RectificationOrder
    from ratings.models import PeriodStatus, RatingPeriod
    from subsidies.models import BatchStatus, PayoutBatch

    assert Inspection.objects.filter(status=InspectionStatus.SUBMITTED).count() == 40
    # The credit demo adds overdue orders (樱花园 today, 银杉物业's history); the cycle's own two are these.
    assert sorted(RectificationOrder.objects.exclude(status="overdue").values_list("status", flat=True)) == [
        "answered", "issued"]
    period = RatingPeriod.objects.get(year=2026, quarter=3)
    assert period.status == PeriodStatus.PUBLISHED and period.ratings.filter(tier__gte=3).exists()
    batch = PayoutBatch.objects.get(month="2026-10-01")
    assert batch.status == BatchStatus.GENERATED and batch.total > 0
    # 先考核后拨付: the batch settles July–September 2026 on the published 2026Q3 (the programme starts in
    # July) and defers October until 2026Q4 is published. Every estate of 山亭区 (41 in 山城街道 + 10 in the
    # second street) has a line per settled month; every contract covers those months whole.
    assert [(f"{m.month:%Y-%m}", m.settled) for m in batch.months.order_by("month")] == [
        ("2026-07", True), ("2026-08", True), ("2026-09", True), ("2026-10", False)]
    assert batch.line_count == 51 * 3
    paid = batch.lines.filter(amount__gt=0)
    assert paid.count() == 3 * period.ratings.filter(tier__gt=0).count()
    assert not paid.filter(firm__isnull=True).exists()
    assert period.events.filter(action="announce").exists() and period.appeal_deadline.isoformat() == "2026-10-15"
    assert (f"{timezone.localtime(period.announced_at):%Y-%m-%d}", f"{timezone.localtime(period.published_at):%Y-%m-%d}") == (
        "2026-10-08", "2026-10-20")
