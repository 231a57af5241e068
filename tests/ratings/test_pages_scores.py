"""Score entry (the table of participating estates), the Excel import and template, disqualifications."""
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ratings.models import ComponentScore, Disqualification
from ratings.services.scores import COMPONENT_HEADERS
from tests.factories import EstateFactory

from ._pages import at, media, publish, rated  # noqa: F401 (fixtures)
from .conftest import accept

pytestmark = pytest.mark.django_db
ENTRY = reverse("ratings:score_entry")


@pytest.fixture
def scoring(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    accept(w, w.estate_a2, firm=w.firm1)
    accept(w, w.estate_b1)
    return w


def _scores():
    return sorted((c.estate.name, c.kind, c.score) for c in ComponentScore.objects.select_related("estate"))


def test_table_lists_the_participating_estates_in_scope(scoring, login):
    w = scoring
    accept(w, w.estate_c1, firm=w.firm1)
    response = login("street_staff").get(ENTRY, {"year": 2025, "quarter": 2})
    assert [r["estate"].name for r in response.context["rows"]] == ["梅花园", "锦绣花园"]
    response = login("district_admin").get(ENTRY, {"year": 2025, "quarter": 2})
    assert {r["estate"].name for r in response.context["rows"]} == {"梅花园", "锦绣花园", "北庄花园"}
    assert [r["estate"].name for r in login("street_staff").get(ENTRY, {"year": 2024, "quarter": 2})
            .context["rows"]] == []


def test_defaults_to_the_quarter_just_ended(scoring, login):
    with at(datetime.date(2025, 7, 3)):
        response = login("street_staff").get(ENTRY)
    assert (response.context["year"], response.context["quarter"]) == (2025, 2)


def test_saving_the_table_stores_the_changed_cells(scoring, login):
    w = scoring
    client = login("street_staff")
    response = client.post(ENTRY, {"year": 2025, "quarter": 1, f"opinion_{w.estate_a1.pk}": "88.5",
                                   f"satisfaction_{w.estate_a1.pk}": "90", f"opinion_{w.estate_a2.pk}": "",
                                   f"satisfaction_{w.estate_a2.pk}": "75.25"}, follow=True)
    assert "已保存 3 项得分" in response.content.decode()
    assert _scores() == [("梅花园", "opinion", Decimal("88.50")), ("梅花园", "satisfaction", Decimal("90.00")),
                         ("锦绣花园", "satisfaction", Decimal("75.25"))]
    # Unchanged cells are not sent again; the table shows what is saved.
    response = client.post(ENTRY, {"year": 2025, "quarter": 1, f"opinion_{w.estate_a1.pk}": "88.50",
                                   f"satisfaction_{w.estate_a1.pk}": "90"}, follow=True)
    assert "没有修改任何得分" in response.content.decode()
    cells = response.context["rows"][0]["cells"]
    assert [c["value"] for c in cells] == ["88.50", "90.00"]


def test_a_score_of_101_shows_the_message_and_saves_nothing(scoring, login):
    w = scoring
    response = login("street_staff").post(ENTRY, {
        "year": 2025, "quarter": 1, f"opinion_{w.estate_a1.pk}": "88", f"satisfaction_{w.estate_a1.pk}": "101",
        f"opinion_{w.estate_a2.pk}": "abc"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "未保存任何得分" in html
    assert "梅花园 · 第三方满意度：得分必须在 0 到 100 之间，收到 101。" in html
    assert "锦绣花园 · 业主及业委会意见：得分“abc”不是数字。" in html
    assert _scores() == []
    # The typed values stay in the table, the bad cells marked.
    cells = {c["name"]: c for r in response.context["rows"] for c in r["cells"]}
    assert cells[f"satisfaction_{w.estate_a1.pk}"]["value"] == "101"
    assert cells[f"satisfaction_{w.estate_a1.pk}"]["invalid"] and cells[f"opinion_{w.estate_a2.pk}"]["invalid"]
    assert not cells[f"opinion_{w.estate_a1.pk}"]["invalid"]


def test_clearing_a_saved_score_is_refused(scoring, login):
    w = scoring
    client = login("street_staff")
    client.post(ENTRY, {"year": 2025, "quarter": 1, f"opinion_{w.estate_a1.pk}": "80"})
    response = client.post(ENTRY, {"year": 2025, "quarter": 1, f"opinion_{w.estate_a1.pk}": "",
                                   f"satisfaction_{w.estate_a1.pk}": "70"})
    assert "不能清空" in response.content.decode()
    assert _scores() == [("梅花园", "opinion", Decimal("80.00"))]


def test_other_streets_estates_cannot_be_posted(scoring, login):
    w = scoring
    login("street_staff").post(ENTRY, {"year": 2025, "quarter": 1, f"opinion_{w.estate_b1.pk}": "60"})
    assert _scores() == []


def test_a_published_quarter_is_locked(rated, login):
    w = rated
    publish(w)
    response = login("street_staff").get(ENTRY, {"year": 2025, "quarter": 1})
    assert response.context["rows"][0]["locked"]
    assert "disabled" in response.content.decode()
    response = login("street_staff").post(ENTRY, {"year": 2025, "quarter": 1, f"opinion_{w.estate_a1.pk}": "10"})
    assert "已公布，不能再修改" in response.content.decode()
    assert ComponentScore.objects.get(estate=w.estate_a1, kind="opinion").score == Decimal("90.00")


def test_score_entry_query_count_does_not_grow(scoring, login, django_assert_max_num_queries):
    w = scoring
    for i in range(30):
        e = EstateFactory(community=w.meiyuan, name=f"参评小区{i:02d}")
        accept(w, e, firm=w.firm1)
    client = login("street_staff")
    # Session, user, roles, keeper check, estates, scores, published periods, notifications, session save
    # (3). One query per estate would add 32.
    with django_assert_max_num_queries(11):
        response = client.get(ENTRY, {"year": 2025, "quarter": 1})
    assert len(response.context["rows"]) == 32


def _xlsx(rows, headers=COMPONENT_HEADERS):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("scores.xlsx", buf.getvalue())


def test_template_has_the_import_headers_and_the_estates(scoring, login):
    response = login("street_staff").get(reverse("ratings:score_template"), {"year": 2025, "quarter": 1})
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == COMPONENT_HEADERS
    assert [r[:3] for r in rows[1:]] == [("山城街道", "梅园社区", "梅花园"), ("山城街道", "紫薇社区", "锦绣花园")]


def test_import_through_the_page(scoring, login):
    client = login("street_staff")
    url = reverse("ratings:score_import")
    bad = client.post(url, {"year": 2025, "quarter": 1, "file": _xlsx([
        ["山城街道", "梅园社区", "梅花园", 90, 88], ["山城街道", "紫薇社区", "锦绣花园", 120, 80],
        ["北庄街道", "北庄社区", "北庄花园", 80, 80]])})
    html = bad.content.decode()
    assert "未导入" in html and "第 3 行" in html and "第 4 行" in html
    assert _scores() == []
    good = client.post(url, {"year": 2025, "quarter": 1, "file": _xlsx([["山城街道", "梅园社区", "梅花园", 90, 88]])},
                       follow=True)
    assert "已导入 2 项得分" in good.content.decode()
    assert _scores() == [("梅花园", "opinion", Decimal("90.00")), ("梅花园", "satisfaction", Decimal("88.00"))]
    headers = client.post(url, {"year": 2025, "quarter": 1, "file": _xlsx([], headers=["小区", "分"])})
    assert "表头应为" in headers.content.decode()


def test_disqualification_form_and_list(scoring, login):
    w = scoring
    client = login("street_staff")
    url = reverse("ratings:disqualification_create")
    form = client.get(url).context["form"]
    assert {e.name for e in form.fields["estate"].queryset} == {"梅花园", "锦绣花园"}
    assert "破坏房屋承重结构" in dict(form.fields["reason"].choices)
    missing = client.post(url, {"estate": w.estate_a1.pk, "year": 2025, "quarter": 1,
                                "reason": "破坏房屋承重结构", "occurred_on": "2025-02-01", "evidence": ""})
    assert missing.context["form"].errors["evidence"]
    response = client.post(url, {"estate": w.estate_a1.pk, "year": 2025, "quarter": 1,
                                 "reason": "破坏房屋承重结构", "occurred_on": "2025-02-01",
                                 "evidence": "3 号楼 2 单元拆除承重墙"}, follow=True)
    assert "取消参评资格" in response.content.decode()
    assert Disqualification.objects.get().estate == w.estate_a1
    listing = client.get(reverse("ratings:disqualification_list")).content.decode()
    assert "3 号楼 2 单元拆除承重墙" in listing
    assert "3 号楼" not in login("street_staff2").get(reverse("ratings:disqualification_list")).content.decode()
    other = login("street_staff").post(url, {"estate": w.estate_b1.pk, "year": 2025, "quarter": 1, "reason": "破坏房屋承重结构",
                              "occurred_on": "2025-02-01", "evidence": "x"})
    assert other.context["form"].errors["estate"]
    assert Disqualification.objects.count() == 1
