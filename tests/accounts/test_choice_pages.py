"""Pages with long choice lists render only the chosen option(s), keep the chosen value, and validate it
against the field's whole scoped queryset (accounts/choices.py)."""
import datetime
import re

import pytest
from django.urls import reverse

from communities.models import Community, ManagementMode
from enterprises.models import ServiceContract
from tests.factories import CommunityFactory, EstateFactory, FirmFactory

pytestmark = pytest.mark.django_db

SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
NAME = re.compile(r'\bname="([^"]+)"')


def selects(html):
    """{name: (is remote, [option tags])} of every <select> on the page."""
    out = {}
    for attrs, body in SELECT.findall(html):
        out[NAME.search(attrs).group(1)] = ("data-choices-url=" in attrs, re.findall(r"<option\b[^>]*>[^<]*", body))
    return out


def remote(html):
    return {name: options for name, (is_remote, options) in selects(html).items() if is_remote}


@pytest.fixture
def crowded(world):
    """300 more estates in 100 more communities, each served by one of 300 more firms."""
    communities = [CommunityFactory(street=world.shancheng if i % 2 else world.beizhuang, name=f"新区社区{i:03d}")
                   for i in range(100)]
    for i in range(300):
        firm = FirmFactory(name=f"新区物业{i:03d}有限公司", registered_district=world.shanting, is_filed=True,
                           filed_on=datetime.date(2020, 1, 1))
        EstateFactory(community=communities[i % 100], name=f"新区小区{i:03d}", firm=firm,
                      firm_since=datetime.date(2024, 1, 1), management_mode=ManagementMode.MARKET)
    return world


# persona, page, the fields that search instead of listing
PAGES = [
    ("city_admin", "communities:estate_list", {"community", "firm"}),
    ("city_admin", "communities:committee_list", {"community"}),
    ("city_admin", "enterprises:contract_list", {"firm"}),
    ("city_admin", "inspections:inspection_list", {"community", "estate", "firm", "new_for"}),
    ("district_admin", "inspections:inspection_list", {"community", "estate", "firm"}),
    ("street_staff", "inspections:inspection_list", {"community", "estate", "firm", "new_for"}),
    ("city_admin", "inspections:order_list", {"community", "estate", "firm"}),
    ("city_admin", "ratings:application_list", {"firm"}),
    ("district_admin", "communities:estate_create", {"community"}),
    ("street_staff", "inspections:order_create", {"estate"}),
    ("district_admin", "ratings:disqualification_create", {"estate"}),
]


@pytest.mark.parametrize(("persona", "url_name", "fields"), PAGES)
def test_page_renders_no_long_choice_list(crowded, login, persona, url_name, fields):
    response = login(persona).get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    shown = remote(html)
    assert set(shown) == fields
    # Nothing is chosen: at most the empty option ("全部", "请选择小区") of each.
    assert all(len(options) <= 1 for options in shown.values()), shown
    # 300 estates, 300 firms and 100 communities are in scope, none is rendered; what is left are short
    # fixed lists (类别, 状态, 街道 …).
    assert html.count("<option") < 60
    options = "".join(body for _, body in SELECT.findall(html))
    assert "新区小区" not in options and "新区物业" not in options and "新区社区" not in options


def test_contract_and_policy_forms_render_no_long_choice_list(crowded, login):
    client = login("district_admin")
    html = client.get(reverse("enterprises:contract_create", args=[crowded.estate_a2.pk])).content.decode()
    assert remote(html) == {"firm": ['<option value="" selected>---------']}
    assert f'data-choices-url="/choices/firms/?purpose=contract&amp;estate={crowded.estate_a2.pk}"' in html
    from subsidies.models import SubsidyPolicy

    SubsidyPolicy.objects.create(district=crowded.shanting, effective_from=datetime.date(2025, 1, 1),
                                 programme_start=datetime.date(2025, 3, 1), programme_months=36)
    html = client.get(reverse("subsidies:policy_create", args=[crowded.shanting.pk])).content.decode()
    assert remote(html) == {"pilot_estates": []}
    assert f'data-choices-url="/choices/estates/?purpose=pilot&amp;district={crowded.shanting.pk}"' in html


