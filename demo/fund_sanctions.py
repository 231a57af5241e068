"""Demo data for two district policies of issue 16, through their services (demo/dates.py dates them):

- **Old-estate maintenance fund** (maintenance/): each district's policy from the programme start, the
  documents' figures (75 yuan per ㎡ with a lift, 55 without, the district matching one to one) and a yearly
  budget for the match; 山城街道 has submitted one application, on the first of its old estates (built in
  or before the district's cut-off year) that a firm serves, on the seeding day, so 山亭区's staff have one
  to review.
- **Firm sanctions** (enterprises/sanctions/): each district's sanction policy from the programme start with
  the model's defaults (管城回族区 附件2 六(二): the four immediate kinds, the third media exposure of a year,
  street-run firms at 1★ or below ordered to rectify within 20 working days); 山城街道 recorded one media
  exposure of 紫瑞物业 (the demo `firm_user2`'s firm) at 御景公馆 four working days before the seeding day,
  with its report as evidence (one small PDF): the first of the year's three, so no sanction follows.

Each step is written only when its row is missing (a rerun adds nothing).
"""
from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile

from accounts.models import User
from communities.models import DEFAULT_OLD_ESTATE_CUTOFF, District, Estate, Street, cutoff_years
from enterprises.credit.permissions import Unit
from enterprises.models import EventKind, Firm, NegativeEvent, SanctionPolicy
from enterprises.sanctions.services import POLICY_FIELDS as SANCTION_POLICY_FIELDS
from enterprises.sanctions.services import event_record, sanction_policy_create
from maintenance.models import Collector, FundApplication, MaintenancePolicy
from maintenance.selectors import eligibility
from maintenance.services.applications import application_submit
from maintenance.services.policy import policy_create as maintenance_policy_create

from .dates import DemoDates

# district name -> (its administrator, the match's yearly budget in yuan)
FUND_POLICIES = {"山亭区": ("district_admin", Decimal("3000000.00")),
                 "管城回族区": ("gc_district_admin", Decimal("2000000.00"))}
FUND_REPAIRS = "屋面防水层翻修\n外墙雨落管更换\n楼道照明及单元门禁更换"
EXPOSED_FIRM = "山亭区紫瑞物业服务有限公司"
EXPOSED_ESTATE = "御景公馆"


def _report_pdf() -> ContentFile:
    return ContentFile("%PDF-1.4\n% 晚报报道：小区电梯停运多日无人维修\n".encode(), name="媒体报道.pdf")


def seed_fund_and_sanctions(*, dates: DemoDates, districts: list[District], say) -> None:
    start = dates.programme_start
    for district in districts:
        admin_name, budget = FUND_POLICIES[district.name]
        admin = User.objects.get(username=admin_name)
        if not MaintenancePolicy.objects.filter(district=district).exists():
            maintenance_policy_create(actor=admin, district=district, effective_from=start, data={
                "lift_cap": Decimal("75.00"), "no_lift_cap": Decimal("55.00"), "match_ratio": Decimal("1.00"),
                "yearly_budget": budget, "note": "演示数据：自监管工作启动之日起施行。"})
            say("maintenance-fund policies", 1)
        if not SanctionPolicy.objects.filter(district=district).exists():
            data = {f: getattr(SanctionPolicy(), f) for f in SANCTION_POLICY_FIELDS}
            # the model's default lists every kind; media exposures are counted apart (the service says so)
            data["sanctioning_kinds"] = [k for k in data["sanctioning_kinds"] if k != EventKind.MEDIA]
            sanction_policy_create(actor=admin, district=district, effective_from=start, data=data)
            say("sanction policies", 1)

    shancheng = Street.objects.get(district__name="山亭区", name="山城街道")
    street_staff = User.objects.get(username="street_staff")
    _fund_application(dates, shancheng, street_staff, say)
    _media_exposure(dates, shancheng, street_staff, say)


def _fund_application(dates: DemoDates, street: Street, actor: User, say) -> None:
    if FundApplication.objects.filter(street=street).exists():
        return
    today = dates.today
    cutoff = cutoff_years(today).get(street.district_id, DEFAULT_OLD_ESTATE_CUTOFF)
    candidates = (Estate.objects.filter(community__street=street, firm__isnull=False, completion_year__lte=cutoff)
                  .select_related("community__street__district").order_by("completion_year", "name"))
    for estate in candidates:
        elig = eligibility(estate, today=today)
        if elig.eligible:
            break
    else:
        return
    # Two fifths of the estate's area (the buildings whose roofs leak), at the cap for its kind.
    area = (elig.area * Decimal("0.4")).quantize(Decimal("0.01"))
    application_submit(actor=actor, estate=estate, area=area, has_lift=estate.has_lift, per_sqm=elig.cap,
                       repair_items=FUND_REPAIRS, collector=Collector.FIRM, today=today)
    say("maintenance-fund applications", 1)


def _media_exposure(dates: DemoDates, street: Street, actor: User, say) -> None:
    if NegativeEvent.objects.filter(street=street).exists():
        return
    day = dates.working_days_before_today(4)
    if day.year != dates.today.year:  # the first days of a year: the exposure is this year's first
        day = dates.today
    now = min(dates.at(day, 16), dates.now)
    firm = Firm.objects.get(name=EXPOSED_FIRM)
    estate = Estate.objects.get(community__street=street, name=EXPOSED_ESTATE)
    event_record(actor=actor, firm=firm, unit=Unit(street.district_id, street.pk), kind=EventKind.MEDIA,
                 occurred_on=day, estate=estate, files=[_report_pdf()], now=now,
                 description="市晚报报道：御景公馆 2 号楼电梯停运多日，物业服务企业未及时组织维修。经街道核实属实。")
    say("negative events (media exposures)", 1)
