"""Every inspections page and export against every persona: in scope 200, out of scope 404, anonymous -> login.

The records: submitted inspections of 梅花园 (梅园社区, 山城街道, firm 甲), 锦绣花园 (紫薇社区,
山城街道, no firm) and 北庄花园 (北庄街道, firm 乙); a draft of 梅花园 and one of 北庄花园; an
order on 梅花园 (to firm 甲) and one on 北庄花园 (to firm 乙).
"""
import datetime
import io
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections.services.inspections import inspection_save, inspection_start, inspection_submit
from inspections.services.orders import order_issue
from inspections.services.rubrics import rubric_create
from tests.conftest import PERSONAS

from .conftest import score_all

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def png(name="p.png", color="red", size=(24, 24)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def xlsx_rows(response):
    """The rows of an Excel response as dicts keyed by the header row."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def submitted(world, estate, persona="street_staff", scores=None):
    user = world.users[persona]
    insp = inspection_start(actor=user, estate=estate, kind="regular", date=TODAY, inspectors="张三", today=TODAY)
    inspection_save(actor=user, inspection=insp, scores=scores or score_all(insp.rubric), today=TODAY)
    return inspection_submit(actor=user, inspection=insp, now=timezone.now())


@pytest.fixture
def records(world, rubric):
    r = SimpleNamespace(rubric=rubric)
    r.insp_a1 = submitted(world, world.estate_a1)
    r.insp_a2 = submitted(world, world.estate_a2)
    r.insp_b1 = submitted(world, world.estate_b1, "street_staff2")
    r.draft_a1 = inspection_start(actor=world.users["street_staff"], estate=world.estate_a1, kind="random",
                                  date=TODAY, inspectors="李四", today=TODAY)
    r.draft_b1 = inspection_start(actor=world.users["street_staff2"], estate=world.estate_b1, kind="random",
                                  date=TODAY, inspectors="王五", today=TODAY)
    r.order_a1 = order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="楼道堆放杂物",
                             inspection=r.insp_a1, now=timezone.now())
    r.order_b1 = order_issue(actor=world.users["street_staff2"], estate=world.estate_b1, problem="绿化缺损",
                             now=timezone.now())
    r.draft_rubric = rubric_create(actor=world.users["district_admin"], district=world.shanting, year=TODAY.year)
    return r


ALL = {"insp_a1", "insp_a2", "insp_b1", "draft_a1", "draft_b1"}
SEES_INSPECTIONS = {
    "city_admin": ALL,
    "district_admin": ALL,
    "district_staff": ALL,
    "district_admin_gc": set(),
    "street_staff": {"insp_a1", "insp_a2", "draft_a1"},
    "street_staff2": {"insp_b1", "draft_b1"},
    "community_clerk": {"insp_a1", "draft_a1"},
    # Firms see submitted inspections of their estates, never the clerks' drafts.
    "firm_user": {"insp_a1"},
    "firm_user2": {"insp_b1"},
}
EDITS_DRAFTS = {
    "city_admin": {"draft_a1", "draft_b1"},
    "street_staff": {"draft_a1"},
    "street_staff2": {"draft_b1"},
    "community_clerk": {"draft_a1"},
}
SEES_ORDERS = {
    "city_admin": {"order_a1", "order_b1"},
    "district_admin": {"order_a1", "order_b1"},
    "district_staff": {"order_a1", "order_b1"},
    "district_admin_gc": set(),
    "street_staff": {"order_a1"},
    "street_staff2": {"order_b1"},
    "community_clerk": {"order_a1"},
    "firm_user": {"order_a1"},
    "firm_user2": {"order_b1"},
}
# Who may inspect / issue orders for 梅花园 (estate_a1).
INSPECTS_A1 = {"city_admin", "street_staff", "community_clerk"}
INSPECTS_ANYTHING = {"city_admin", "street_staff", "street_staff2", "community_clerk"}
KEEPS_SHANTING_RUBRIC = {"city_admin", "district_admin"}
KEEPS_A_RUBRIC = {"city_admin", "district_admin", "district_admin_gc"}
READS_SHANTING_RUBRIC = set(PERSONAS) - {"district_admin_gc"}


# --- anonymous ------------------------------------------------------------------------------------

def anonymous_urls(r, world):
    return [
        reverse("inspections:rubric_list"), reverse("inspections:rubric_create"),
        reverse("inspections:rubric_import"), reverse("inspections:rubric_detail", args=[r.rubric.pk]),
        reverse("inspections:rubric_edit", args=[r.draft_rubric.pk]),
        reverse("inspections:rubric_export", args=[r.rubric.pk]),
        reverse("inspections:inspection_list"), reverse("inspections:inspection_list") + "?export=xlsx",
        reverse("inspections:progress"), reverse("inspections:frequencies"),
        reverse("inspections:inspection_create", args=[world.estate_a1.pk]),
        reverse("inspections:inspection_detail", args=[r.insp_a1.pk]),
        reverse("inspections:inspection_edit", args=[r.draft_a1.pk]),
        reverse("inspections:order_list"), reverse("inspections:order_list") + "?export=xlsx",
        reverse("inspections:order_create"), reverse("inspections:order_detail", args=[r.order_a1.pk]),
    ]


def test_anonymous_visitor_is_sent_to_login_from_every_page(client, world, records):
    for url in anonymous_urls(records, world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


@pytest.mark.parametrize("name, args", [
    ("rubric_new_version", "rubric"), ("rubric_activate", "draft_rubric"), ("inspection_edit", "draft_a1"),
    ("inspection_submit", "draft_a1"), ("inspection_correct", "insp_a1"), ("inspection_photos", "draft_a1"),
])
def test_anonymous_posts_change_nothing_and_go_to_login(client, world, records, name, args):
    response = client.post(reverse(f"inspections:{name}", args=[getattr(records, args).pk]), {"reason": "x"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    records.draft_a1.refresh_from_db()
    assert records.draft_a1.status == "draft"


def test_anonymous_cannot_act_on_an_order(client, world, records):
    response = client.post(reverse("inspections:order_action", args=[records.order_a1.pk, "cancel"]),
                           {"cancel-reason": "x"})
    assert response.status_code == 302
    records.order_a1.refresh_from_db()
    assert records.order_a1.status == "issued"


# --- rubric ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_rubric_list_shows_each_persona_its_districts_versions(world, login, records, persona):
    response = login(persona).get(reverse("inspections:rubric_list"))
    assert response.status_code == 200
    shown = {r.pk for r in response.context["object_list"]}
    if persona in READS_SHANTING_RUBRIC:
        assert {records.rubric.pk, records.draft_rubric.pk} <= shown
    else:
        assert shown == set()
    assert ("新建版本" in response.content.decode()) == (persona in KEEPS_A_RUBRIC)


@pytest.mark.parametrize("persona", PERSONAS)
def test_rubric_detail_and_export_only_inside_the_district(world, login, records, persona):
    client = login(persona)
    for url_name in ("rubric_detail", "rubric_export"):
        response = client.get(reverse(f"inspections:{url_name}", args=[records.rubric.pk]))
        assert response.status_code == (200 if persona in READS_SHANTING_RUBRIC else 404), url_name


@pytest.mark.parametrize("persona", PERSONAS)
def test_rubric_create_and_import_only_for_district_admins(world, login, records, persona):
    client = login(persona)
    for url_name in ("rubric_create", "rubric_import"):
        response = client.get(reverse(f"inspections:{url_name}"))
        assert response.status_code == (200 if persona in KEEPS_A_RUBRIC else 404), url_name


@pytest.mark.parametrize("persona", PERSONAS)
def test_rubric_edit_only_for_the_districts_admins(world, login, records, persona):
    response = login(persona).get(reverse("inspections:rubric_edit", args=[records.draft_rubric.pk]))
    assert response.status_code == (200 if persona in KEEPS_SHANTING_RUBRIC else 404)


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - KEEPS_SHANTING_RUBRIC))
def test_rubric_write_posts_are_404_for_everyone_else(world, login, records, persona):
    draft = records.draft_rubric
    client = login(persona)
    for url_name in ("rubric_activate", "rubric_new_version", "rubric_edit"):
        response = client.post(reverse(f"inspections:{url_name}", args=[draft.pk]),
                               {"category": ["x"], "title": ["y"], "max_points": ["100"]})
        assert response.status_code == 404, url_name
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.items.count() > 1
    assert draft.derived.count() == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_rubric_detail_shows_write_buttons_only_to_its_keepers(world, login, records, persona):
    if persona not in READS_SHANTING_RUBRIC:
        return
    html = login(persona).get(reverse("inspections:rubric_detail", args=[records.draft_rubric.pk])).content.decode()
    assert ("编辑项目" in html) == (persona in KEEPS_SHANTING_RUBRIC)
    assert ('data-testid="activate"' in html) == (persona in KEEPS_SHANTING_RUBRIC)


# --- inspections ----------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_inspection_list_shows_exactly_the_personas_inspections(world, login, records, persona):
    response = login(persona).get(reverse("inspections:inspection_list"))
    assert response.status_code == 200
    assert {i.pk for i in response.context["object_list"]} == {
        getattr(records, n).pk for n in SEES_INSPECTIONS[persona]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_inspection_export_contains_exactly_the_personas_inspections(world, login, records, persona):
    rows = xlsx_rows(login(persona).get(reverse("inspections:inspection_list"), {"export": "xlsx"}))
    expected = sorted(getattr(records, n).estate.name for n in SEES_INSPECTIONS[persona])
    assert sorted(r["小区"] for r in rows) == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_inspection_detail_is_found_only_inside_scope(world, login, records, persona):
    client = login(persona)
    for name in sorted(ALL):
        response = client.get(reverse("inspections:inspection_detail", args=[getattr(records, name).pk]))
        assert response.status_code == (200 if name in SEES_INSPECTIONS[persona] else 404), name


@pytest.mark.parametrize("persona", PERSONAS)
def test_scoring_form_only_for_who_may_edit_the_draft(world, login, records, persona):
    client = login(persona)
    for name in ("draft_a1", "draft_b1"):
        response = client.get(reverse("inspections:inspection_edit", args=[getattr(records, name).pk]))
        assert response.status_code == (200 if name in EDITS_DRAFTS.get(persona, set()) else 404), name


@pytest.mark.parametrize("persona", PERSONAS)
def test_start_inspection_page_only_for_who_may_inspect_the_estate(world, login, records, persona):
    response = login(persona).get(reverse("inspections:inspection_create", args=[world.estate_a1.pk]))
    assert response.status_code == (200 if persona in INSPECTS_A1 else 404)


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - INSPECTS_A1))
def test_outsiders_cannot_start_an_inspection_by_post(world, login, records, persona):
    before = records.rubric.inspections.count()
    response = login(persona).post(reverse("inspections:inspection_create", args=[world.estate_a1.pk]),
                                   {"kind": "regular", "date": TODAY.isoformat(), "inspectors": "x"})
    assert response.status_code == 404
    assert records.rubric.inspections.count() == before


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - {"city_admin", "street_staff", "community_clerk"}))
def test_outsiders_get_404_on_every_draft_write(world, login, records, persona):
    draft = records.draft_a1
    client = login(persona)
    for url_name, data in (("inspection_edit", {"kind": "regular"}), ("inspection_submit", {}),
                           ("inspection_photos", {"images": [png()]})):
        response = client.post(reverse(f"inspections:{url_name}", args=[draft.pk]), data)
        assert response.status_code == 404, url_name
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.kind == "random"


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - {"city_admin", "street_staff", "community_clerk"}))
def test_outsiders_cannot_correct_an_inspection(world, login, records, persona):
    response = login(persona).post(reverse("inspections:inspection_correct", args=[records.insp_a1.pk]),
                                   {"reason": "x"})
    assert response.status_code == 404
    assert not records.insp_a1.__class__.objects.filter(supersedes=records.insp_a1).exists()


def test_street_staff2_gets_404_on_shancheng_inspection_and_order(world, login, records):
    client = login("street_staff2")
    assert client.get(reverse("inspections:inspection_detail", args=[records.insp_a1.pk])).status_code == 404
    assert client.get(reverse("inspections:order_detail", args=[records.order_a1.pk])).status_code == 404


def test_photos_are_shown_only_on_pages_of_visible_inspections(world, login, records):
    from inspections.services.inspections import inspection_add_photos

    item = records.rubric.items.first()
    [photo] = inspection_add_photos(actor=world.users["street_staff"], inspection=records.draft_a1,
                                    images=[png()], item=item)
    ok = login("community_clerk").get(reverse("inspections:inspection_detail", args=[records.draft_a1.pk]))
    assert photo.get_absolute_url() in ok.content.decode()
    assert photo.image.url not in ok.content.decode()  # never the bare MEDIA address
    assert login("street_staff2").get(
        reverse("inspections:inspection_detail", args=[records.draft_a1.pk])).status_code == 404


# --- plan -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_progress_page_lists_only_the_personas_streets(world, login, records, persona):
    response = login(persona).get(reverse("inspections:progress"))
    assert response.status_code == 200
    streets = {s.street for s in response.context["streets"]}
    expected = {
        "city_admin": {"山城街道", "北庄街道", "紫荆山街道"}, "district_admin": {"山城街道", "北庄街道"},
        "district_staff": {"山城街道", "北庄街道"}, "district_admin_gc": {"紫荆山街道"},
        "street_staff": {"山城街道"}, "street_staff2": {"北庄街道"}, "community_clerk": {"山城街道"},
        "firm_user": {"山城街道"}, "firm_user2": {"北庄街道"},
    }[persona]
    assert streets == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_frequency_page_only_for_district_admins(world, login, records, persona):
    response = login(persona).get(reverse("inspections:frequencies"))
    assert response.status_code == (200 if persona in KEEPS_A_RUBRIC else 404)


# --- orders ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_order_list_shows_exactly_the_personas_orders(world, login, records, persona):
    response = login(persona).get(reverse("inspections:order_list"))
    assert response.status_code == 200
    assert {o.pk for o in response.context["object_list"]} == {
        getattr(records, n).pk for n in SEES_ORDERS[persona]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_order_export_contains_exactly_the_personas_orders(world, login, records, persona):
    rows = xlsx_rows(login(persona).get(reverse("inspections:order_list"), {"export": "xlsx"}))
    assert sorted(r["编号"] for r in rows) == sorted(getattr(records, n).number for n in SEES_ORDERS[persona])


@pytest.mark.parametrize("persona", PERSONAS)
def test_order_detail_is_found_only_inside_scope(world, login, records, persona):
    client = login(persona)
    for name in ("order_a1", "order_b1"):
        response = client.get(reverse("inspections:order_detail", args=[getattr(records, name).pk]))
        assert response.status_code == (200 if name in SEES_ORDERS[persona] else 404), name


@pytest.mark.parametrize("persona", PERSONAS)
def test_order_create_page_only_for_who_may_inspect(world, login, records, persona):
    client = login(persona)
    assert client.get(reverse("inspections:order_create")).status_code == (
        200 if persona in INSPECTS_ANYTHING else 404)
    response = client.get(reverse("inspections:order_create"), {"estate": world.estate_a1.pk,
                                                                 "inspection": records.insp_a1.pk})
    assert response.status_code == (200 if persona in INSPECTS_A1 else 404)


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - INSPECTS_A1))
def test_outsiders_cannot_issue_an_order_for_meihuayuan(world, login, records, persona):
    before = records.order_a1.__class__.objects.count()
    response = login(persona).post(reverse("inspections:order_create") + f"?estate={world.estate_a1.pk}",
                                   {"estate": world.estate_a1.pk, "problem": "x",
                                    "deadline": (TODAY + datetime.timedelta(days=3)).isoformat()})
    assert response.status_code == 404
    assert records.order_a1.__class__.objects.count() == before


@pytest.mark.parametrize("persona", ["firm_user2", "street_staff2", "district_admin_gc"])
def test_actions_on_an_invisible_order_are_404(world, login, records, persona):
    client = login(persona)
    for action in ("answer", "accept", "reject", "cancel"):
        response = client.post(reverse("inspections:order_action", args=[records.order_a1.pk, action]),
                               {"answer": "x", "cancel-reason": "x", "reject-reason": "x"})
        assert response.status_code == 404, action
    records.order_a1.refresh_from_db()
    assert records.order_a1.status == "issued"


def test_firm_user2_gets_404_on_firm_users_orders(world, login, records):
    client = login("firm_user2")
    assert client.get(reverse("inspections:order_detail", args=[records.order_a1.pk])).status_code == 404
    response = client.get(reverse("inspections:order_list"))
    assert records.order_a1.number not in response.content.decode()


@pytest.mark.parametrize("persona", ["district_admin", "district_staff", "firm_user", "community_clerk"])
def test_people_without_the_right_get_no_action_forms(world, login, records, persona):
    response = login(persona).get(reverse("inspections:order_detail", args=[records.order_a1.pk]))
    expected = {"firm_user": ["answer"], "community_clerk": ["cancel"]}.get(persona, [])
    assert response.context["actions"] == expected
