"""The choice endpoints (/choices/<name>/, accounts/choices.py) against every persona and every declared purpose.

Each purpose serves exactly the queryset of the field it feeds; the tables below say, by hand, what each
persona gets in the test world (tests/conftest.py). A purpose added to SOURCES without a table here fails
`test_every_declared_purpose_has_a_table`.
"""
import json

import pytest
from django.urls import reverse

from accounts.choices import PAGE_SIZE, SOURCES
from tests.conftest import PERSONAS
from tests.factories import EstateFactory

pytestmark = pytest.mark.django_db

ALL_ESTATES = {"estate_a1", "estate_a2", "estate_b1", "estate_c1"}
SHANTING_ESTATES = {"estate_a1", "estate_a2", "estate_b1"}
NOBODY = dict.fromkeys(PERSONAS, set())

# (source, purpose) -> (query parameters naming world objects, persona -> world attributes expected)
EXPECTED = {
    ("estates", "view"): ({}, {
        "city_admin": ALL_ESTATES,
        "district_admin": SHANTING_ESTATES,
        "district_staff": SHANTING_ESTATES,
        "district_admin_gc": {"estate_c1"},
        "street_staff": {"estate_a1", "estate_a2"},
        "street_staff2": {"estate_b1"},
        "community_clerk": {"estate_a1"},
        "firm_user": {"estate_a1"},
        "firm_user2": {"estate_b1"},
    }),
    # 新建检查: street staff and community clerks in their place (the city admin may do anything).
    ("estates", "inspect"): ({}, {
        **NOBODY,
        "city_admin": ALL_ESTATES,
        "street_staff": {"estate_a1", "estate_a2"},
        "street_staff2": {"estate_b1"},
        "community_clerk": {"estate_a1"},
    }),
    # 下发整改通知: the same, only estates with a serving firm (锦绣花园 and 紫荆小区 have none).
    ("estates", "issue"): ({}, {
        **NOBODY,
        "city_admin": {"estate_a1", "estate_b1"},
        "street_staff": {"estate_a1"},
        "street_staff2": {"estate_b1"},
        "community_clerk": {"estate_a1"},
    }),
    # 取消参评: district administrators and street staff (ratings.services.scores.SCORE_LEVELS).
    ("estates", "score"): ({}, {
        **NOBODY,
        "city_admin": ALL_ESTATES,
        "district_admin": SHANTING_ESTATES,
        "district_admin_gc": {"estate_c1"},
        "street_staff": {"estate_a1", "estate_a2"},
        "street_staff2": {"estate_b1"},
    }),
    # 试点小区 of 山亭区's subsidy policy: only who may edit 山亭区's policy gets its estates.
    ("estates", "pilot"): ({"district": "shanting"}, {
        **NOBODY,
        "city_admin": SHANTING_ESTATES,
        "district_admin": SHANTING_ESTATES,
    }),
    # 分拣 of an order of 山城街道 with no estate: whoever may triage it ("street" level in
    # complaints.services.flow: the street's staff, the district's administrators, city administrators) picks
    # among every estate of the order's district, other streets' included (北庄花园 of 北庄街道).
    ("estates", "match"): ({"complaint": "triage_order"}, {
        **NOBODY,
        "city_admin": SHANTING_ESTATES,
        "district_admin": SHANTING_ESTATES,
        "street_staff": SHANTING_ESTATES,
    }),
    ("firms", "view"): ({}, {
        "city_admin": {"firm1", "firm2"},
        "district_admin": {"firm1", "firm2"},
        "district_staff": {"firm1", "firm2"},
        "district_admin_gc": set(),
        "street_staff": {"firm1"},
        "street_staff2": {"firm2"},
        "community_clerk": {"firm1"},
        "firm_user": {"firm1"},
        "firm_user2": {"firm2"},
    }),
    # A contract of 梅花园: who may edit 梅花园 picks among filed firms (firm 乙 is not filed).
    ("firms", "contract"): ({"estate": "estate_a1"}, {
        **NOBODY,
        "city_admin": {"firm1"},
        "district_admin": {"firm1"},
        "street_staff": {"firm1"},
    }),
    ("communities", "view"): ({}, {
        "city_admin": {"meiyuan", "ziwei", "beizhuang_c", "zidong"},
        "district_admin": {"meiyuan", "ziwei", "beizhuang_c"},
        "district_staff": {"meiyuan", "ziwei", "beizhuang_c"},
        "district_admin_gc": {"zidong"},
        "street_staff": {"meiyuan", "ziwei"},
        "street_staff2": {"beizhuang_c"},
        "community_clerk": {"meiyuan"},
        "firm_user": {"meiyuan"},
        "firm_user2": {"beizhuang_c"},
    }),
    # The estate form's 社区: where the user may add an estate.
    ("communities", "edit"): ({}, {
        **NOBODY,
        "city_admin": {"meiyuan", "ziwei", "beizhuang_c", "zidong"},
        "district_admin": {"meiyuan", "ziwei", "beizhuang_c"},
        "district_admin_gc": {"zidong"},
        "street_staff": {"meiyuan", "ziwei"},
        "street_staff2": {"beizhuang_c"},
    }),
}
CASES = [(name, purpose, persona) for (name, purpose) in EXPECTED for persona in PERSONAS]


