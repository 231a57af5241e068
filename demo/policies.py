"""The demo's policies, in force from the programme start (demo/dates.py), before anything reads them.

The apps' `ensure_default_*` helpers make a first version "from 2000-01-01" when a district (or the city)
has none; the demo writes its own first versions first, through the policy services where there is one,
so every policy page shows a plausible start. Each is written only when there is none yet (a rerun, or a
database seeded by an earlier demo, adds nothing).

- Star rating (both districts): the model's defaults (weights 70/10/20, thresholds, run day 5, appeals 7
  days, the default disqualifying reasons). 山亭区 accepts applications all year (01-01 to 12-31), so the
  tour's application can be made on any day; 管城回族区 keeps the default first quarter.
- Complaint time limits (both districts): the defaults.
- Firm credit (the city): the default catalogue.
"""
from __future__ import annotations

from accounts.models import User
from communities.models import District
from complaints.models import TimeLimitPolicy
from enterprises.credit.policy import DEFAULT_RULES, RULE_FIELDS, credit_policy_create
from enterprises.credit.policy import POLICY_FIELDS as CREDIT_POLICY_FIELDS
from enterprises.models import CreditPolicy
from ratings.models import DEFAULT_DISQUALIFYING_REASONS, RatingPolicy
from ratings.services.policy import POLICY_FIELDS as RATING_POLICY_FIELDS
from ratings.services.policy import policy_create

from .dates import APPEAL_DAYS, RUN_DAY, DemoDates

# district name -> (its administrator, application window)
RATING_WINDOWS = {"山亭区": ("district_admin", "01-01", "12-31"), "管城回族区": ("gc_district_admin", "01-01", "03-31")}


def _defaults(model, fields) -> dict:
    return {f: model._meta.get_field(f).get_default() for f in fields}


def seed_policies(*, dates: DemoDates, shanting: District, guancheng: District, say) -> None:
    start = dates.programme_start
    for district in (shanting, guancheng):
        if not RatingPolicy.objects.filter(district=district).exists():
            admin, first, last = RATING_WINDOWS[district.name]
            data = _defaults(RatingPolicy, RATING_POLICY_FIELDS)
            data.update(application_start=first, application_end=last, run_day=RUN_DAY, appeal_days=APPEAL_DAYS,
                        disqualifying_reasons=list(DEFAULT_DISQUALIFYING_REASONS))
            policy_create(actor=User.objects.get(username=admin), district=district, effective_from=start, data=data)
            say("rating policies", 1)
        if not TimeLimitPolicy.objects.filter(district=district).exists():
            TimeLimitPolicy.objects.create(district=district, effective_from=start)
            say("complaint time-limit policies", 1)
    if not CreditPolicy.objects.exists():
        data = _defaults(CreditPolicy, CREDIT_POLICY_FIELDS)
        data["note"] = "演示数据：平台默认信用规则，自监管工作启动之日起施行。"
        rules = [{f: str(getattr(r, f)) if f in ("name", "evidence") else getattr(r, f) for f in RULE_FIELDS}
                 for r in DEFAULT_RULES]
        credit_policy_create(actor=User.objects.get(username="city_admin"), effective_from=start, data=data,
                             rules=rules)
        say("credit policies", 1)
