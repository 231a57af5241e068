"""The 12345 import (services): the whole-file check, all or nothing, idempotence, triage, the task path.

Files are built here row by row (the default mapping's headers); people's names come from Faker zh_CN.
"""
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from faker import Faker

from accounts.excel import build_workbook
from complaints import imports as reader
from complaints.models import (
    Action,
    Category,
    Complaint,
    EstateAlias,
    ImportMapping,
    ImportRun,
    ImportStatus,
    MatterType,
    Status,
    TimeLimitPolicy,
    Urgency,
)
from complaints.services.imports import common as svc_common
from complaints.services.imports import execute as svc_execute
from complaints.services.imports import (
    import_run_confirm,
    import_run_execute,
    import_run_preview,
    import_run_upload,
    mapping_ensure_default,
    mapping_update,
)
from ops.models import OutboxMessage

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=TZ)
HEADERS = ["工单编号", "受理时间", "诉求类型", "诉求分类编码", "紧急程度", "标题", "诉求内容", "诉求地址", "来电人", "联系电话"]
fake = Faker("zh_CN")
fake.seed_instance(11)


def row(no, *, at="2026-11-30 10:00:00", matter="投诉", code="030601", urgency="一般", title="楼道垃圾无人清理",
        content="3号楼楼道垃圾堆放多日无人清理，气味很大。", address="山亭区山城街道梅花园小区3号楼2单元",
        name=None, phone="13800001111"):
    return [no, at, matter, code, urgency, title, content, address, name or fake.name(), phone]


def xlsx(rows, headers=HEADERS, name="12345工单.xlsx"):
    return SimpleUploadedFile(name, build_workbook(headers, rows))


def csv_file(rows, headers=HEADERS, encoding="gb18030", name="12345工单.csv"):
    buf = io.StringIO()
    import csv

    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return SimpleUploadedFile(name, buf.getvalue().encode(encoding))


@pytest.fixture
def upload(world, mapping):
    def _upload(file, persona="street_staff", street=None, at=NOW):
        return import_run_upload(actor=world.users[persona], street=street or world.shancheng, mapping=mapping,
                                 uploaded_file=file, now=at)
    return _upload


def test_default_mapping_reads_the_typical_export(world):
    m = mapping_ensure_default(district=world.shanting)
    assert m.name == "12345 热线标准导出"
    assert m.columns["external_no"] == "工单编号" and m.columns["address"] == "诉求地址"
    assert m.category_codes["030601"] == "sanitation" and m.category_codes["0306"] == "other"
    assert mapping_ensure_default(district=world.shanting) == m  # once per district
    assert ImportMapping.objects.filter(district=world.shanting).count() == 1


def test_import_lands_rows_on_estate_firm_and_policy_or_in_triage(world, upload):
    f = xlsx([row("A1", code="030603", urgency="紧急", matter="求助"),
              row("A2", address="山亭区北庄街道北庄花园5号楼"),
              row("A3", address="山亭区建设路与文化路交叉口东侧"),
              row("A4", address="管城回族区紫荆山街道紫荆小区3号楼", code="")])
    run = upload(f)
    assert run.status == ImportStatus.UPLOADED
    assert (run.total_rows, run.duplicate_count, run.triage_count) == (4, 0, 2)
    assert not Complaint.objects.exists()  # the upload only checks

    run = import_run_confirm(actor=world.users["street_staff"], run=run, now=NOW)
    assert run.status == ImportStatus.DONE
    assert (run.created_count, run.duplicate_count, run.triage_count, run.processed_rows) == (4, 0, 2, 4)

    a1 = Complaint.objects.get(external_no="A1")
    assert (a1.estate, a1.street, a1.firm, a1.match_score) == (world.estate_a1, world.shancheng, world.firm1, 100)
    assert (a1.status, a1.source, a1.import_run, a1.created_by) == (
        Status.RECEIVED, "hotline", run, world.users["street_staff"])
    assert (a1.category.code, a1.urgency, a1.matter_type) == ("facilities", Urgency.URGENT, MatterType.HELP)
    assert a1.received_at == datetime.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
    assert a1.policy == TimeLimitPolicy.objects.get(district=world.shanting)
    assert a1.number.startswith("TS20261130-") and len(a1.tracking_code) == 10
    assert a1.raw["工单编号"] == "A1" and a1.raw["诉求地址"] == "山亭区山城街道梅花园小区3号楼2单元"
    (event,) = a1.events.all()
    assert (event.action, event.at, event.actor, event.from_status, event.to_status) == (
        Action.RECEIVE, NOW, world.users["street_staff"], "", Status.RECEIVED)

    a2 = Complaint.objects.get(external_no="A2")  # another street of the district: lands on its street
    assert (a2.estate, a2.street, a2.firm) == (world.estate_b1, world.beizhuang, world.firm2)
    a3 = Complaint.objects.get(external_no="A3")
    assert (a3.estate, a3.street, a3.firm, a3.match_score) == (None, world.shancheng, None, None)
    a4 = Complaint.objects.get(external_no="A4")  # 紫荆小区 is in 管城回族区: never matched across districts
    assert (a4.estate, a4.street) == (None, world.shancheng)
    assert a4.category.code == "other"  # no code: the default category


