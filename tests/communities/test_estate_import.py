"""Excel import: the template, all-or-nothing, every bad row with its line number, file-level refusals."""
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communities.models import Estate
from communities.services.estates import estate_import

pytestmark = pytest.mark.django_db

IMPORT = reverse("communities:estate_import")
TEMPLATE = reverse("communities:estate_import_template")
HEADERS = ["街道", "社区", "小区名称", "地址", "建成年份", "总建筑面积（㎡）", "楼栋数", "户数", "有电梯", "小区类型",
           "物业管理性质", "类别", "纳入老旧小区改造", "改造达标", "服务内容", "物业负责人", "联系电话", "备注"]


def row(**values):
    base = {"街道": "山城街道", "社区": "梅园社区", "小区名称": "新建小区", "建成年份": 2003,
            "总建筑面积（㎡）": 12000.5, "物业管理性质": "市场化物业服务企业", "类别": "二类", "小区类型": "老旧小区"}
    base.update(values)
    return base


def xlsx(rows, headers=HEADERS, name="小区.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def upload(client, file):
    return client.post(IMPORT, {"file": file})


def test_template_has_chinese_headers_an_example_row_and_the_allowed_values(world, login):
    response = login("street_staff").get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    data, allowed = wb.worksheets
    rows = list(data.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 2 and rows[1][2]  # one example row with a name
    values = {c for r in allowed.iter_rows(min_row=2, values_only=True) for c in r if c}
    assert {"市场化物业服务企业", "无人管理", "一类", "三类", "老旧小区", "拆迁安置小区", "是", "否"} <= values


def test_the_filled_in_template_imports(world, login):
    client = login("street_staff")
    wb = openpyxl.load_workbook(io.BytesIO(client.get(TEMPLATE).content))
    buf = io.BytesIO()
    wb.save(buf)
    response = upload(client, SimpleUploadedFile("template.xlsx", buf.getvalue()))
    assert response.status_code == 302
    assert Estate.objects.filter(community=world.meiyuan, name="幸福家园").exists()


def test_good_rows_are_all_created_and_the_count_is_reported(world, login):
    client = login("street_staff")
    response = upload(client, xlsx([
        row(小区名称="甲小区"),
        row(小区名称="乙小区", 社区="紫薇社区", 街道=None, 类别="三类", 物业管理性质="无人管理", 有电梯="是",
            纳入老旧小区改造="是", 改造达标="是", 联系电话=13800001111),
    ]))
    assert response.status_code == 302
    assert response.url == reverse("communities:estate_list")
    assert "已导入 2 个小区" in client.get(response.url).content.decode()
    a = Estate.objects.get(name="甲小区")
    b = Estate.objects.get(name="乙小区")
    assert (a.community, a.category, a.management_mode, a.estate_type) == (world.meiyuan, 2, "market", "old")
    assert str(a.total_area) == "12000.50"
    assert (b.community, b.category, b.management_mode) == (world.ziwei, 3, "none")
    assert b.has_lift and b.in_renovation_programme and b.renovation_accepted
    assert b.contact_phone == "13800001111"
    record = a.history.get()
    assert record.history_user == world.users["street_staff"]
    assert record.history_change_reason == "Excel 导入"


def test_one_bad_row_among_good_ones_imports_nothing_and_names_the_line(world, login):
    client = login("street_staff")
    response = upload(client, xlsx([row(小区名称="好一"), row(小区名称="好二"), row(小区名称="坏三", **{"总建筑面积（㎡）": 0}),
                                    row(小区名称="好四")]))
    assert response.status_code == 200
    assert not Estate.objects.filter(name__in=["好一", "好二", "坏三", "好四"]).exists()
    errors = response.context["result"].errors
    assert [e.line for e in errors] == [4]
    html = response.content.decode()
    assert "第 4 行" in html
    assert "总建筑面积必须大于 0" in html
    assert "未导入任何数据" in html


def test_every_bad_row_is_listed_with_all_its_reasons(world, login):
    rows = [
        row(小区名称="越权小区", 街道="北庄街道", 社区="北庄社区"),              # line 2: other street
        row(小区名称="年份错", 建成年份="二〇〇三"),                           # line 3: not a number
        row(小区名称="未来小区", 建成年份=2999, 类别="四类"),                    # line 4: two problems
        row(小区名称="性质错", 物业管理性质="物业公司"),                        # line 5: unknown label
        row(小区名称="梅花园"),                                                # line 6: exists in the DB
        row(小区名称="重复小区"),                                              # line 7
        row(小区名称="重复小区"),                                              # line 8: repeats line 7
        row(小区名称="改造错", 改造达标="是"),                                  # line 9: accepted w/o programme
        row(小区名称=None),                                                    # line 10: no name
        row(小区名称="不存在社区", 社区="火星社区"),                            # line 11
    ]
    response = upload(login("street_staff"), xlsx(rows))
    assert response.status_code == 200
    errors = {e.line: " ".join(e.reasons) for e in response.context["result"].errors}
    assert sorted(errors) == [2, 3, 4, 5, 6, 8, 9, 10, 11]
    assert "不在您的管辖范围内" in errors[2]
    assert "不是整数" in errors[3]
    assert "建成年份不能晚于今年" in errors[4] and "类别“四类”无效" in errors[4]
    assert "物业管理性质“物业公司”无效" in errors[5]
    assert "已有名为“梅花园”的小区" in errors[6]
    assert "与第 7 行重复" in errors[8]
    assert "只有纳入老旧小区改造的小区才能标记为改造达标" in errors[9]
    assert "小区名称不能为空" in errors[10]
    assert "火星社区" in errors[11]
    assert Estate.objects.count() == 4


def test_district_admin_imports_into_any_street_of_the_district(world, login):
    response = upload(login("district_admin"), xlsx([row(街道="北庄街道", 社区="北庄社区", 小区名称="北庄新苑")]))
    assert response.status_code == 302
    assert Estate.objects.get(name="北庄新苑").community == world.beizhuang_c


def test_a_community_name_shared_by_two_streets_needs_the_street(world, login):
    from tests.factories import CommunityFactory

    CommunityFactory(street=world.beizhuang, name="梅园社区")
    client = login("district_admin")
    response = upload(client, xlsx([row(街道=None, 小区名称="模糊小区")]))
    assert "请填写街道" in response.content.decode()
    response = upload(client, xlsx([row(街道="北庄街道", 小区名称="明确小区")]))
    assert response.status_code == 302
    assert Estate.objects.get(name="明确小区").community.street == world.beizhuang


def test_missing_and_unknown_headers_are_named(world, login):
    headers = [h for h in HEADERS if h not in ("建成年份", "总建筑面积（㎡）")] + ["面积"]
    response = upload(login("street_staff"), xlsx([row()], headers=headers))
    assert response.status_code == 200
    html = response.content.decode()
    assert "缺少必填列：建成年份、总建筑面积（㎡）" in html
    assert "无法识别的列：面积" in html
    assert Estate.objects.count() == 4


def test_optional_columns_may_be_left_out(world, login):
    response = upload(login("street_staff"), xlsx([row(小区名称="精简小区")],
                                                  headers=["社区", "小区名称", "建成年份", "总建筑面积（㎡）"]))
    assert response.status_code == 302
    estate = Estate.objects.get(name="精简小区")
    assert (estate.management_mode, estate.category, estate.estate_type) == ("none", 1, "commercial")


def test_a_file_that_is_not_xlsx_is_refused(world, login):
    response = upload(login("street_staff"), SimpleUploadedFile("小区.csv", "社区,小区名称\n梅园社区,甲\n".encode()))
    assert response.status_code == 200
    assert "只能导入 Excel .xlsx 文件" in response.content.decode()
    assert Estate.objects.count() == 4


def test_a_non_excel_file_renamed_to_xlsx_is_refused(world, login):
    response = upload(login("street_staff"), SimpleUploadedFile("伪装.xlsx", b"%PDF-1.4 not a spreadsheet"))
    assert response.status_code == 200
    assert "不是有效的 Excel .xlsx 文件" in response.content.decode()
    assert Estate.objects.count() == 4


def test_a_file_larger_than_the_limit_is_refused(world, login, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(login("street_staff"), xlsx([row()]))
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    assert Estate.objects.count() == 4


def test_a_file_with_only_headers_is_refused(world, login):
    response = upload(login("street_staff"), xlsx([]))
    assert "文件里没有数据行" in response.content.decode()


def test_too_many_rows_are_refused(world, login, settings):
    settings.IMPORT_MAX_ROWS = 2
    response = upload(login("street_staff"), xlsx([row(小区名称=f"行{i}") for i in range(3)]))
    assert "一次最多导入 2 行" in response.content.decode()
    assert Estate.objects.count() == 4


def test_no_file_chosen_is_a_clear_error(world, login):
    response = login("street_staff").post(IMPORT, {})
    assert "请选择要导入的文件" in response.content.decode()


def test_community_clerk_cannot_post_an_import(world, login):
    response = upload(login("community_clerk"), xlsx([row(社区="梅园社区")]))
    assert response.status_code == 404
    assert Estate.objects.count() == 4


def test_import_service_refuses_rows_outside_the_actors_scope(world):
    result = estate_import(actor=world.users["street_staff2"], file=xlsx([row()]))
    assert not result.ok and result.created == 0
    assert result.errors[0].line == 2


@pytest.mark.parametrize("persona, street, community", [
    ("street_staff", "山城街道", "梅园社区"),
    ("street_staff2", "北庄街道", "北庄社区"),
    ("district_admin_gc", "紫荆山街道", "紫东社区"),
])
def test_template_example_names_only_places_of_the_users_own_scope(world, login, persona, street, community):
    wb = openpyxl.load_workbook(io.BytesIO(login(persona).get(TEMPLATE).content))
    example = list(wb.worksheets[0].iter_rows(values_only=True))[1]
    assert tuple(example[:2]) == (street, community)
