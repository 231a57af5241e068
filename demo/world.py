"""The demo world for `make run` (`python manage.py seed_demo`, demo/management/commands/seed_demo.py).

Places of 山城街道 (山亭区) and their estates come from the district's work plan
(附件3: estates already served by a firm; 附件4: estates with no property
management yet). Everything else is made up: the second street of 山亭区, the
streets of 管城回族区, every firm, every person (Faker zh_CN, seeded) and every
number. No real person's name is used.

Idempotent: every row is looked up by its natural key and created only when
missing (`get_or_create`), inside one transaction. A rerun creates nothing and
changes nothing, including rows a user has edited since. Random values come
from a fixed seed and every date from the day the command runs (demo/dates.py),
so a fresh database seeded on a given day always gets the same data.

The places, firms, committees and users are a data keeper's work, so they are
written with the ORM directly rather than through the page services, but
every model constraint holds (firm and firm_since together, one active
contract per estate, bond limits, one active committee per estate). The
policies, the supervision cycle, credit and complaints that follow
(demo/policies.py, supervision.py, credit.py, complaints.py) go through the
services.
"""
from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from faker import Faker

from accounts.models import Role, RoleAssignment, User
from communities.models import (
    Category,
    CommitteeKind,
    CommitteeMember,
    Community,
    District,
    DistrictPolicy,
    Estate,
    EstateType,
    FilingStatus,
    ManagementMode,
    OwnerCommittee,
    Street,
)
from enterprises.models import ContractStatus, Firm, ServiceContract
from enterprises.validators import generate_credit_code

from .complaints import seed_complaints
from .credit import seed_credit
from .dates import DemoDates
from .fund_sanctions import seed_fund_and_sanctions
from .policies import seed_policies
from .supervision import seed_supervision

SEED = 20260101
DEMO_PASSWORD = "Demo-2026-portal"

SHANTING = "山亭区"
SHANCHENG = "山城街道"
CUIHU = "翠湖街道"  # made up
GUANCHENG = "管城回族区"

# --- 山城街道, from the district's work plan ---------------------------------
# 附件3: 实施物业企业管理的住宅小区 (served by a firm) -> mode "market".
SHANCHENG_MANAGED = {
    "梅园社区": ["梅花园", "龙珠百合"],
    "紫薇社区": ["锦绣花园", "御景公馆", "紫锦庄园", "宝徕花苑", "樱花园", "龙珠丽都", "民生国际",
             "裕升山亭花园", "太清湖润景家园", "银光上城"],
    "丰泽社区": ["欧亚城", "欧情豪庭", "欧情南苑", "桂花园", "御峰园", "苹果花苑", "枣花园"],
    "东、西鲁社区": ["丰泽嘉苑"],
}
# 附件4: 未实施物业管理的住宅小区 (no property management yet) -> mode "none".
SHANCHENG_UNMANAGED = {
    "梅园社区": ["四十中宿舍", "建行宿舍", "福源公寓", "梅园（西24.25号楼）", "安居小区", "医院宿舍", "书香花苑",
             "福临公寓", "山城街道教育宿舍", "华润纸厂宿舍"],
    "紫薇社区": ["鑫盛公寓（药材宿舍）", "银山小区", "紫薇社区", "翼云公寓"],
    "丰泽社区": ["欧情东苑", "柴林小区", "财富广场", "联通佳苑", "海洋公寓", "福地公寓", "牡丹花园"],
}