def test_chosen_filter_value_is_kept_and_rendered_alone(crowded, login):
    firm = crowded.firm1
    html = login("city_admin").get(reverse("communities:estate_list"), {"firm": firm.pk}).content.decode()
    assert remote(html)["firm"] == ['<option value="">全部', f'<option value="{firm.pk}" selected>{firm.name}']
    html = login("street_staff").get(reverse("inspections:inspection_list"),
                                     {"estate": crowded.estate_a1.pk}).content.decode()
    assert remote(html)["estate"] == ['<option value="">全部',
                                      f'<option value="{crowded.estate_a1.pk}" selected>梅花园（山城街道 · 梅园社区）']


def test_kept_form_value_is_rendered_with_its_label(world, login):
    response = login("street_staff").post(reverse("communities:estate_create"), {"community": world.ziwei.pk})
    assert response.status_code == 200  # other fields are missing: the form comes back
    assert remote(response.content.decode())["community"] == [
        '<option value="">请选择社区', f'<option value="{world.ziwei.pk}" selected>紫薇社区（山城街道）']


# --- a tampered value outside the scope shows nothing of it --------------------------------------------------

TAMPERED = [
    # persona, list, parameter, the out-of-scope object, what must not appear
    ("street_staff2", "communities:estate_list", "community", "meiyuan", "梅花园"),
    ("street_staff2", "communities:estate_list", "firm", "firm1", "梅花园"),
    ("street_staff2", "communities:committee_list", "community", "meiyuan", "梅花园"),
    ("firm_user2", "enterprises:contract_list", "firm", "firm1", "梅花园"),
    ("street_staff2", "inspections:inspection_list", "estate", "estate_a1", "梅花园"),
    ("street_staff2", "inspections:order_list", "community", "meiyuan", "梅花园"),
    ("district_admin_gc", "ratings:application_list", "firm", "firm1", "山亭甲"),
]


@pytest.mark.parametrize(("persona", "url_name", "param", "target", "hidden"), TAMPERED)
def test_out_of_scope_filter_value_shows_no_rows_and_says_so(world, login, persona, url_name, param, target,
                                                              hidden):
    response = login(persona).get(reverse(url_name), {param: getattr(world, target).pk})
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []
    html = response.content.decode()
    assert "筛选条件有误" in html
    assert hidden not in html.split('role="search"')[1]
    # The tampered id is not rendered as an option: only the empty one ("全部…") is left.
    assert [o for o in remote(html)[param] if 'value=""' not in o] == []


def test_garbage_filter_value_is_an_error_not_a_crash(world, login):
    for value in ("abc", "-1", "1 OR 1=1", "99999999999999999999"):
        response = login("city_admin").get(reverse("inspections:inspection_list"), {"estate": value})
        assert response.status_code == 200 and list(response.context["object_list"]) == []


def test_out_of_scope_firm_on_the_contract_form_is_refused_in_chinese(world, login):
    other = FirmFactory(name="管城已备案物业", registered_district=world.guancheng, is_filed=True,
                        filed_on=datetime.date(2024, 1, 1))
    data = {"firm": other.pk, "start_date": "2026-01-01", "end_date": "2028-12-31", "fee_standard": "1.50",
            "bond": "50000.00"}
    response = login("street_staff").post(reverse("enterprises:contract_create", args=[world.estate_a2.pk]), data)
    assert response.status_code == 200
    assert "请从列表中选择本区已备案的物业企业。" in response.content.decode()
    assert not ServiceContract.objects.filter(estate=world.estate_a2).exists()
    assert "管城已备案物业" not in response.content.decode()


def test_out_of_scope_estate_on_the_order_form_is_refused_in_chinese(world, login):
    response = login("street_staff").post(reverse("inspections:order_create"), {
        "estate": world.estate_b1.pk, "problem": "楼道堆物", "deadline": "2099-01-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "该小区不在您的管辖范围内，或没有服务企业。" in html
    assert "北庄花园" not in html


def test_out_of_scope_community_on_the_estate_form_is_refused(world, login):
    response = login("street_staff2").post(reverse("communities:estate_create"), {
        "community": world.meiyuan.pk, "name": "书香雅苑", "completion_year": "2003", "total_area": "100"})
    assert "该社区不在您的管辖范围内" in response.content.decode()
    assert remote(response.content.decode())["community"] == ['<option value="">请选择社区']
    assert Community.objects.count() == 4