def triage_order(world):
    import datetime

    from django.utils import timezone

    from complaints.models import Category
    from complaints.services import complaint_receive

    now = timezone.now()
    return complaint_receive(actor=world.users["street_staff"], street=world.shancheng, source="walk_in",
                             received_at=now - datetime.timedelta(minutes=5), now=now, estate=None,
                             category=Category.objects.get(code="sanitation"), title="楼道堆物",
                             content="地址只写了“某某路口”，未能匹配小区。")


def world_params(world, params):
    if "triage_order" in params.values():
        world.triage_order = triage_order(world)
    return {key: getattr(world, attr).pk for key, attr in params.items()}


def choices_url(name, purpose="view", **query):
    if purpose != "view":
        query["purpose"] = purpose
    return reverse("choices", args=[name]), query


def get_json(client, name, purpose="view", **query):
    url, query = choices_url(name, purpose, **query)
    response = client.get(url, query)
    assert response["Content-Type"] == "application/json"
    return response, json.loads(response.content)


def test_every_declared_purpose_has_a_table():
    declared = {(name, purpose) for name, source in SOURCES.items() for purpose in source.purposes}
    assert declared == set(EXPECTED)


@pytest.mark.parametrize(("name", "purpose", "persona"), CASES)
def test_endpoint_offers_exactly_the_personas_objects(world, login, name, purpose, persona):
    params, table = EXPECTED[(name, purpose)]
    query = world_params(world, params)
    response, data = get_json(login(persona), name, purpose, **query)
    assert response.status_code == 200
    assert data["more"] is False
    assert {row["id"] for row in data["results"]} == {getattr(world, attr).pk for attr in table[persona]}


@pytest.mark.parametrize(("name", "purpose", "persona"), CASES)
def test_ids_return_only_labels_inside_the_scope(world, login, name, purpose, persona):
    params, table = EXPECTED[(name, purpose)]
    model = SOURCES[name].queryset(purpose, world.users["city_admin"], {}).model
    every = list(model.objects.values_list("pk", flat=True))
    query = world_params(world, params)
    _, data = get_json(login(persona), name, purpose, ids=",".join(map(str, every)), **query)
    assert {row["id"] for row in data["results"]} == {getattr(world, attr).pk for attr in table[persona]}


@pytest.mark.parametrize("name", list(SOURCES))
def test_anonymous_visitor_is_refused(client, world, name):
    response = client.get(reverse("choices", args=[name]), {"q": "梅", "ids": str(world.estate_a1.pk)})
    assert response.status_code == 403
    assert "results" not in json.loads(response.content)


def test_unknown_list_or_purpose_is_not_found(world, login):
    client = login("city_admin")
    assert client.get(reverse("choices", args=["people"])).status_code == 404
    assert client.get(reverse("choices", args=["estates"]), {"purpose": "everything"}).status_code == 404
    # A purpose of another list is no purpose of this one.
    assert client.get(reverse("choices", args=["firms"]), {"purpose": "inspect"}).status_code == 404