# --- Firms (all made up) -----------------------------------------------------
# key -> name, district, credit-code area, filed_on (None = not filed), flags.
FIRMS = {
    "meiling": dict(name="山亭区梅岭物业服务有限公司", district=SHANTING, filed_on=datetime.date(2019, 4, 12)),
    "zirui": dict(name="山亭区紫瑞物业服务有限公司", district=SHANTING, filed_on=datetime.date(2020, 3, 2)),
    "fenghe": dict(name="山亭区丰和物业服务有限公司", district=SHANTING, filed_on=datetime.date(2020, 7, 20)),
    "longrun": dict(name="山亭区龙润物业服务有限公司", district=SHANTING, filed_on=datetime.date(2021, 1, 8)),
    "yinshan": dict(name="山亭区银杉物业服务有限公司", district=SHANTING, filed_on=None),
    "streetco": dict(name="山亭区山城街道物业服务有限公司", district=SHANTING,
                     filed_on=datetime.date(2020, 11, 2), street_run=SHANCHENG),
    "huilin": dict(name="山亭区惠邻公益物业服务有限公司", district=SHANTING,
                   filed_on=datetime.date(2022, 5, 16), public_benefit=True),
    "shanghe": dict(name="管城回族区商和物业服务有限公司", district=GUANCHENG,
                    filed_on=datetime.date(2021, 6, 1)),
    "furui": dict(name="管城回族区福瑞物业服务有限公司", district=GUANCHENG,
                  filed_on=datetime.date(2022, 2, 14)),
}
AREA_CODES = {SHANTING: "370406", GUANCHENG: "410104"}

# Which firm serves each 附件3 estate (梅花园 -> the demo `firm_user`'s firm).
SHANCHENG_FIRM_OF = {
    "梅花园": "meiling", "龙珠百合": "longrun",
    "锦绣花园": "zirui", "御景公馆": "zirui", "紫锦庄园": "fenghe", "宝徕花苑": "zirui", "樱花园": "meiling",
    "龙珠丽都": "longrun", "民生国际": "yinshan", "裕升山亭花园": "fenghe", "太清湖润景家园": "yinshan",
    "银光上城": "zirui",
    "欧亚城": "fenghe", "欧情豪庭": "longrun", "欧情南苑": "longrun", "桂花园": "meiling", "御峰园": "yinshan",
    "苹果花苑": "streetco", "枣花园": "streetco",
    "丰泽嘉苑": "streetco",
}

# --- Made-up places: (community, estate, mode, firm key or None, hint) -------
# hint: "new" (after 2005), "old" (before 2005), "resettle", "affordable", or "".
CUIHU_ESTATES = [
    ("翠湖社区", "翠湖花园", ManagementMode.MARKET, "fenghe", "new"),
    ("翠湖社区", "湖畔雅居", ManagementMode.MARKET, "meiling", "new"),
    ("翠湖社区", "翠湖机关宿舍", ManagementMode.WORK_UNIT, None, "old"),
    ("望岳社区", "望岳家园", ManagementMode.MARKET, "zirui", "new"),
    ("望岳社区", "望岳新村", ManagementMode.COMMUNITY_CUSTODY, None, "old"),
    ("望岳社区", "岳华小区", ManagementMode.SELF, None, "old"),
    ("望岳社区", "纺机厂宿舍", ManagementMode.NONE, None, "old"),
    ("柳泉社区", "柳泉安置小区", ManagementMode.STREET_CENTRE, None, "resettle"),
    ("柳泉社区", "柳泉雅苑", ManagementMode.MARKET, "huilin", "old"),
    ("柳泉社区", "柳泉老街小区", ManagementMode.COMMUNITY_CUSTODY, None, "old"),
]
GUANCHENG_STREETS = {
    "凤鸣街道": [
        ("凤鸣社区", "凤鸣花园", ManagementMode.MARKET, "shanghe", "new"),
        ("凤鸣社区", "凤鸣东里", ManagementMode.COMMUNITY_CUSTODY, None, "old"),
        ("凤鸣社区", "凤鸣公租房小区", ManagementMode.MARKET, "furui", "affordable"),
        ("书香社区", "书香雅苑", ManagementMode.MARKET, "shanghe", "new"),
        ("书香社区", "农机站家属院", ManagementMode.NONE, None, "old"),
    ],
    "商韵街道": [
        ("商韵社区", "商韵华庭", ManagementMode.MARKET, "furui", "new"),
        ("商韵社区", "商韵北苑", ManagementMode.SELF, None, "old"),
        ("商韵社区", "粮油站宿舍", ManagementMode.WORK_UNIT, None, "old"),
        ("东城社区", "东城安置小区", ManagementMode.STREET_CENTRE, None, "resettle"),
    ],
    "青枫街道": [
        ("青枫社区", "青枫家园", ManagementMode.MARKET, "shanghe", "new"),
        ("青枫社区", "青枫南院", ManagementMode.NONE, None, "old"),
        ("枫林社区", "枫林雅居", ManagementMode.MARKET, "furui", ""),
        ("枫林社区", "枫林新村", ManagementMode.COMMUNITY_CUSTODY, None, "old"),
    ],
}
POLICIES = {
    SHANTING: dict(effective_from=datetime.date(2020, 1, 1), old_estate_cutoff_year=2004,
                   note="演示数据：老旧小区为 2004 年底前建成。"),
    GUANCHENG: dict(effective_from=datetime.date(2021, 6, 1), old_estate_cutoff_year=2000,
                    note="演示数据：本区设定老旧小区为 2000 年底前建成（可配置）。"),
}