def test_one_bad_row_among_fifty_saves_nothing_and_names_the_line(world, upload):
    rows = [row(f"B{i:03d}") for i in range(50)]
    rows[10][1] = "2026-02-30 10:00"  # line 12: the header is line 1
    run = upload(xlsx(rows))
    assert run.status == ImportStatus.REFUSED
    assert [e["message"] for e in run.errors] == ["第 12 行：受理时间“2026-02-30 10:00”不是有效日期"]
    assert run.errors[0]["line"] == 12
    with pytest.raises(ValidationError, match="有错误"):
        import_run_confirm(actor=world.users["street_staff"], run=run, now=NOW)
    assert not Complaint.objects.exists()
    assert import_run_execute(run_id=run.pk, now=NOW)["status"] == ImportStatus.REFUSED  # the task leaves it
    assert not Complaint.objects.exists()


def test_each_kind_of_row_error_is_named_with_its_line(world, upload):
    rows = [row("C1"), row("C1"), row("C3", code="9999"), row("C4", content="长" * 5001),
            row("", address=""), row("C6", at="2026-12-05 10:00:00"), row("C7", urgency="很急")]
    run = upload(xlsx(rows))
    messages = [e["message"] for e in run.errors]
    assert "第 3 行：工单编号“C1”与第 2 行重复" in messages
    assert "第 4 行：诉求分类编码“9999”没有对应的投诉类别（请在列映射的类别代码对应中补充）" in messages
    assert "第 5 行：诉求内容超过 5000 字（现有 5001 字）" in messages
    assert "第 6 行：工单编号不能为空" in messages and "第 6 行：诉求地址不能为空" in messages
    assert "第 7 行：受理时间“2026-12-05 10:00:00”晚于当前时间" in messages
    assert "第 8 行：紧急程度“很急”无法识别（可在列映射中补充对应关系）" in messages
    assert not any(e["line"] == 2 for e in run.errors)
    assert run.status == ImportStatus.REFUSED and not Complaint.objects.exists()


def test_second_run_of_the_same_file_creates_nothing(world, upload):
    rows = [row(f"D{i}") for i in range(5)]
    first = import_run_confirm(actor=world.users["street_staff"], run=upload(xlsx(rows)), now=NOW)
    assert first.created_count == 5
    before = list(Complaint.objects.order_by("pk").values_list("pk", "number"))

    second = upload(xlsx(rows), at=NOW + datetime.timedelta(hours=1))
    assert (second.status, second.duplicate_count) == (ImportStatus.UPLOADED, 5)
    second = import_run_confirm(actor=world.users["street_staff"], run=second, now=NOW + datetime.timedelta(hours=1))
    assert (second.status, second.created_count, second.duplicate_count) == (ImportStatus.DONE, 0, 5)
    assert list(Complaint.objects.order_by("pk").values_list("pk", "number")) == before


def test_a_file_with_some_rows_already_imported_imports_the_rest(world, upload):
    import_run_confirm(actor=world.users["street_staff"], run=upload(xlsx([row("E1"), row("E2")])), now=NOW)
    run = import_run_confirm(actor=world.users["street_staff"],
                             run=upload(xlsx([row("E1"), row("E2"), row("E3")])), now=NOW)
    assert (run.created_count, run.duplicate_count) == (1, 2)
    assert Complaint.objects.filter(import_run=run).get().external_no == "E3"


