"""The demo's maintenance-fund and firm-sanction data (demo/fund_sanctions.py), seeded on the fixed day of
tests/test_seed_demo.py: both districts' policies from the programme start, 山城街道's one submitted fund
application on an old estate, and its one media exposure (the year's first: no sanction)."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Notification, User
from enterprises.models import FirmSanction, NegativeEvent, SanctionPolicy
from maintenance.models import ApplicationStatus, FundApplication, MaintenancePolicy
from tests.test_seed_demo import SEED_MOMENT, _scratch_var_dir, seed  # noqa: F401

pytestmark = pytest.mark.django_db

PROGRAMME_START = datetime.date(2024, 1, 1)  # seeded on 2026-12-01: 1 January two years before


@pytest.fixture
def seeded(db):
    seed()


def test_both_districts_have_the_policies_from_the_programme_start(seeded):
    funds = {p.district.name: p for p in MaintenancePolicy.objects.select_related("district")}
    assert set(funds) == {"山亭区", "管城回族区"}
    for policy in funds.values():
        assert policy.effective_from == PROGRAMME_START
        assert (policy.lift_cap, policy.no_lift_cap, policy.match_ratio) == (
            Decimal("75.00"), Decimal("55.00"), Decimal("1.00"))
        assert policy.yearly_budget > 0
    sanctions = {p.district.name: p for p in SanctionPolicy.objects.select_related("district")}
    assert set(sanctions) == {"山亭区", "管城回族区"}
    for policy in sanctions.values():
        assert policy.effective_from == PROGRAMME_START and policy.enabled
        assert policy.media_threshold == 3 and policy.street_run_max_tier == 1
        assert set(policy.sanctioning_kinds) == {"safety_accident", "petition", "crime", "other"}


def test_shancheng_has_one_submitted_application_on_an_old_estate_for_the_district_to_review(seeded, client):
    [app] = FundApplication.objects.select_related("estate", "street")
    assert app.street.name == "山城街道" and app.status == ApplicationStatus.SUBMITTED
    assert app.estate.completion_year <= app.cutoff_year and app.estate.firm_id is not None
    assert app.submitted_on == SEED_MOMENT.date()
    assert app.per_sqm == (Decimal("75.00") if app.has_lift else Decimal("55.00"))
    assert app.matched == app.granted == (app.area * app.per_sqm).quantize(Decimal("0.01"))
    staff = User.objects.get(username="district_staff")
    assert Notification.objects.filter(user=staff, key__startswith="maintenance.submitted:").count() == 1
    client.force_login(staff)
    page = client.get(reverse("maintenance:application_detail", args=[app.pk]))
    assert page.status_code == 200 and "审核通过" in page.content.decode()


def test_one_media_exposure_is_recorded_and_sanctions_nobody(seeded, client):
    [event] = NegativeEvent.objects.select_related("firm", "street", "estate")
    assert (event.kind, event.street.name, event.estate.name) == ("media", "山城街道", "御景公馆")
    assert event.firm.name == "山亭区紫瑞物业服务有限公司" and event.withdrawn_at is None
    assert event.occurred_on < SEED_MOMENT.date() and event.occurred_on.year == SEED_MOMENT.year
    assert event.files.count() == 1
    assert not FirmSanction.objects.exists()
    client.force_login(User.objects.get(username="district_admin"))
    text = client.get(reverse("enterprises:sanction_list")).content.decode()
    assert "御景公馆" in text and "新闻媒体曝光" in text
    policies = client.get(reverse("enterprises:sanction_policy_list")).content.decode()
    assert "2024-01-01" in policies and "现行" in policies