ROADS = {
    SHANTING: ["府前路", "新城路", "翠屏路", "汉诺路", "凤鸣路", "梅园路", "紫薇路", "丰泽路"],
    GUANCHENG: ["城东路", "商城路", "书院街", "凤凰路", "青枫路", "东明路"],
}
SERVICE_CONTENT = {
    ManagementMode.MARKET: "保洁、秩序维护、绿化养护、设施设备维修、停车管理",
    ManagementMode.SELF: "业主自行组织保洁、门卫值守",
    ManagementMode.STREET_CENTRE: "保洁、保安、维护秩序（街道物业服务中心）",
    ManagementMode.COMMUNITY_CUSTODY: "保洁、秩序维护、简易维修（社区托管·准物业）",
    ManagementMode.WORK_UNIT: "原产权单位后勤负责保洁、水电维修",
    ManagementMode.NONE: "",
}

# Demo users: username -> (role, target kind, target key).
USERS = [
    ("city_admin", Role.CITY_ADMIN, None, None),
    ("district_admin", Role.DISTRICT_ADMIN, "district", SHANTING),
    ("district_staff", Role.DISTRICT_STAFF, "district", SHANTING),
    ("gc_district_admin", Role.DISTRICT_ADMIN, "district", GUANCHENG),
    ("street_staff", Role.STREET_STAFF, "street", (SHANTING, SHANCHENG)),
    ("street_staff2", Role.STREET_STAFF, "street", (SHANTING, CUIHU)),
    ("community_clerk", Role.COMMUNITY_CLERK, "community", (SHANTING, SHANCHENG, "梅园社区")),
    ("firm_user", Role.FIRM_USER, "firm", "meiling"),
    ("firm_user2", Role.FIRM_USER, "firm", "zirui"),
]


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def add_years(day: datetime.date, years: int) -> datetime.date:
    return day.replace(year=day.year + years)


@dataclass
class EstatePlan:
    community: Community
    name: str
    mode: str
    firm: Firm | None
    hint: str
    district_name: str


