"""The demo's credit data (seed_demo -> demo/credit.py): records written by
the supervision cycle's own services, the overdue order with its objection waiting for the city, the stars
of 2026Q3 through the yearly re-check, 银杉物业 at 70 and 68 and on the blacklist; a rerun adds nothing;
and no public page shows any demo person's name or phone."""
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from communities.models import CommitteeMember, Estate
from complaints.models import Complaint
from enterprises.credit.selectors import objections_to_decide, public_records, records_to_confirm
from enterprises.models import BlacklistEntry, CreditObjection, CreditRecord, CreditScore, Firm

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)


def test_demo_credit_file_keeps_what_happened_and_a_rerun_adds_nothing(demo):
    this_year = timezone.localdate().year
    # Written by the supervision cycle's own services: inspections below the line, the overdue order.
    assert CreditRecord.objects.filter(rule_code="inspection_below_60", recorded_by__username="street_staff").exists()
    order_record = CreditRecord.objects.get(rule_code="order_overdue", firm__name="山亭区梅岭物业服务有限公司")
    assert "樱花园" in order_record.title and order_record.status == "notified"
    objection = CreditObjection.objects.get()
    assert objection.record == order_record and objection.status == "open"
    assert list(objections_to_decide(User.objects.get(username="city_admin"))) == [objection]
    # The stars of 2026Q3 through the confirmed 2026 yearly re-check: +3, +2, +1 to confirm.
    stars = CreditRecord.objects.filter(rule_code__startswith="star_")
    assert sorted(stars.values_list("points", flat=True)) == [1, 2, 3]
    assert set(stars) <= set(records_to_confirm(User.objects.get(username="district_admin")))
    # 银杉物业: 70 and 68 in the two years before this one, listed when the second was published.
    low = Firm.objects.get(name="山亭区银杉物业服务有限公司")
    assert list(CreditScore.objects.published().filter(firm=low).order_by("credit_year__year")
                .values_list("credit_year__year", "score", "level")) == [
        (this_year - 2, 70, "A"), (this_year - 1, 68, "B")]
    [entry] = BlacklistEntry.objects.in_force(timezone.localdate())
    assert entry.firm == low and entry.basis == "two_low_years"
    assert entry.ends_on.isoformat() == f"{this_year}-12-31"
    before = {m: m.objects.count() for m in (CreditRecord, CreditObjection, CreditScore, BlacklistEntry)}
    call_command("seed_demo", verbosity=0)
    assert {m: m.objects.count() for m in before} == before


def test_no_public_page_shows_a_demo_persons_name_or_phone(demo, client):
    today = timezone.localdate()
    people = set(User.objects.values_list("full_name", flat=True)) | set(User.objects.values_list("phone", flat=True))
    people |= set(CommitteeMember.objects.values_list("name", flat=True))
    people |= set(CommitteeMember.objects.values_list("phone", flat=True))
    people |= set(Estate.objects.values_list("contact_name", flat=True))
    people |= set(Estate.objects.values_list("contact_phone", flat=True))
    for field in ("legal_representative", "contact_name", "contact_phone"):
        people |= set(Firm.objects.values_list(field, flat=True))
    people |= set(Complaint.objects.values_list("complainant_name", flat=True))
    people |= set(Complaint.objects.values_list("complainant_phone", flat=True))
    people = {p for p in people if p and len(p) >= 2}
    assert len(people) > 100
    urls = [reverse("enterprises:public_credit"), reverse("enterprises:public_blacklist")]
    urls += [reverse("enterprises:public_credit_firm", args=[pk]) for pk in Firm.objects.values_list("pk", flat=True)]
    urls += [reverse("enterprises:public_credit_record", args=[r.pk]) for r in public_records(today)]
    assert len(urls) > 12
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        leaked = sorted(p for p in people if p in html)
        assert leaked == [], url
