"""Rubric versions: 100 points to activate, used versions never edited."""
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inspections.models import Rubric, RubricStatus
from inspections.services.inspections import inspection_start, inspection_save, inspection_submit
from inspections.services.rubrics import (
    ItemData,
    ensure_default_rubric,
    rubric_activate,
    rubric_create,
    rubric_items,
    rubric_new_draft,
    rubric_replace_items,
)

from .conftest import score_all

pytestmark = pytest.mark.django_db


def test_default_rubric_has_nine_categories_summing_to_100(rubric):
    cats = list(rubric.categories.values_list("name", flat=True))
    assert cats == ["基础管理", "环境卫生及绿化养护", "公共设施设备管理", "治安防范", "社会治理及矛盾调处",
                    "房屋安全管理", "信息公示", "群租房管控", "党建工作"]
    assert sum(i.max_points for i in rubric.items.all()) == Decimal("100")


def test_district_admin_cannot_activate_a_rubric_that_sums_to_99(world):
    admin = world.users["district_admin"]
    items = [ItemData("基础管理", "合同备案", Decimal("49")), ItemData("党建工作", "党支部", Decimal("50"))]
    draft = rubric_create(actor=admin, district=world.shanting, year=2031, items=items)
    with pytest.raises(ValidationError, match="合计为 99 分"):
        rubric_activate(actor=admin, rubric=draft, now=timezone.now())
    draft.refresh_from_db()
    assert draft.status == RubricStatus.DRAFT


def test_activating_a_new_version_retires_the_old_one(world, rubric):
    admin = world.users["district_admin"]
    draft = rubric_new_draft(actor=admin, rubric=rubric)
    assert draft.version == rubric.version + 1 and draft.status == RubricStatus.DRAFT
    rubric_activate(actor=admin, rubric=draft, now=timezone.now())
    rubric.refresh_from_db()
    assert rubric.status == RubricStatus.RETIRED
    assert Rubric.objects.get(district=world.shanting, year=rubric.year, status="active") == draft


def test_used_or_active_version_cannot_be_edited_in_place(world, rubric):
    admin = world.users["district_admin"]
    with pytest.raises(ValidationError, match="不能直接修改"):
        rubric_replace_items(actor=admin, rubric=rubric, items=rubric_items(rubric))


def test_editing_after_use_makes_a_new_version_and_old_totals_stay(world, rubric):
    clerk, admin = world.users["street_staff"], world.users["district_admin"]
    today = datetime.date.today()
    insp = inspection_start(actor=clerk, estate=world.estate_a1, kind="regular", date=today, inspectors="检查组",
                            today=today)
    first_item = rubric.items.order_by("category__order", "order").first()  # 4 points
    inspection_save(actor=clerk, inspection=insp, scores=score_all(rubric, {first_item.code: Decimal("2")}),
                    today=today)
    inspection_submit(actor=clerk, inspection=insp, now=timezone.now())
    insp.refresh_from_db()
    assert insp.total == Decimal("98.0")  # 100 - (4 - 2)

    draft = rubric_new_draft(actor=admin, rubric=rubric)
    items = rubric_items(draft)
    items[0].max_points = Decimal("2")  # 基础管理 item 1: 4 -> 2
    items[1].max_points = Decimal("6")  # item 2: 4 -> 6, total still 100
    rubric_replace_items(actor=admin, rubric=draft, items=items)
    rubric_activate(actor=admin, rubric=draft, now=timezone.now())

    insp.refresh_from_db()
    assert insp.rubric_id == rubric.pk
    assert insp.total == Decimal("98.0")
    assert rubric.items.get(code=first_item.code).max_points == Decimal("4")


def test_street_staff_cannot_keep_the_rubric(world, rubric):
    with pytest.raises(ValidationError, match="区管理员"):
        rubric_new_draft(actor=world.users["street_staff"], rubric=rubric)
    with pytest.raises(ValidationError):
        rubric_new_draft(actor=world.users["district_admin_gc"], rubric=rubric)


@pytest.mark.parametrize("points, message", [(Decimal("0"), "大于 0"), (Decimal("-1"), "大于 0"),
                                             (Decimal("2.3"), "0.5 的整数倍")])
def test_bad_item_points_are_refused(world, points, message):
    with pytest.raises(ValidationError, match=message):
        rubric_create(actor=world.users["district_admin"], district=world.shanting, year=2032,
                      items=[ItemData("基础管理", "合同", points)])
    assert not Rubric.objects.filter(year=2032).exists()


def test_activation_is_stamped_with_the_given_now_not_the_clock(world):
    # 2031 is years away from the real clock and time is not frozen: a service reading the clock would fail.
    admin = world.users["district_admin"]
    far = datetime.datetime(2031, 6, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    default = ensure_default_rubric(district=world.shanting, year=2031, now=far)
    draft = rubric_new_draft(actor=admin, rubric=default)
    rubric_activate(actor=admin, rubric=draft, now=far + datetime.timedelta(days=1))
    default.refresh_from_db(); draft.refresh_from_db()  # noqa: E702
    assert default.activated_at == far
    assert draft.activated_at == datetime.datetime(2031, 6, 3, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
