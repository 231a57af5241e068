"""A listed firm is refused in every service that must refuse it (a new service contract, the public-benefit
pool, a star-rating application), with a clear Chinese message and nothing saved; the listing takes the firm
out of the pool and warns its estates' street offices; after the listing ends the firm may act again.
And the ratings writer: a confirmed yearly re-check at 3★ or more writes one good record."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Notification
from enterprises.credit.permissions import Unit
from enterprises.credit.records import credit_record_confirm, credit_record_create, credit_record_repair
from enterprises.credit.writers import credit_for_recheck
from enterprises.models import BlacklistEntry, CreditRecord, ServiceContract
from enterprises.services import contract_create, firm_update
from ratings.models import Application
from ratings.services.applications import application_submit
from ratings.services.corrections import recheck_confirm
from ratings.services.periods import period_announce, period_publish, run_period
from ratings.services.policy import ensure_default_policy
from tests.ratings._pages import DEADLINE, RUN_DAY
from tests.ratings.conftest import accept, components, inspected

from .test_credit_records import at, credit_world, document  # noqa: F401

pytestmark = pytest.mark.django_db
LISTED_ON = datetime.date(2025, 2, 10)


@pytest.fixture
def listed(credit_world):
    """Firm 甲 in the public-benefit pool, then listed on 2025-02-10 for a serious record (until 2028-02-10)."""
    w = credit_world
    w.firm1.in_public_benefit_pool = True
    w.firm1.save(update_fields=["in_public_benefit_pool"])
    w.serious = credit_record_create(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk),
                                     rule_code="firm_disqualified", points=-10, title="因管理不善引发业主群体上访",
                                     detail="", occurred_on=datetime.date(2025, 2, 1), document=document(),
                                     now=at(datetime.date(2025, 2, 3)))
    credit_record_confirm(actor=w.users["district_admin"], record=w.serious, now=at(LISTED_ON))
    w.entry = BlacklistEntry.objects.get()
    return w


def contract_data(w, start=datetime.date(2025, 3, 1)):
    return {"firm": w.firm1, "start_date": start, "end_date": start.replace(year=start.year + 3),
            "fee_standard": Decimal("1.50"), "bond": Decimal("50000.00")}


def test_listing_takes_the_firm_out_of_the_pool_and_warns_firm_district_and_streets(listed):
    w = listed
    w.firm1.refresh_from_db()
    assert not w.firm1.in_public_benefit_pool
    assert w.firm1.history.first().history_change_reason == "列入失信黑名单，移出公益性物业服务企业库"
    told = {event: set(Notification.objects.filter(key=f"{event}:{w.entry.pk}").values_list("user__username", flat=True))
            for event in ("blacklist.listed", "blacklist.letters_due", "blacklist.street_warned")}
    assert told == {"blacklist.listed": {"firm_user"}, "blacklist.letters_due": {"district_admin", "district_staff"},
                    "blacklist.street_warned": {"street_staff"}}


def test_a_listed_firm_signs_no_new_contract(listed):
    w = listed
    with pytest.raises(ValidationError, match="已于 2025-02-10 列入失信黑名单.*列入期间不能签订新的物业服务合同"):
        contract_create(actor=w.users["street_staff"], estate=w.estate_a2, data=contract_data(w), today=LISTED_ON)
    with pytest.raises(ValidationError, match="失信黑名单"):  # signed before the listing, starting during it
        contract_create(actor=w.users["street_staff"], estate=w.estate_a2, data=contract_data(w),
                        today=datetime.date(2025, 2, 1))
    assert not ServiceContract.objects.filter(estate=w.estate_a2).exists()
    w.estate_a2.refresh_from_db()
    assert w.estate_a2.firm_id is None
    # After the repair the listing has ended: the firm may sign again.
    credit_record_repair(actor=w.users["district_admin"], record=w.serious, reason="已整改并化解矛盾",
                         now=at(datetime.date(2025, 6, 1)))
    contract_create(actor=w.users["street_staff"], estate=w.estate_a2,
                    data=contract_data(w, start=datetime.date(2025, 7, 1)), today=datetime.date(2025, 6, 2))
    assert ServiceContract.objects.filter(estate=w.estate_a2, firm=w.firm1).exists()


def test_the_contract_page_shows_the_listing_on_the_firm_field(listed, login):
    w = listed
    import time_machine

    with time_machine.travel(at(datetime.date(2025, 3, 1)), tick=False):
        response = login("street_staff").post(reverse("enterprises:contract_create", kwargs={"estate_pk": w.estate_a2.pk}), {
            "firm": w.firm1.pk, "start_date": "2025-04-01", "end_date": "2028-03-31", "fee_standard": "1.50",
            "bond": "50000.00"})
    assert response.status_code == 200
    assert "列入期间不能签订新的物业服务合同" in " ".join(response.context["form"].errors["firm"])


def test_a_listed_firm_cannot_be_put_back_into_the_pool(listed):
    w = listed
    with pytest.raises(ValidationError) as exc:
        firm_update(actor=w.users["district_admin"], firm=w.firm1, data={"in_public_benefit_pool": True},
                    today=datetime.date(2025, 3, 1))
    assert "列入期间不能进入公益性物业服务企业库" in exc.value.message_dict["in_public_benefit_pool"][0]
    w.firm1.refresh_from_db()
    assert not w.firm1.in_public_benefit_pool
    firm_update(actor=w.users["district_admin"], firm=w.firm1, data={"contact_name": "（企业联系人）"},
                today=datetime.date(2025, 3, 1))  # other changes still go through
    firm_update(actor=w.users["district_admin"], firm=w.firm1, data={"in_public_benefit_pool": True},
                today=datetime.date(2028, 2, 11))  # the day after the listing's planned end
    w.firm1.refresh_from_db()
    assert w.firm1.in_public_benefit_pool


def test_a_listed_firm_cannot_apply_for_a_star_rating_until_the_listing_ends(listed):
    w = listed
    ensure_default_policy(w.shanting)
    with pytest.raises(ValidationError, match="失信黑名单"):
        application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2025,
                           today=datetime.date(2025, 3, 1))
    assert not Application.objects.exists()
    credit_record_repair(actor=w.users["district_admin"], record=w.serious, reason="已整改",
                         now=at(datetime.date(2025, 3, 10)))
    with pytest.raises(ValidationError, match="失信黑名单"):  # the day before the repair it was still listed
        application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2025,
                           today=datetime.date(2025, 3, 9))
    application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2025,
                       today=datetime.date(2025, 3, 10))
    assert Application.objects.count() == 1


def test_a_confirmed_yearly_recheck_writes_one_good_record_for_the_firm_on_the_plaque(credit_world):
    w = credit_world
    ensure_default_policy(w.shanting)
    from inspections.services.rubrics import ensure_default_rubric

    w.rubric_2025 = ensure_default_rubric(district=w.shanting, year=2025, now=at(datetime.date(2025, 1, 2)))
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"])
    components(w, w.estate_a1, "80", "90")  # 87.60: 5★
    p = run_period(district=w.shanting, year=2025, quarter=1, today=RUN_DAY, now=at(RUN_DAY))
    p = period_announce(actor=w.users["district_admin"], period=p, today=RUN_DAY, now=at(RUN_DAY))
    after = DEADLINE + datetime.timedelta(days=1)
    period_publish(actor=w.users["district_admin"], period=p, today=after, now=at(after))
    decision = recheck_confirm(actor=w.users["district_admin"], estate=w.estate_a1, year=2025, note="",
                               now=at(datetime.date(2025, 12, 20)))
    [record] = CreditRecord.objects.all()
    assert (record.rule_code, record.kind, record.points, record.firm) == ("star_5", "good", 3, w.firm1)
    assert record.source_id == decision.pk and record.occurred_on == datetime.date(2025, 12, 20)
    assert "年度星级评定为5星级" in record.title and record.recorded_by == w.users["district_admin"]
    assert credit_for_recheck(decision=decision, firm_id=w.firm1.pk, now=at(datetime.date(2025, 12, 21))) == record
    with pytest.raises(ValidationError, match="不能重复确认"):
        recheck_confirm(actor=w.users["district_admin"], estate=w.estate_a1, year=2025, note="",
                        now=at(datetime.date(2025, 12, 22)))
    assert CreditRecord.objects.count() == 1
