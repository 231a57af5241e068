"""Fixtures of the complaints tests, reused by every complaints test module.

`make_complaint(...)` registers an order through `complaint_receive` (as the street clerk, on 梅花园 of
山城街道 by default) and, with `to=`, walks it through the flow services up to that status, one minute per
step after `at`. Everything goes through the services, so the events, clocks and handlings are real.
"""
import datetime
from zoneinfo import ZoneInfo

import pytest
from faker import Faker

from complaints.models import Category, Satisfaction, Status, Urgency
from complaints.services import (
    complaint_answer,
    complaint_assign,
    complaint_callback,
    complaint_close,
    complaint_receive,
    complaint_sign,
)

TZ = ZoneInfo("Asia/Shanghai")


def _generated_person() -> str:
    """A complainant's name from Faker zh_CN (seeded, so every run has the same one), with a one-character
    surname so that the masked form is the first character and "*"."""
    fake = Faker("zh_CN")
    fake.seed_instance(2026)
    surname = next(s for s in iter(fake.last_name, None) if len(s) == 1)
    return surname + fake.first_name()


COMPLAINANT_NAME = _generated_person()
_others = Faker("zh_CN")
_others.seed_instance(2027)
OTHER_PEOPLE = [n for n in (_others.name() for _ in range(20)) if n != COMPLAINANT_NAME][:3]  # more complainants
COMPLAINANT_PHONE = "13812340000"
DEFAULT_AT = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=TZ)  # a Tuesday
STEPS = [Status.RECEIVED, Status.ASSIGNED, Status.SIGNED, Status.ANSWERED, Status.CALLED_BACK, Status.CLOSED]


def at(*args) -> datetime.datetime:
    """at(2025, 9, 30, 10, 0) -> an aware datetime in Asia/Shanghai."""
    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Files the tests upload (attachments, hotline files) go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mapping(world):
    """山亭区's ready 12345 column mapping."""
    from complaints.services.imports import mapping_ensure_default

    return mapping_ensure_default(district=world.shanting)


@pytest.fixture
def category(db):
    return Category.objects.get(code="sanitation")


@pytest.fixture
def make_complaint(world, category):
    """make_complaint(to="signed", at=..., estate=..., urgency=..., satisfaction=..., **complaint_receive kwargs)."""
    counter = {"n": 0}

    def _make(*, to: str = Status.RECEIVED, at: datetime.datetime = DEFAULT_AT, estate="default", street=None,
              urgency: str = Urgency.NORMAL, satisfaction: str = Satisfaction.SATISFIED, solved: bool = True,
              contacted: bool = True, clerk: str | None = None, firm_user: str | None = None, step_minutes=1,
              **kwargs):
        counter["n"] += 1
        estate = world.estate_a1 if estate == "default" else estate
        street = street or (estate.community.street if estate is not None else world.shancheng)
        if clerk is None:  # the clerk of the order's street
            clerk = {world.shancheng.pk: "street_staff", world.beizhuang.pk: "street_staff2"}.get(street.pk,
                                                                                               "district_admin_gc")
        clerk_user = world.users[clerk]
        if firm_user is None:
            firm_user = "firm_user2" if estate is not None and estate.firm_id == world.firm2.pk else "firm_user"
        fields = {"source": "walk_in", "title": f"楼道垃圾无人清理{counter['n']}",
                  "content": "单元楼道内堆放垃圾多日无人清理，气味很大。", "category": category,
                  "complainant_name": COMPLAINANT_NAME, "complainant_phone": COMPLAINANT_PHONE}
        fields.update(kwargs)
        fields.setdefault("received_at", at)
        c = complaint_receive(actor=clerk_user, street=street, estate=estate, urgency=urgency, now=at, **fields)
        target = STEPS.index(to) if to in STEPS else None
        if target is None:
            raise ValueError(f"make_complaint cannot walk to {to!r}")
        step = datetime.timedelta(minutes=step_minutes)
        now = at
        firm = world.users[firm_user]
        for index in range(1, target + 1):
            now = now + step
            s = STEPS[index]
            if s == Status.ASSIGNED:
                c = complaint_assign(actor=clerk_user, complaint=c, now=now)
            elif s == Status.SIGNED:
                c = complaint_sign(actor=firm, complaint=c, now=now)
            elif s == Status.ANSWERED:
                c = complaint_answer(actor=firm, complaint=c, answer="已安排保洁清理完毕。", now=now)
            elif s == Status.CALLED_BACK:
                c = complaint_callback(actor=clerk_user, complaint=c, contacted=contacted,
                                       solved=solved if contacted else None,
                                       satisfaction=satisfaction if contacted else "",
                                       comment="" if contacted else "电话无人接听", now=now)
            elif s == Status.CLOSED:
                c = complaint_close(actor=clerk_user, complaint=c, now=now)
        c.refresh_from_db()
        return c

    return _make