def test_missing_mapped_column_refuses_the_file_and_keeps_nothing(world, upload):
    headers = [h for h in HEADERS if h != "诉求地址"]
    rows = [r[:7] + r[8:] for r in [row("F1")]]
    with pytest.raises(ValidationError) as exc:
        upload(xlsx(rows, headers=headers))
    assert "文件缺少列映射要求的列：“诉求地址”" in exc.value.messages[0]
    assert not ImportRun.objects.exists()


def test_header_below_a_title_row_is_found(world, upload):
    rows = [["12345热线工单导出（2026年11月）"], HEADERS, row("G1")]
    run = upload(SimpleUploadedFile("x.xlsx", build_workbook(["导出说明"], rows)))
    assert (run.status, run.total_rows) == (ImportStatus.UPLOADED, 1)


def test_csv_in_gbk_is_read(world, upload):
    rows = [row("H1", content="电梯经常故障停运，老人上下楼困难。"), row("H2", address="山亭区山城街道锦绣花园1号楼")]
    run = upload(csv_file(rows, encoding="gb18030"))
    assert run.status == ImportStatus.UPLOADED, run.errors
    run = import_run_confirm(actor=world.users["street_staff"], run=run, now=NOW)
    h1 = Complaint.objects.get(external_no="H1")
    assert h1.content == "电梯经常故障停运，老人上下楼困难。"
    assert Complaint.objects.get(external_no="H2").estate == world.estate_a2


def test_csv_in_utf8_with_bom_is_read(world, upload):
    run = upload(csv_file([row("I1")], encoding="utf-8-sig"))
    assert run.status == ImportStatus.UPLOADED
    assert import_run_preview(run, now=NOW)[0].cells[0][1] == "I1"


