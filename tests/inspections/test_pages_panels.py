"""The panels other pages include: an estate's inspections with its score trend, a firm's orders."""
import datetime
import json

import pytest
from django.template import Context, Template
from django.utils import timezone

from inspections.services.orders import order_issue

from .test_pages_permissions import submitted

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()

ESTATE_PANEL = Template("{% load inspections_tags %}{% estate_inspection_panel estate user %}")
FIRM_PANEL = Template("{% load inspections_tags %}{% firm_orders_panel firm user %}")


def render(template, **ctx):
    return template.render(Context(ctx))


def test_estate_panel_lists_inspections_and_feeds_the_chart(world, rubric):
    first = submitted(world, world.estate_a1)
    second = submitted(world, world.estate_a1, scores={i.pk: ("0", "") for i in rubric.items.all()})
    html = render(ESTATE_PANEL, estate=world.estate_a1, user=world.users["street_staff"])
    assert f"/inspections/{first.pk}/" in html and f"/inspections/{second.pk}/" in html
    start = html.index(f'id="trend-data-{world.estate_a1.pk}"')
    data = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    assert data == [{"date": TODAY.isoformat(), "total": 100.0}, {"date": TODAY.isoformat(), "total": 0.0}]
    assert "vendor/echarts/echarts.min.js" in html and "js/score_trend.js" in html
    assert "新建检查" in html and "下发整改通知" in html


@pytest.mark.parametrize("persona, buttons", [
    ("street_staff", True), ("community_clerk", True), ("district_admin", False), ("firm_user", False)])
def test_estate_panel_buttons_only_for_who_may_inspect(world, rubric, persona, buttons):
    html = render(ESTATE_PANEL, estate=world.estate_a1, user=world.users[persona])
    assert ("新建检查" in html) == buttons
    assert ("下发整改通知" in html) == buttons


def test_estate_panel_has_no_order_button_for_an_estate_without_a_firm(world, rubric):
    html = render(ESTATE_PANEL, estate=world.estate_a2, user=world.users["street_staff"])
    assert "新建检查" in html and "下发整改通知" not in html
    assert "暂无已提交的检查" in html


def test_estate_panel_renders_nothing_outside_scope(world, rubric):
    submitted(world, world.estate_a1)
    assert render(ESTATE_PANEL, estate=world.estate_a1, user=world.users["street_staff2"]).strip() == ""


def test_firm_panel_lists_only_orders_the_user_may_see(world):
    # firm 甲 serves 梅花园 (山城街道); an order to it on an estate of 北庄街道 too.
    a = order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="楼道杂物", now=timezone.now())
    world.estate_b1.firm = world.firm1
    world.estate_b1.save(update_fields=["firm"])
    b = order_issue(actor=world.users["street_staff2"], estate=world.estate_b1, problem="绿化缺损", now=timezone.now())
    html = render(FIRM_PANEL, firm=world.firm1, user=world.users["street_staff"])
    assert a.number in html and b.number not in html
    html = render(FIRM_PANEL, firm=world.firm1, user=world.users["firm_user"])
    assert a.number in html and b.number in html
    assert "待整改 2" in html


def test_firm_panel_renders_nothing_for_another_firm(world):
    order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="楼道杂物", now=timezone.now())
    assert render(FIRM_PANEL, firm=world.firm1, user=world.users["firm_user2"]).strip() == ""
