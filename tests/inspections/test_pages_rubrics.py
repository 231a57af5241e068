"""The rubric through the pages: a new draft, the editable table, 99 points refused, versions, Excel."""
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inspections.models import Rubric, RubricStatus
from inspections.services.rubrics import rubric_create

from .test_pages_permissions import submitted, xlsx_rows

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def table(rows):
    """The edit table as posted: parallel lists per column."""
    return {
        "name": "测试细则",
        "category": [r[0] for r in rows], "title": [r[1] for r in rows],
        "max_points": [r[2] for r in rows], "deduction_rule": [r[3] if len(r) > 3 else "" for r in rows],
    }


@pytest.fixture
def draft(world):
    return rubric_create(actor=world.users["district_admin"], district=world.shanting, year=YEAR + 1)


def xlsx(rows, headers=("类别", "检查项目", "分值", "扣分标准")):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("rubric.xlsx", buf.getvalue())


def test_creating_a_draft_fills_the_default_items_and_opens_the_table(world, login):
    client = login("district_admin")
    response = client.post(reverse("inspections:rubric_create"), {"district": world.shanting.pk, "year": YEAR + 1})
    rubric = Rubric.objects.get(district=world.shanting, year=YEAR + 1)
    assert response["Location"] == reverse("inspections:rubric_edit", args=[rubric.pk])
    assert rubric.status == RubricStatus.DRAFT and rubric.items.count() == 28  # the default rubric
    page = client.get(response["Location"])
    assert len(page.context["rows"]) == rubric.items.count()
    assert 'name="max_points"' in page.content.decode()


def test_district_admin_cannot_create_a_rubric_for_another_district(world, login):
    response = login("district_admin").post(reverse("inspections:rubric_create"),
                                            {"district": world.guancheng.pk, "year": YEAR})
    assert response.status_code == 200 and "district" in response.context["form"].errors
    assert not Rubric.objects.filter(district=world.guancheng).exists()


def test_saving_the_table_replaces_the_items_with_category_subtotals(world, draft, login):
    client = login("district_admin")
    rows = [("基础管理", "合同备案", "60", "未备案扣 10 分"), ("基础管理", "人员持证", "20"),
            ("", "", "", ""),  # a blank row is ignored
            ("党建工作", "党组织覆盖", "20")]
    response = client.post(reverse("inspections:rubric_edit", args=[draft.pk]), table(rows), follow=True)
    assert "合计 100 分，可以启用" in response.content.decode()
    draft.refresh_from_db()
    assert draft.name == "测试细则"
    assert [(i.category.name, i.code, i.title, i.max_points) for i in draft.items.order_by("order")] == [
        ("基础管理", "1.1", "合同备案", Decimal("60.0")), ("基础管理", "1.2", "人员持证", Decimal("20.0")),
        ("党建工作", "2.1", "党组织覆盖", Decimal("20.0"))]
    blocks = response.context["blocks"]
    assert [(b.name, b.max_points) for b in blocks] == [("基础管理", Decimal("80.0")), ("党建工作", Decimal("20.0"))]
    assert response.context["total"] == Decimal("100.0")


def test_bad_rows_are_listed_with_their_numbers_and_nothing_changes(world, draft, login):
    before = draft.items.count()
    rows = [("基础管理", "合同备案", "abc"), ("基础管理", "", "10"), ("党建工作", "党组织", "0.3")]
    response = login("district_admin").post(reverse("inspections:rubric_edit", args=[draft.pk]), table(rows))
    assert response.status_code == 200
    assert response.context["errors"] == ["第 1 项：分值“abc”不是数字。"]
    rows[0] = ("基础管理", "合同备案", "10")
    response = login("district_admin").post(reverse("inspections:rubric_edit", args=[draft.pk]), table(rows))
    assert response.context["errors"] == ["第 2 项：检查项目不能为空。", "第 3 项：分值须为 0.5 的整数倍。"]
    html = response.content.decode()
    assert 'value="0.3"' in html  # the table comes back as typed
    assert draft.items.count() == before


def test_a_99_point_rubric_is_saved_but_refused_at_activation_with_the_message(world, draft, login):
    client = login("district_admin")
    response = client.post(reverse("inspections:rubric_edit", args=[draft.pk]),
                           table([("基础管理", "合同备案", "79"), ("党建工作", "党组织", "20")]), follow=True)
    assert "当前合计 99 分" in response.content.decode()
    response = client.post(reverse("inspections:rubric_activate", args=[draft.pk]), follow=True)
    assert "各项分值合计为 99 分，必须正好为 100 分才能启用。" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == RubricStatus.DRAFT