@pytest.mark.parametrize("name, content, message", [
    ("工单.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "不是 Excel（.xlsx）表格"),
    ("工单.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "不是 CSV 文本表格"),
    ("工单.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 200, "旧版 Excel（.xls）"),
    ("工单.pdf", b"%PDF-1.4 hello", "只能导入 Excel（.xlsx）或 CSV 文件"),
    ("工单.xlsx", b"PK\x03\x04 not really a zip", "不是 Excel（.xlsx）表格"),
])
def test_wrong_file_type_is_refused_by_content(world, upload, name, content, message):
    with pytest.raises(ValidationError) as exc:
        upload(SimpleUploadedFile(name, content))
    assert message in exc.value.messages[0]
    assert not ImportRun.objects.exists()


def test_file_over_20_mb_is_refused(world, upload):
    big = SimpleUploadedFile("big.csv", b"a" * (20 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="文件过大"):
        upload(big)


def test_street_staff_cannot_import_into_another_street(world, upload):
    with pytest.raises(ValidationError, match="不能为“北庄街道”导入"):
        upload(xlsx([row("J1")]), street=world.beizhuang)
    run = upload(xlsx([row("J1")]), persona="district_admin", street=world.beizhuang)  # the district chooses
    with pytest.raises(ValidationError):
        import_run_confirm(actor=world.users["street_staff"], run=run, now=NOW)
    assert import_run_confirm(actor=world.users["street_staff2"], run=run, now=NOW).status == ImportStatus.DONE


def test_mapping_of_another_district_is_refused(world):
    other = mapping_ensure_default(district=world.guancheng)
    with pytest.raises(ValidationError, match="列映射"):
        import_run_upload(actor=world.users["street_staff"], street=world.shancheng, mapping=other,
                          uploaded_file=xlsx([row("K1")]), now=NOW)


def test_big_run_is_queued_through_the_outbox_and_the_task_imports_it(world, upload, monkeypatch):
    monkeypatch.setattr(svc_execute, "INLINE_MAX_ROWS", 2)
    run = upload(xlsx([row(f"L{i}") for i in range(3)]))
    run = import_run_confirm(actor=world.users["street_staff"], run=run, now=NOW)
    assert run.status == ImportStatus.QUEUED and not Complaint.objects.exists()
    message = OutboxMessage.objects.get(task="complaints.import_run")
    assert message.args == [run.pk]
    # a second click changes nothing
    assert import_run_confirm(actor=world.users["street_staff"], run=run, now=NOW).status == ImportStatus.QUEUED
    assert OutboxMessage.objects.filter(task="complaints.import_run").count() == 1

    result = import_run_execute(run_id=run.pk, now=NOW)
    assert result == {"run": run.pk, "status": ImportStatus.DONE, "created": 3, "duplicates": 0, "triage": 0}
    run.refresh_from_db()
    assert (run.status, run.created_count, run.processed_rows, run.finished_at) == (ImportStatus.DONE, 3, 3, NOW)
    # the uploader is told once (the page was left)
    assert world.users["street_staff"].notifications.filter(key=f"complaint_import.done:{run.pk}").count() == 1
    # delivered twice: the second run leaves it alone
    assert import_run_execute(run_id=run.pk, now=NOW)["status"] == ImportStatus.DONE
    assert Complaint.objects.count() == 3


def test_task_for_a_run_not_confirmed_does_nothing(world, upload):
    run = upload(xlsx([row("M1")]))
    assert import_run_execute(run_id=run.pk, now=NOW) == {"run": run.pk, "status": ImportStatus.UPLOADED}
    assert import_run_execute(run_id=999999, now=NOW)["status"] == "missing"
    assert not Complaint.objects.exists()


def test_task_picks_up_a_run_left_running_by_a_dead_worker(world, upload):
    run = upload(xlsx([row("N1"), row("N2")]))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, processed_rows=1)
    assert import_run_execute(run_id=run.pk, now=NOW)["created"] == 2


def test_mapping_changed_after_the_check_refuses_the_run_whole(world, upload, mapping):
    run = upload(xlsx([row("O1", code="030601"), row("O2", code="030602")]))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.QUEUED)
    mapping.category_codes = {"030601": "sanitation"}
    mapping.save()
    assert import_run_execute(run_id=run.pk, now=NOW)["status"] == ImportStatus.REFUSED
    run.refresh_from_db()
    assert run.status == ImportStatus.REFUSED and run.created_count == 0
    assert run.errors[0]["message"].startswith("第 3 行：诉求分类编码“030602”")
    assert not Complaint.objects.exists()  # the first row went in and was rolled back


def test_failure_while_writing_rolls_back_every_row(world, upload, monkeypatch):
    monkeypatch.setattr(svc_common, "CHUNK", 2)  # the check keeps the rows in chunks of 2
    run = upload(xlsx([row(f"P{i}") for i in range(5)]))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.QUEUED)
    calls = {"n": 0}
    real = svc_execute._write

    def flaky(ctx, rows):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(ctx, rows)

    monkeypatch.setattr(svc_execute, "_write", flaky)
    assert import_run_execute(run_id=run.pk, now=NOW)["status"] == ImportStatus.FAILED
    assert not Complaint.objects.exists() and calls["n"] == 3
    run.refresh_from_db()
    assert "未导入任何工单" in run.errors[0]["message"]


def test_preview_shows_the_first_rows_as_mapped_with_their_estate(world, upload):
    rows = [row(f"Q{i}") for i in range(12)]
    rows[1][7] = "山亭区某路8号"
    run = upload(xlsx(rows))
    preview = import_run_preview(run, now=NOW)
    assert len(preview) == 10
    assert dict(preview[0].cells)["工单编号"] == "Q0" and dict(preview[0].cells)["类别"] == "环境卫生"
    assert preview[0].estate == world.estate_a1 and preview[0].score == 100 and preview[0].line == 2
    assert preview[1].estate is None
    assert dict(preview[2].cells)["紧急程度"] == "一般"


def test_title_defaults_to_the_first_30_characters_of_the_content(world, mapping, upload):
    data = {"name": mapping.name, "source": mapping.source, "active": True,
            "columns": {k: v for k, v in mapping.columns.items() if k not in ("title", "category", "urgency")},
            "date_formats": mapping.date_formats, "category_codes": mapping.category_codes,
            "urgency_values": mapping.urgency_values, "matter_values": mapping.matter_values}
    mapping_update(actor=world.users["district_admin"], mapping=mapping, data=data)
    content = "小区北门的道闸坏了半个月，车辆随意进出，晚上还有人在消防通道停车，物业一直说在等配件。"
    run = import_run_confirm(actor=world.users["street_staff"], run=upload(xlsx([row("R1", content=content)])), now=NOW)
    c = Complaint.objects.get(import_run=run)
    assert c.title == content[:30] and c.category.code == "other" and c.urgency == Urgency.NORMAL


def test_category_codes_longest_prefix_and_numbers_stored_as_numbers(world, upload):
    rows = [row("S1", code="030699"), row("S2", code="030688"), row("S3", code=30605)]
    run = import_run_confirm(actor=world.users["street_staff"], run=upload(xlsx(rows)), now=NOW)
    got = dict(Complaint.objects.filter(import_run=run).values_list("external_no", "category__code"))
    assert got == {"S1": "other", "S2": "other", "S3": "decoration"}


def test_alias_and_fuzzy_address_match_on_import(world, upload):
    EstateAlias.objects.create(estate=world.estate_a1, name="梅花园小区二期")
    rows = [row("T1", address="山亭区山城街道梅花苑小区二期7号楼"), row("T2", address="山亭区山城街道梅林苑7号楼")]
    run = import_run_confirm(actor=world.users["street_staff"], run=upload(xlsx(rows)), now=NOW)
    t1 = Complaint.objects.get(external_no="T1")
    assert t1.estate == world.estate_a1 and 85 <= t1.match_score < 100
    assert Complaint.objects.get(external_no="T2").estate is None
    assert run.triage_count == 1


def test_three_reports_on_one_estate_within_three_days_flag_supervision(world, upload):
    rows = [row(f"U{i}", at=f"2026-11-{28 + i} 09:00:00") for i in range(3)]
    import_run_confirm(actor=world.users["street_staff"], run=upload(xlsx(rows)), now=NOW)
    flagged = set(Complaint.objects.filter(supervision_flagged=True).values_list("external_no", flat=True))
    assert flagged == {"U2"}


def test_inactive_category_target_is_refused_at_check(world, upload):
    Category.objects.filter(code="group_rental").update(active=False)
    run = upload(xlsx([row("V1", code="030606")]))
    assert run.status == ImportStatus.REFUSED
    assert "不存在或已停用" in run.errors[0]["message"]


def test_mapping_update_refuses_bad_values(world, mapping):
    data = {"name": "", "source": "hotline", "columns": {"external_no": "工单编号", "received_at": "工单编号"},
            "date_formats": ["%H:%M"], "category_codes": {"01": "nope"}, "urgency_values": {"急": "hurry"},
            "matter_values": {}}
    with pytest.raises(ValidationError) as exc:
        mapping_update(actor=world.users["district_admin"], mapping=mapping, data=data)
    errors = exc.value.message_dict
    assert set(errors) >= {"name", "col_content", "col_address", "col_received_at", "date_formats",
                           "category_codes", "urgency_values"}
    with pytest.raises(ValidationError, match="区管理员"):
        mapping_update(actor=world.users["street_staff"], mapping=mapping,
                       data={**data, "name": "x"})


def test_a_number_that_clashes_with_an_existing_order_is_drawn_again(world, upload, monkeypatch):
    first = import_run_confirm(actor=world.users["street_staff"], run=upload(xlsx([row("AD1")])), now=NOW)
    taken = Complaint.objects.get(import_run=first)
    real = svc_execute.new_number
    draws = iter([taken.number])  # the next draw repeats the existing number, then chance takes over

    def clashing(received_at):
        return next(draws, None) or real(received_at)

    monkeypatch.setattr(svc_execute, "new_number", clashing)
    run = import_run_confirm(actor=world.users["street_staff"], run=upload(xlsx([row("AD2")])), now=NOW)
    assert run.status == ImportStatus.DONE and run.created_count == 1
    again = Complaint.objects.get(import_run=run)
    assert again.number != taken.number and again.number.startswith("TS20261130-")
    assert again.events.count() == 1


def test_the_import_uses_the_rows_checked_at_upload_and_drops_them(world, upload, monkeypatch):
    from django.core.files.storage import default_storage

    run = upload(xlsx([row("AE1"), row("AE2", address="某路1号")]))
    kept = f"{run.file.name}.rows"
    assert default_storage.exists(kept)

    def no_second_read(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(reader, "open_rows", no_second_read)
    run = import_run_confirm(actor=world.users["street_staff"], run=run, now=NOW)
    assert (run.status, run.created_count, run.triage_count) == (ImportStatus.DONE, 2, 1)
    c = Complaint.objects.get(external_no="AE1")
    assert c.raw["工单编号"] == "AE1" and c.received_at == datetime.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
    assert not default_storage.exists(kept)
    assert default_storage.exists(run.file.name)  # the file itself is kept


def test_a_refused_file_keeps_no_rows(world, upload):
    from django.core.files.storage import default_storage

    run = upload(xlsx([row("AF1", code="9999")]))
    assert run.status == ImportStatus.REFUSED
    assert not default_storage.exists(f"{run.file.name}.rows")
