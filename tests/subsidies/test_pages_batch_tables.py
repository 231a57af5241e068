"""The batch page's per-firm tables scale: 按物业企业汇总 and 街道拨付企业 show pages of 50 rows, the pass-on
table has a per-street summary that narrows it to one street, and a failed pass-on form is on the page shown."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from communities.models import ManagementMode
from subsidies.services import generation as gen
from subsidies.views.batches import TABLE_PAGE
from tests.factories import EstateFactory, FirmFactory

from ._pages import MARCH, build_batches
from .conftest import participating, published
from .test_pages_batches import transition

pytestmark = pytest.mark.django_db

EXTRA_PER_STREET = 55


@pytest.fixture
def many_firms(sub_world):
    """The page tests' batch plus 55 paying estates in each street of 山亭区, each served by a firm of its own:
    山城街道 passes money on to 56 firms (甲 and 55 more), 北庄街道 to 56 (乙 and 55 more)."""
    w = build_batches(sub_world)
    w.extra = {"shancheng": [], "beizhuang": []}
    for i in range(2 * EXTRA_PER_STREET):
        street = "shancheng" if i % 2 else "beizhuang"
        firm = FirmFactory(name=f"批量物业{i:03d}有限公司", registered_district=w.shanting)
        estate = EstateFactory(community=w.meiyuan if street == "shancheng" else w.beizhuang_c,
                               name=f"批量小区{i:03d}", total_area=Decimal("1000.00"), firm=firm,
                               firm_since=datetime.date(2024, 1, 1), management_mode=ManagementMode.MARKET)
        participating(w, estate, 2025, 0)
        published(w, estate, 2025, 1, 3)
        w.extra[street].append(firm)
    w.batch = gen.generate_batch(district=w.shanting, month=MARCH, recompute=True)
    w.detail = reverse("subsidies:batch_detail", args=[w.batch.pk])
    return w


def pass_on_firms(response):
    return [row.firm_id for row in response.context["pass_ons"]]


def test_firm_totals_show_fifty_rows_a_page(many_firms, login):
    client = login("district_admin")
    first = client.get(many_firms.detail)
    assert first.context["by_firm"].paginator.count == 2 + 2 * EXTRA_PER_STREET
    assert len(first.context["by_firm"]) == TABLE_PAGE
    html = first.content.decode()
    assert html.count(f'{many_firms.detail.split("?")[0]}?firms=2') >= 1  # the next page's link
    last = client.get(many_firms.detail, {"firms": 3})
    assert len(last.context["by_firm"]) == 2 + 2 * EXTRA_PER_STREET - 2 * TABLE_PAGE
    # Every firm is on exactly one page.
    seen = [row["firm_id"] for n in (1, 2, 3) for row in client.get(many_firms.detail, {"firms": n}).context["by_firm"]]
    assert len(seen) == len(set(seen)) == 2 + 2 * EXTRA_PER_STREET


def test_pass_on_has_a_street_summary_and_pages(many_firms, login):
    w = many_firms
    client = login("district_admin")
    page = client.get(w.detail)
    summary = {s["street_name"]: (s["firms"], s["recorded"]) for s in page.context["pass_on_streets"]}
    assert summary == {"山城街道": (1 + EXTRA_PER_STREET, 0), "北庄街道": (1 + EXTRA_PER_STREET, 0)}
    assert 'data-testid="pass-on-streets"' in page.content.decode()
    assert page.content.decode().count('data-testid="pass-on-row"') == TABLE_PAGE
    # One street: its 56 firms over two pages, none of the other street.
    first = client.get(w.detail, {"pass_on_street": w.beizhuang.pk})
    second = client.get(w.detail, {"pass_on_street": w.beizhuang.pk, "pass_on_page": 2})
    firms = pass_on_firms(first) + pass_on_firms(second)
    assert sorted(firms) == sorted([w.firm2.pk] + [f.pk for f in w.extra["beizhuang"]])
    assert {row.street_name for row in second.context["pass_ons"]} == {"北庄街道"}
    # A street outside the batch (or garbage) shows every street.
    for street in (w.zijingshan.pk, "abc"):
        assert len(client.get(w.detail, {"pass_on_street": street}).context["pass_ons"]) == TABLE_PAGE


def test_street_staff_see_their_street_only_without_a_summary(many_firms, login):
    w = many_firms
    page = login("street_staff").get(w.detail)
    assert page.context["pass_on_street"] == w.shancheng.pk
    assert 'data-testid="pass-on-streets"' not in page.content.decode()
    assert set(pass_on_firms(page)) <= {w.firm1.pk, *[f.pk for f in w.extra["shancheng"]]}
    # Asking for another street's rows shows nothing of it.
    other = login("street_staff").get(w.detail, {"pass_on_street": w.beizhuang.pk})
    assert {row.street_name for row in other.context["pass_ons"]} == {"山城街道"}


def test_a_failed_pass_on_form_is_on_the_page_shown(many_firms, login):
    w = many_firms
    transition(login("district_staff"), w, "check")
    transition(login("district_admin"), w, "approve")
    transition(login("district_admin"), w, "disburse", disbursed_on="2025-04-10", voucher="ST-0410")
    last = w.extra["shancheng"][-1]  # the 56th row of 山城街道: page 2
    response = login("street_staff").post(reverse("subsidies:pass_on_record", args=[w.batch.pk]), {
        "street_id": w.shancheng.pk, "firm_id": last.pk, "paid_on": "2025-04-12", "voucher": ""})
    assert response.status_code == 200
    assert response.context["pass_ons"].number == 2
    row = next(r for r in response.context["pass_ons"] if r.firm_id == last.pk)
    assert "voucher" in row.form.errors and row.form.is_bound
    html = response.content.decode()
    assert f'id="id_po_{w.shancheng.pk}_{last.pk}_voucher"' in html
    # The pager links go to the batch page, not to the POST's URL.
    assert f'href="{w.detail}?pass_on_page=1#pass-on-card"' in html


@pytest.mark.parametrize("persona", ["district_admin", "street_staff"])
def test_batch_detail_query_count_does_not_grow_with_firms(many_firms, login, django_assert_max_num_queries,
                                                          persona):
    client = login(persona)
    # The same pin as test_pages_lines.test_batch_detail_query_count_is_pinned, with 112 firms.
    with django_assert_max_num_queries(21):
        response = client.get(many_firms.detail)
    assert response.status_code == 200


def test_lines_page_firm_filter_lists_no_firms(many_firms, login):
    url = reverse("subsidies:batch_lines", args=[many_firms.batch.pk])
    html = login("district_admin").get(url, {"firm": many_firms.firm2.pk}).content.decode()
    select = html.split('name="firm"')[1].split("</select>")[0]
    assert 'data-choices-url="/choices/firms/"' in select
    # The empty option and the chosen firm, none of the other 111.
    assert select.count("<option") == 2 and f'value="{many_firms.firm2.pk}" selected' in select
    assert "批量物业" not in select