def test_a_parameter_never_widens_the_scope(world, login):
    # 管城回族区's administrator names an estate and a district of 山亭区: nothing comes back.
    client = login("district_admin_gc")
    _, data = get_json(client, "firms", "contract", estate=world.estate_a1.pk)
    assert data["results"] == []
    _, data = get_json(client, "estates", "pilot", district=world.shanting.pk)
    assert data["results"] == []
    # Their own district works; garbage and a missing parameter give nothing, never an error.
    _, data = get_json(client, "estates", "pilot", district=world.guancheng.pk)
    assert [row["id"] for row in data["results"]] == [world.estate_c1.pk]
    for bad in ("", "abc", "-1", "1;drop", "99999999999999999999"):
        response, data = get_json(client, "estates", "pilot", district=bad)
        assert response.status_code == 200 and data["results"] == []
        response, data = get_json(client, "estates", ids=bad, page=bad)
        assert response.status_code == 200 and data["results"] == []


def test_labels_say_where_an_estate_and_a_community_are(world, login):
    client = login("city_admin")
    _, data = get_json(client, "estates", q="梅花")
    assert data["results"] == [{"id": world.estate_a1.pk, "text": "梅花园（山城街道 · 梅园社区）"}]
    _, data = get_json(client, "communities", q="紫")
    # Same-named places are told apart by their street; the order is by name (紫东 < 紫薇 in code points).
    assert data["results"] == [{"id": world.zidong.pk, "text": "紫东社区（紫荆山街道）"},
                               {"id": world.ziwei.pk, "text": "紫薇社区（山城街道）"}]
    _, data = get_json(client, "firms", q="乙")
    assert data["results"] == [{"id": world.firm2.pk, "text": "山亭乙物业服务有限公司"}]


def test_search_pages_twenty_at_a_time_names_starting_with_the_query_first(world, login):
    for i in range(44):
        EstateFactory(community=world.meiyuan if i % 2 else world.beizhuang_c, name=f"翠梅{i:02d}苑")
    client = login("district_admin")
    _, first = get_json(client, "estates", q="梅", page=1)
    _, second = get_json(client, "estates", q="梅", page=2)
    _, third = get_json(client, "estates", q="梅", page=3)
    assert (len(first["results"]), len(second["results"]), len(third["results"])) == (PAGE_SIZE, PAGE_SIZE, 5)
    assert (first["more"], second["more"], third["more"]) == (True, True, False)
    # 梅花园 starts with 梅: first; then 翠梅00苑 … in name order, each once.
    texts = [row["text"] for page in (first, second, third) for row in page["results"]]
    assert texts[0] == "梅花园（山城街道 · 梅园社区）"
    assert texts[1:3] == ["翠梅00苑（北庄街道 · 北庄社区）", "翠梅01苑（山城街道 · 梅园社区）"]
    assert len(set(texts)) == 45
    # No query: every visible estate in name order; a page past the end is empty.
    _, whole = get_json(client, "estates")
    assert whole["more"] is True and len(whole["results"]) == PAGE_SIZE
    _, beyond = get_json(client, "estates", page=99)
    assert beyond == {"results": [], "more": False}
    # Another district's clerk finds none of them.
    _, other = get_json(login("district_admin_gc"), "estates", q="梅")
    assert other["results"] == []


def test_endpoint_runs_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    for i in range(30):
        EstateFactory(community=world.meiyuan, name=f"梅苑{i:02d}")
    client = login("street_staff")
    client.get(reverse("home"))  # the first request after logging in also writes the session
    # session, user, the user's roles (scope), one page of estates with their community and street.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("choices", args=["estates"]), {"q": "梅", "page": 2})
    assert response.status_code == 200 and len(json.loads(response.content)["results"]) == 11
    # + the contract's estate looked up in the user's scope, and its district (contract_firm_choices).
    with django_assert_max_num_queries(6):
        response = client.get(reverse("choices", args=["firms"]), {"purpose": "contract", "estate": world.estate_a1.pk})
    assert [r["id"] for r in json.loads(response.content)["results"]] == [world.firm1.pk]
