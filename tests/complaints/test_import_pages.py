"""The 12345 import pages: upload → check and preview → confirm → result; mappings; who sees what."""
import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import Complaint, ImportMapping, ImportRun, ImportStatus
from complaints.services.imports import execute as svc_execute
from complaints.services.imports import import_run_upload, mapping_ensure_default

from .test_import import HEADERS, row, xlsx

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=TZ)


@pytest.fixture
def run(world, mapping):
    """A checked run of 山城街道, waiting for confirmation."""
    return import_run_upload(actor=world.users["street_staff"], street=world.shancheng, mapping=mapping,
                             uploaded_file=xlsx([row("W1"), row("W2", address="建设路与文化路交叉口")]), now=NOW)


def test_street_staff_uploads_previews_confirms_and_sees_the_result(world, login, mapping):
    client = login("street_staff")
    page = client.get(reverse("complaints:import_upload"))
    assert page.status_code == 200
    assert "上传并检查" in page.content.decode()
    response = client.post(reverse("complaints:import_upload"), {
        "street": world.shancheng.pk, "mapping": mapping.pk,
        "file": xlsx([row("X1"), row("X2", address="建设路与文化路交叉口"), row("X3")])})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("complaints:import_detail", args=[run.pk])
    body = client.get(response.url).content.decode()
    assert "文件检查通过" in body and "确认导入" in body
    assert "X1" in body and "梅花园" in body and "待分拣" in body  # the preview, as mapped
    assert not Complaint.objects.exists()

    response = client.post(reverse("complaints:import_confirm", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.created_count, run.triage_count) == (ImportStatus.DONE, 3, 1)
    body = client.get(reverse("complaints:import_detail", args=[run.pk])).content.decode()
    assert "导入完成" in body and 'data-testid="created-count">3<' in body
    assert "建设路与文化路交叉口" in body  # the triage row is listed
    assert reverse("complaints:triage") in body
    assert f'{reverse("complaints:list")}?import_run={run.pk}' in body  # the list of this run's orders
    assert run.original_name in client.get(reverse("complaints:import_list")).content.decode()


def test_district_admin_chooses_the_street(world, login, mapping):
    client = login("district_admin")
    body = client.get(reverse("complaints:import_upload")).content.decode()
    assert "北庄街道" in body and "山城街道" in body and "紫荆山街道" not in body
    client.post(reverse("complaints:import_upload"), {"street": world.beizhuang.pk, "mapping": mapping.pk,
                                                       "file": xlsx([row("Y1", address="某路1号")])})
    assert ImportRun.objects.get().street == world.beizhuang
    # a street of another district is not a choice
    response = client.post(reverse("complaints:import_upload"), {"street": world.zijingshan.pk,
                                                                  "mapping": mapping.pk, "file": xlsx([row("Y2")])})
    assert response.status_code == 200 and ImportRun.objects.count() == 1


def test_bad_rows_are_listed_on_the_result_page(world, login, mapping):
    client = login("street_staff")
    rows = [row(f"Z{i}") for i in range(5)]
    rows[3][1] = "2026-02-30 10:00"
    response = client.post(reverse("complaints:import_upload"), {
        "street": world.shancheng.pk, "mapping": mapping.pk, "file": xlsx(rows)}, follow=True)
    body = response.content.decode()
    assert "未导入任何工单" in body
    assert "第 5 行：受理时间“2026-02-30 10:00”不是有效日期" in body
    assert "确认导入" not in body
    assert not Complaint.objects.exists()


def test_wrong_file_type_is_refused_on_the_form(world, login, mapping):
    client = login("street_staff")
    png = SimpleUploadedFile("工单.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    response = client.post(reverse("complaints:import_upload"), {
        "street": world.shancheng.pk, "mapping": mapping.pk, "file": png})
    assert response.status_code == 200
    assert "不是 Excel（.xlsx）表格" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_missing_column_is_named_on_the_form(world, login, mapping):
    client = login("street_staff")
    headers = [h if h != "受理时间" else "来电时间" for h in HEADERS]
    response = client.post(reverse("complaints:import_upload"), {
        "street": world.shancheng.pk, "mapping": mapping.pk, "file": xlsx([row("AA1")], headers=headers)})
    assert "文件缺少列映射要求的列：“受理时间”" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_progress_bar_polls_while_queued_then_reloads(world, login, run):
    client = login("street_staff")
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, processed_rows=1)
    body = client.get(reverse("complaints:import_detail", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in body and reverse("complaints:import_progress", args=[run.pk]) in body
    part = client.get(reverse("complaints:import_progress", args=[run.pk]))
    assert part.status_code == 200
    assert "已处理 1 / 2 行" in part.content.decode() and "50%" in part.content.decode()
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.DONE)
    done = client.get(reverse("complaints:import_progress", args=[run.pk]))
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_big_file_confirm_queues_it(world, login, run, monkeypatch):
    monkeypatch.setattr(svc_execute, "INLINE_MAX_ROWS", 1)
    client = login("street_staff")
    response = client.post(reverse("complaints:import_confirm", args=[run.pk]), follow=True)
    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED
    assert "已转入后台导入" in response.content.decode() and "import-progress" in response.content.decode()


@pytest.mark.parametrize("persona", ["street_staff2", "district_admin_gc", "community_clerk", "firm_user"])
def test_a_run_outside_ones_scope_is_not_found(world, login, run, persona):
    client = login(persona)
    for name in ("complaints:import_detail", "complaints:import_progress"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404
    assert client.post(reverse("complaints:import_confirm", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == ImportStatus.UPLOADED


@pytest.mark.parametrize("persona", ["firm_user", "firm_user2", "community_clerk"])
def test_firms_and_communities_get_404_on_every_import_page(world, login, mapping, persona):
    client = login(persona)
    for url in (reverse("complaints:import_list"), reverse("complaints:import_upload"),
                reverse("complaints:import_sample"), reverse("complaints:mapping_list"),
                reverse("complaints:mapping_create"), reverse("complaints:mapping_detail", args=[mapping.pk]),
                reverse("complaints:mapping_edit", args=[mapping.pk])):
        assert client.get(url).status_code == 404, url


def test_anonymous_is_sent_to_login(client, world, run):
    response = client.get(reverse("complaints:import_detail", args=[run.pk]))
    assert response.status_code == 302 and "login" in response.url


def test_district_staff_reads_runs_but_cannot_upload_or_confirm(world, login, run):
    client = login("district_staff")
    assert client.get(reverse("complaints:import_detail", args=[run.pk])).status_code == 200
    assert "确认导入" not in client.get(reverse("complaints:import_detail", args=[run.pk])).content.decode()
    assert client.get(reverse("complaints:import_upload")).status_code == 404
    assert client.post(reverse("complaints:import_confirm", args=[run.pk])).status_code == 404


def test_list_shows_only_runs_in_scope(world, login, run, mapping):
    other = import_run_upload(actor=world.users["street_staff2"], street=world.beizhuang, mapping=mapping,
                              uploaded_file=xlsx([row("AB1")], name="北庄.xlsx"), now=NOW)
    body = login("street_staff").get(reverse("complaints:import_list")).content.decode()
    assert reverse("complaints:import_detail", args=[run.pk]) in body
    assert reverse("complaints:import_detail", args=[other.pk]) not in body


def test_sample_file_downloads_for_the_users_estates(world, login):
    response = login("street_staff").get(reverse("complaints:import_sample"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_street_staff_reads_mappings_but_cannot_edit(world, login, mapping):
    client = login("street_staff")
    body = client.get(reverse("complaints:mapping_list")).content.decode()
    assert mapping.name in body and reverse("complaints:mapping_edit", args=[mapping.pk]) not in body
    detail = client.get(reverse("complaints:mapping_detail", args=[mapping.pk])).content.decode()
    assert "工单编号" in detail and "030601=环境卫生" in detail
    assert client.get(reverse("complaints:mapping_edit", args=[mapping.pk])).status_code == 404
    assert client.get(reverse("complaints:mapping_create")).status_code == 404
    other = mapping_ensure_default(district=world.guancheng)
    assert client.get(reverse("complaints:mapping_detail", args=[other.pk])).status_code == 404


def _form_data(mapping, **changes):
    from complaints.forms_import import MappingForm

    data = {k: v for k, v in MappingForm.initial_from(mapping).items()}
    data["active"] = "on" if data.pop("active") else ""
    data.update(changes)
    return data


def test_district_admin_edits_a_mapping_with_one_line_per_code(world, login, mapping):
    client = login("district_admin")
    data = _form_data(mapping, col_received_at="来电时间", category_codes="0306=其他\n030601=sanitation\n9901=环境卫生",
                      date_formats="%Y-%m-%d %H:%M:%S\n%Y年%m月%d日 %H:%M")
    response = client.post(reverse("complaints:mapping_edit", args=[mapping.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    mapping.refresh_from_db()
    assert mapping.columns["received_at"] == "来电时间"
    assert mapping.category_codes == {"0306": "other", "030601": "sanitation", "9901": "sanitation"}
    assert mapping.date_formats == ["%Y-%m-%d %H:%M:%S", "%Y年%m月%d日 %H:%M"]


def test_mapping_form_errors_are_clear(world, login, mapping):
    client = login("district_admin")
    data = _form_data(mapping, col_address="", category_codes="030601\n0307=不存在的类别", date_formats="%d")
    response = client.post(reverse("complaints:mapping_edit", args=[mapping.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "请填写“诉求地址”在文件中的列名。" in body
    assert "第 1 行“030601”应写成“左=右”。" in body
    assert "第 2 行：“不存在的类别”不是有效的投诉类别。" in body
    mapping.refresh_from_db()
    assert mapping.columns["address"] == "诉求地址"


def test_district_admin_creates_a_mapping_from_the_standard_one(world, login, mapping):
    client = login("district_admin")
    page = client.get(reverse("complaints:mapping_create")).content.decode()
    assert "工单编号" in page  # prefilled from the district's standard mapping
    data = _form_data(mapping, name="某市热线精简导出", col_title="", col_urgency="")
    response = client.post(reverse("complaints:mapping_create"), data)
    created = ImportMapping.objects.get(name="某市热线精简导出")
    assert response.status_code == 302 and created.district == world.shanting
    assert "title" not in created.columns and "urgency" not in created.columns
    # the same name twice is refused
    response = client.post(reverse("complaints:mapping_create"), data)
    assert "本区已有名为“某市热线精简导出”的列映射。" in response.content.decode()


def test_run_page_query_count_does_not_grow_with_rows(world, login, mapping, django_assert_max_num_queries):
    client = login("street_staff")
    run = import_run_upload(actor=world.users["street_staff"], street=world.shancheng, mapping=mapping,
                            uploaded_file=xlsx([row(f"AC{i}", address="某路1号") for i in range(40)]), now=NOW)
    client.post(reverse("complaints:import_confirm", args=[run.pk]))
    with django_assert_max_num_queries(20):
        assert client.get(reverse("complaints:import_detail", args=[run.pk])).status_code == 200