def test_activating_100_points_retires_the_years_active_version(world, rubric, login):
    client = login("district_admin")
    response = client.post(reverse("inspections:rubric_new_version", args=[rubric.pk]))
    new = Rubric.objects.get(based_on=rubric)
    assert response["Location"] == reverse("inspections:rubric_edit", args=[new.pk])
    response = client.post(reverse("inspections:rubric_activate", args=[new.pk]), follow=True)
    assert "已启用" in response.content.decode()
    rubric.refresh_from_db()
    new.refresh_from_db()
    assert (rubric.status, new.status) == (RubricStatus.RETIRED, RubricStatus.ACTIVE)


def test_an_active_or_used_version_opens_read_only_and_offers_a_new_version(world, rubric, login):
    submitted(world, world.estate_a1)
    client = login("district_admin")
    response = client.get(reverse("inspections:rubric_edit", args=[rubric.pk]), follow=True)
    assert "不能直接修改" in response.content.decode()
    html = client.get(reverse("inspections:rubric_detail", args=[rubric.pk])).content.decode()
    assert "基于此版本新建" in html and "编辑项目" not in html
    count = rubric.items.count()
    client.post(reverse("inspections:rubric_edit", args=[rubric.pk]), table([("a", "b", "100")]))
    assert rubric.items.count() == count


def test_export_has_the_four_headers_and_every_item(world, rubric, login):
    rows = xlsx_rows(login("firm_user").get(reverse("inspections:rubric_export", args=[rubric.pk])))
    assert list(rows[0]) == ["类别", "检查项目", "分值", "扣分标准"]
    assert len(rows) == rubric.items.count()
    assert sum(Decimal(str(r["分值"])) for r in rows) == Decimal("100")
    first = rubric.items.order_by("category__order", "order").first()
    assert (rows[0]["类别"], rows[0]["检查项目"]) == (first.category.name, first.title)


def test_export_then_import_makes_an_identical_new_draft(world, rubric, login):
    client = login("district_admin")
    exported = client.get(reverse("inspections:rubric_export", args=[rubric.pk]))
    upload = SimpleUploadedFile("x.xlsx", exported.content)
    response = client.post(reverse("inspections:rubric_import"),
                           {"district": world.shanting.pk, "year": YEAR, "name": "导入版", "file": upload})
    new = Rubric.objects.get(name="导入版")
    assert response["Location"] == reverse("inspections:rubric_detail", args=[new.pk])
    assert new.status == RubricStatus.DRAFT and new.version == rubric.version + 1

    def items(r):
        return [(i.category.name, i.title, i.max_points, i.deduction_rule)
                for i in r.items.select_related("category").order_by("category__order", "order")]

    assert items(new) == items(rubric)


def test_import_lists_every_bad_row_and_creates_nothing(world, login):
    upload = xlsx([("基础管理", "合同", "十"), ("基础管理", "人员", 10), ("环境", "清扫", "x")])
    response = login("district_admin").post(reverse("inspections:rubric_import"),
                                            {"district": world.shanting.pk, "year": YEAR, "file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "第 2 行：分值“十”不是数字。" in html and "第 4 行：分值“x”不是数字。" in html
    assert not Rubric.objects.exists()


def test_import_with_wrong_headers_or_not_excel_is_explained(world, login):
    client = login("district_admin")
    response = client.post(reverse("inspections:rubric_import"), {
        "district": world.shanting.pk, "year": YEAR, "file": xlsx([("a", "b", 1)], headers=("名称", "分数"))})
    assert "表头应为：类别、检查项目、分值、扣分标准" in response.content.decode()
    response = client.post(reverse("inspections:rubric_import"), {
        "district": world.shanting.pk, "year": YEAR, "file": SimpleUploadedFile("x.xlsx", b"not a zip")})
    assert "文件不是有效的 Excel" in response.content.decode()
    response = client.post(reverse("inspections:rubric_import"), {
        "district": world.shanting.pk, "year": YEAR, "file": SimpleUploadedFile("x.csv", b"a,b")})
    assert "请上传 .xlsx 格式" in response.content.decode()
    assert not Rubric.objects.exists()


def test_rubric_list_filters_by_status_and_shows_totals(world, rubric, draft, login):
    response = login("district_staff").get(reverse("inspections:rubric_list"), {"status": "draft"})
    assert [r.pk for r in response.context["object_list"]] == [draft.pk]
    assert response.context["object_list"][0].total_points == Decimal("100")