class Seeder:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(SEED)
        self.created = Counter()
        self.districts: dict[str, District] = {}
        self.streets: dict[tuple[str, str], Street] = {}
        self.communities: dict[tuple[str, str, str], Community] = {}
        self.firms: dict[str, Firm] = {}

    # -- small helpers ----------------------------------------------------------
    def _get_or_create(self, model, defaults=None, **lookup):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **lookup)
        if created:
            self.created[model.__name__] += 1
        return obj, created

    def person(self) -> str:
        """A made-up three-character name (Faker zh_CN, seeded).

        Two-character names are skipped: too many are the start of a real
        person's name (tests/test_seed_demo.py checks against the seed documents).
        """
        while True:
            name = self.fake.name()
            if len(name) == 3:
                return name

    def phone(self) -> str:
        # Made-up mobile numbers in the 138-0000 block, so none belongs to a real person.
        return f"1380000{self.rng.randint(0, 9999):04d}"

    # -- places -----------------------------------------------------------------
    def district(self, name: str) -> District:
        d, _ = self._get_or_create(District, name=name, defaults={"code": AREA_CODES[name]})
        policy = POLICIES[name]
        self._get_or_create(DistrictPolicy, district=d, effective_from=policy["effective_from"],
                            defaults={k: v for k, v in policy.items() if k != "effective_from"})
        self.districts[name] = d
        return d

    def street(self, district: str, name: str) -> Street:
        s, _ = self._get_or_create(Street, district=self.districts[district], name=name)
        self.streets[(district, name)] = s
        return s

    def community(self, district: str, street: str, name: str) -> Community:
        c, _ = self._get_or_create(Community, street=self.streets[(district, street)], name=name)
        self.communities[(district, street, name)] = c
        return c

    # -- firms ------------------------------------------------------------------
    def seed_firms(self):
        for index, (key, spec) in enumerate(FIRMS.items()):
            district = self.districts[spec["district"]]
            code = generate_credit_code(random.Random(SEED + index), AREA_CODES[spec["district"]])
            road = self.rng.choice(ROADS[spec["district"]])
            defaults = dict(
                credit_code=code,
                legal_representative=self.person(),
                contact_name=self.person(),
                contact_phone=self.phone(),
                address=f"{spec['district']}{road}{self.rng.randint(1, 299)}号",
                registered_district=district,
                is_filed=spec["filed_on"] is not None,
                filed_on=spec["filed_on"],
                is_street_run="street_run" in spec,
                street=self.streets[(spec["district"], spec["street_run"])] if "street_run" in spec else None,
                in_public_benefit_pool=spec.get("public_benefit", False),
            )
            self.firms[key], _ = self._get_or_create(Firm, name=spec["name"], defaults=defaults)

    # -- estates ----------------------------------------------------------------
    def estate_values(self, plan: EstatePlan) -> dict:
        rng = self.rng
        hint = plan.hint
        if hint == "old":
            year = rng.randint(1985, 2004)
        elif hint == "new":
            year = rng.randint(2006, 2023)
        elif hint in ("resettle", "affordable"):
            year = rng.randint(2008, 2020)
        elif plan.mode == ManagementMode.NONE:
            # Mostly old work-unit dormitories; a few newer small blocks.
            year = rng.randint(1985, 2004) if rng.random() < 0.8 else rng.randint(2005, 2013)
        elif plan.mode == ManagementMode.MARKET:
            year = rng.randint(1998, 2023)
        else:
            year = rng.randint(1985, 2023)

        small = plan.mode != ManagementMode.MARKET and hint not in ("resettle", "affordable")
        if small:
            area = rng.uniform(2000, 30000)
        elif year >= 2005:
            area = rng.uniform(30000, 180000)
        else:
            area = rng.uniform(15000, 80000)
        has_lift = year >= 2008 and (area > 40000 or rng.random() < 0.6)
        per_household = rng.uniform(85, 125)
        households = max(8, int(area / per_household))
        per_building = rng.randint(48, 132) if has_lift else rng.randint(18, 48)
        buildings = max(1, round(households / per_building))

        old = year <= 2004
        if hint == "resettle":
            estate_type = EstateType.RESETTLEMENT
        elif hint == "affordable":
            estate_type = EstateType.AFFORDABLE
        elif old and (plan.mode != ManagementMode.MARKET or rng.random() < 0.5):
            estate_type = EstateType.OLD
        else:
            estate_type = EstateType.COMMERCIAL

        if plan.mode == ManagementMode.MARKET:
            category = Category.ONE if rng.random() < 0.8 else Category.TWO
        elif plan.mode == ManagementMode.NONE:
            category = Category.THREE if area < 8000 or rng.random() < 0.4 else Category.TWO
        else:
            category = Category.TWO if rng.random() < 0.6 else Category.THREE

        in_programme = old and rng.random() < 0.55
        accepted = in_programme and rng.random() < 0.45

        road = rng.choice(ROADS[plan.district_name])
        values = dict(
            address=f"{plan.district_name}{road}{rng.randint(1, 399)}号",
            completion_year=year,
            total_area=money(area),
            building_count=buildings,
            household_count=households,
            has_lift=has_lift,
            estate_type=estate_type,
            management_mode=plan.mode,
            category=category,
            in_renovation_programme=in_programme,
            renovation_accepted=accepted,
            service_content=SERVICE_CONTENT[plan.mode],
            contact_name=self.person(),
            contact_phone=self.phone(),
            notes="",
        )
        if plan.firm is not None:
            since_year = rng.randint(max(year + 1, 2008), 2025) if year < 2025 else 2025
            values["firm"] = plan.firm
            values["firm_since"] = datetime.date(since_year, rng.randint(1, 12), 1)
        elif plan.mode == ManagementMode.NONE:
            values["notes"] = "尚未实施物业管理，列入全覆盖任务。"
        return values

    def seed_estate(self, plan: EstatePlan) -> Estate:
        values = self.estate_values(plan)
        contract_values = self.contract_values(values) if plan.firm is not None else None
        estate, created = self._get_or_create(Estate, community=plan.community, name=plan.name, defaults=values)
        if contract_values and not estate.contracts.exists() and estate.firm_id == plan.firm.pk:
            self._get_or_create(ServiceContract, estate=estate, firm=plan.firm, start_date=contract_values.pop("start"),
                                defaults=contract_values)
        return estate

    def contract_values(self, estate_values: dict) -> dict:
        rng = self.rng
        since = estate_values["firm_since"]
        # The current contract: from the firm's arrival, or its latest renewal.
        start = since if since.year >= 2024 else datetime.date(rng.randint(2024, 2025), rng.randint(1, 12), 1)
        return dict(
            start=start,
            end_date=add_years(start, 3) - datetime.timedelta(days=1),
            fee_standard=money(rng.uniform(0.5, 2.0)),
            bond=Decimal(rng.randrange(20000, 100001, 5000)).quantize(Decimal("0.01")),
            status=ContractStatus.ACTIVE,
        )

    def seed_shancheng(self):
        estates = []
        for table, mode in ((SHANCHENG_MANAGED, ManagementMode.MARKET), (SHANCHENG_UNMANAGED, ManagementMode.NONE)):
            for community_name, names in table.items():
                community = self.communities[(SHANTING, SHANCHENG, community_name)]
                for name in names:
                    firm = self.firms[SHANCHENG_FIRM_OF[name]] if mode == ManagementMode.MARKET else None
                    plan = EstatePlan(community, name, mode, firm, "", SHANTING)
                    estates.append(self.seed_estate(plan))
        self.previous_contract_example()
        return estates

    def previous_contract_example(self):
        """龙珠百合 changed firms: the earlier contract ended with a handover record."""
        estate = Estate.objects.get(community=self.communities[(SHANTING, SHANCHENG, "梅园社区")], name="龙珠百合")
        previous = self.firms["yinshan"]
        if estate.contracts.filter(firm=previous).exists() or estate.firm_id != self.firms["longrun"].pk:
            return
        end = estate.firm_since - datetime.timedelta(days=1)
        self._get_or_create(
            ServiceContract, estate=estate, firm=previous, start_date=add_years(end, -3) + datetime.timedelta(days=1),
            defaults=dict(
                end_date=end, fee_standard=Decimal("0.80"), bond=Decimal("30000.00"),
                status=ContractStatus.ENDED, ended_on=end, handover_date=end + datetime.timedelta(days=3),
                handover_note="合同期满退出；移交物业服务用房钥匙、设施设备台账、业主资料及剩余预收物业费明细。",
                handover_received_by=self.firms["longrun"].name,
            ),
        )

    def seed_generated(self, district_name: str, street_name: str, rows) -> list[Estate]:
        self.street(district_name, street_name)
        estates = []
        for community_name, name, mode, firm_key, hint in rows:
            if (district_name, street_name, community_name) not in self.communities:
                self.community(district_name, street_name, community_name)
            community = self.communities[(district_name, street_name, community_name)]
            firm = self.firms[firm_key] if firm_key else None
            estates.append(self.seed_estate(EstatePlan(community, name, mode, firm, hint, district_name)))
        return estates

    # -- committees -------------------------------------------------------------
    def seed_committee(self, estate: Estate, kind: str, status: str):
        rng = self.rng
        elected = datetime.date(rng.randint(2020, 2025), rng.randint(1, 12), rng.randint(1, 28))
        term_years = 5 if kind == CommitteeKind.OWNERS else 3
        filed_on = elected + datetime.timedelta(days=rng.randint(15, 60)) if status == FilingStatus.FILED else None
        size = rng.randint(3, 7)
        members = [(self.person(), "chair" if i == 0 else ("vice" if i == 1 and size > 4 else "member"),
                    self.phone()) for i in range(size)]
        if estate.committees.exists():
            return
        committee, _ = self._get_or_create(
            OwnerCommittee, estate=estate, kind=kind, elected_on=elected,
            defaults=dict(
                term_end=add_years(elected, term_years) - datetime.timedelta(days=1),
                filing_status=status, filed_on=filed_on, is_active=True,
                notes="由街道办事处牵头组建，暂代业主委员会职责。" if kind == CommitteeKind.STANDIN else "",
            ),
        )
        for name, position, phone in members:
            self._get_or_create(CommitteeMember, committee=committee, name=name,
                                defaults={"position": position, "phone": phone})

    def seed_committees(self, estates: list[Estate], *, filed: int, pending: int, standin: int):
        """Committees on a fixed-size, seeded sample of `estates`."""
        chosen = self.rng.sample(estates, filed + pending + standin)
        kinds = ([(CommitteeKind.OWNERS, FilingStatus.FILED)] * filed
                 + [(CommitteeKind.OWNERS, FilingStatus.PENDING)] * pending
                 + [(CommitteeKind.STANDIN, FilingStatus.FILED)] * standin)
        for estate, (kind, status) in zip(chosen, kinds):
            self.seed_committee(estate, kind, status)

    # -- users ------------------------------------------------------------------
    def seed_users(self):
        for username, role, target_kind, key in USERS:
            full_name = self.person()
            user, created = self._get_or_create(User, username=username, defaults={
                "full_name": full_name, "phone": self.phone(),
                "is_staff": role == Role.CITY_ADMIN, "is_superuser": role == Role.CITY_ADMIN,
            })
            if created:
                # Only on creation: a password changed by the user survives a rerun.
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            target = {}
            if target_kind == "district":
                target["district"] = self.districts[key]
            elif target_kind == "street":
                target["street"] = self.streets[key]
            elif target_kind == "community":
                target["community"] = self.communities[key]
            elif target_kind == "firm":
                target["firm"] = self.firms[key]
            self._get_or_create(RoleAssignment, user=user, role=role, **target)

    # -- all --------------------------------------------------------------------
    def run(self, dates: DemoDates):
        """Everything, dated from `dates` (the one moment the command read)."""
        for name in (SHANTING, GUANCHENG):
            self.district(name)
        self.street(SHANTING, SHANCHENG)
        for community_name in ["梅园社区", "紫薇社区", "丰泽社区", "东、西鲁社区"]:
            self.community(SHANTING, SHANCHENG, community_name)
        self.seed_firms()

        shancheng = self.seed_shancheng()
        managed = shancheng[:20]
        unmanaged = shancheng[20:]
        # 山城街道: 22 of 41 estates with a filed owner committee (about 54 %, visibly
        # below the 80 % target), 3 pending filings and 6 stand-in management
        # committees (物业管理委员会) on old dormitories where none could be formed.
        self.seed_committees(managed, filed=16, pending=2, standin=0)
        self.seed_committees(unmanaged, filed=6, pending=1, standin=6)

        cuihu = self.seed_generated(SHANTING, CUIHU, CUIHU_ESTATES)
        self.seed_committees(cuihu, filed=4, pending=1, standin=1)
        for street_name, rows in GUANCHENG_STREETS.items():
            estates = self.seed_generated(GUANCHENG, street_name, rows)
            self.seed_committees(estates, filed=2, pending=1, standin=0)
        self.seed_users()
        say = self.say
        seed_policies(dates=dates, shanting=self.districts[SHANTING], guancheng=self.districts[GUANCHENG], say=say)
        seed_supervision(dates=dates, shanting=self.districts[SHANTING], guancheng=self.districts[GUANCHENG],
                         managed=managed, say=say)
        seed_credit(dates=dates, say=say)
        seed_complaints(districts=list(self.districts.values()), say=say, now=dates.now)
        seed_fund_and_sanctions(dates=dates, districts=[self.districts[SHANTING], self.districts[GUANCHENG]], say=say)

    def say(self, label: str, n: int) -> None:
        self.created.update({label: n})
