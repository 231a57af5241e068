"""The 12345 import of a big file: kept at once as 检查中, checked by the task complaints.import_check.

`big` lowers CHECK_INLINE_MAX_BYTES so that a file of a few rows takes the path of a 100,000-row export;
the inline path (small files) is tested in test_import.py and test_import_pages.py.
"""
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.urls import reverse

from complaints import imports as reader
from complaints.models import Complaint, ImportRun, ImportStatus
from complaints.services.imports import check as svc_check
from complaints.services.imports import common as svc_common
from complaints.services.imports import (
    import_run_check,
    import_run_confirm,
    import_run_upload,
    mapping_ensure_default,
)
from ops.models import OutboxMessage

from .test_import import HEADERS, row, xlsx

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=TZ)
LATER = NOW + datetime.timedelta(minutes=1)
TRIAGE_ADDRESS = "山亭区建设路与文化路交叉口东侧"


@pytest.fixture
def big(monkeypatch):
    """Every uploaded file counts as big (over CHECK_INLINE_MAX_BYTES)."""
    monkeypatch.setattr(svc_check, "CHECK_INLINE_MAX_BYTES", 0)


@pytest.fixture
def upload(world, mapping):
    def _upload(file, persona="street_staff"):
        return import_run_upload(actor=world.users[persona], street=world.shancheng, mapping=mapping,
                                 uploaded_file=file, now=NOW)
    return _upload


def checked_notes(user, run):
    return list(user.notifications.filter(key=f"complaint_import.checked:{run.pk}"))


def stored_files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_a_file_up_to_the_limit_is_checked_in_the_request_and_one_byte_more_in_the_background(
        world, upload, monkeypatch):
    assert upload(xlsx([row("S0")])).status == ImportStatus.UPLOADED  # the demo's files are far below 1 MB
    content = xlsx([row("S1"), row("S2")]).read()
    monkeypatch.setattr(svc_check, "CHECK_INLINE_MAX_BYTES", len(content))
    run = upload(SimpleUploadedFile("12345工单.xlsx", content))
    assert (run.status, run.total_rows) == (ImportStatus.UPLOADED, 2)
    assert not OutboxMessage.objects.filter(task="complaints.import_check").exists()
    monkeypatch.setattr(svc_check, "CHECK_INLINE_MAX_BYTES", len(content) - 1)
    assert upload(SimpleUploadedFile("12345工单.xlsx", content)).status == ImportStatus.CHECKING
    assert OutboxMessage.objects.filter(task="complaints.import_check").count() == 1


def test_a_big_file_is_kept_as_checking_with_one_task_queued(world, upload, big, tmp_path, monkeypatch):
    def no_row_read(*args, **kwargs):
        raise AssertionError("the request checked the rows")

    monkeypatch.setattr(svc_check, "_check_file", no_row_read)
    run = upload(xlsx([row(f"A{i}") for i in range(5)], name="12345-11月.xlsx"))
    run.refresh_from_db()
    assert (run.status, run.total_rows, run.processed_rows, run.errors, run.finished_at) == (
        ImportStatus.CHECKING, 0, 0, [], None)
    assert (run.original_name, run.uploaded_at, run.uploaded_by) == ("12345-11月.xlsx", NOW,
                                                                       world.users["street_staff"])
    assert default_storage.exists(run.file.name) and run.file.name.endswith(".xlsx")
    assert not default_storage.exists(f"{run.file.name}.rows")  # nothing checked yet
    (message,) = OutboxMessage.objects.all()
    assert (message.task, message.args) == ("complaints.import_check", [run.pk])
    assert not checked_notes(world.users["street_staff"], run)


def test_the_task_checks_the_file_and_the_confirm_imports_it(world, upload, big):
    from config.celery import app

    # One number is already in the portal (imported before, straight through the import).
    first = _import_now(world, [row("B1")])
    assert first.created_count == 1

    run = upload(xlsx([row("B1"), row("B2"), row("B3", address=TRIAGE_ADDRESS), row("B4")]))
    (message,) = [m for m in OutboxMessage.objects.filter(task="complaints.import_check") if m.args == [run.pk]]
    with time_machine.travel(LATER, tick=False):  # the task reads the clock and passes it down
        result = app.tasks[message.task].apply(args=message.args).get()
    assert result == {"run": run.pk, "status": ImportStatus.UPLOADED, "total": 4, "duplicates": 1, "triage": 1}
    run.refresh_from_db()
    assert (run.status, run.total_rows, run.processed_rows, run.duplicate_count, run.triage_count) == (
        ImportStatus.UPLOADED, 4, 4, 1, 1)
    assert (run.errors, run.finished_at) == ([], None)
    assert default_storage.exists(f"{run.file.name}.rows")  # kept for the import, as the inline path does
    assert Complaint.objects.count() == 1  # the check only checks

    run = import_run_confirm(actor=world.users["street_staff"], run=run, now=LATER)
    assert (run.status, run.created_count, run.duplicate_count, run.triage_count) == (ImportStatus.DONE, 3, 1, 1)
    assert set(Complaint.objects.filter(import_run=run).values_list("external_no", flat=True)) == {"B2", "B3", "B4"}
    assert Complaint.objects.get(external_no="B3").estate is None
    assert not default_storage.exists(f"{run.file.name}.rows")


def _import_now(world, rows):
    run = import_run_upload(actor=world.users["street_staff"], street=world.shancheng,
                            mapping=mapping_ensure_default(district=world.shanting), uploaded_file=xlsx(rows),
                            now=NOW)
    import_run_check(run_id=run.pk, now=NOW)
    return import_run_confirm(actor=world.users["street_staff"], run=run, now=NOW)


def test_the_uploader_is_told_once_with_the_run_page(world, upload, big):
    run = upload(xlsx([row("C1"), row("C2", address=TRIAGE_ADDRESS)], name="周报.xlsx"))
    import_run_check(run_id=run.pk, now=LATER)
    (note,) = checked_notes(world.users["street_staff"], run)
    assert note.title == "工单文件检查完成：周报.xlsx"
    assert "待确认" in note.body and "共 2 行" in note.body and "1 件进入待分拣" in note.body
    assert note.url == reverse("complaints:import_detail", args=[run.pk])
    import_run_check(run_id=run.pk, now=LATER)  # delivered again
    assert len(checked_notes(world.users["street_staff"], run)) == 1
    assert not checked_notes(world.users["street_staff2"], run)


def test_a_big_file_with_a_bad_date_is_refused_with_the_line(world, upload, big):
    rows = [row(f"D{i}") for i in range(6)]
    rows[3][1] = "2026-02-30 10:00"  # line 5: the header is line 1
    run = upload(xlsx(rows))
    assert run.status == ImportStatus.CHECKING
    assert import_run_check(run_id=run.pk, now=LATER)["status"] == ImportStatus.REFUSED
    run.refresh_from_db()
    assert run.status == ImportStatus.REFUSED and run.finished_at == LATER
    assert run.errors == [{"line": 5, "message": "第 5 行：受理时间“2026-02-30 10:00”不是有效日期"}]
    assert not default_storage.exists(f"{run.file.name}.rows")
    (note,) = checked_notes(world.users["street_staff"], run)
    assert "有误" in note.body
    with pytest.raises(ValidationError, match="有错误"):
        import_run_confirm(actor=world.users["street_staff"], run=run, now=LATER)
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("rows, max_rows, message", [
    ([], None, "文件里没有数据行。"),
    ([row("E1"), row("E2"), row("E3")], 2, "一次最多导入 2 行，请把文件分成几个后再导入。"),
])
def test_a_late_structural_error_becomes_the_runs_message(world, upload, big, monkeypatch, rows, max_rows, message):
    if max_rows:
        monkeypatch.setattr(reader, "MAX_ROWS", max_rows)
    run = upload(xlsx(rows))
    assert run.status == ImportStatus.CHECKING  # the header is there: nothing to refuse at the upload
    import_run_check(run_id=run.pk, now=LATER)
    run.refresh_from_db()
    assert (run.status, run.errors, run.finished_at) == (ImportStatus.REFUSED, [{"line": None, "message": message}],
                                                         LATER)
    assert len(checked_notes(world.users["street_staff"], run)) == 1


def test_delivered_twice_the_second_does_nothing(world, upload, big, monkeypatch):
    run = upload(xlsx([row("F1"), row("F2")]))
    assert import_run_check(run_id=run.pk, now=LATER)["status"] == ImportStatus.UPLOADED
    run.refresh_from_db()
    before = (run.status, run.total_rows, run.processed_rows, run.errors, run.finished_at)

    def no_second_check(*args, **kwargs):
        raise AssertionError("checked twice")

    monkeypatch.setattr(svc_check, "_check_file", no_second_check)
    assert import_run_check(run_id=run.pk, now=LATER + datetime.timedelta(minutes=5)) == {
        "run": run.pk, "status": ImportStatus.UPLOADED}
    run.refresh_from_db()
    assert (run.status, run.total_rows, run.processed_rows, run.errors, run.finished_at) == before
    assert import_run_check(run_id=999999, now=LATER)["status"] == "missing"
    # and a run confirmed meanwhile is left to the import
    run = import_run_confirm(actor=world.users["street_staff"], run=run, now=LATER)
    assert import_run_check(run_id=run.pk, now=LATER) == {"run": run.pk, "status": ImportStatus.DONE}


def test_rows_read_so_far_are_written_after_every_chunk(world, upload, big, monkeypatch):
    monkeypatch.setattr(svc_common, "CHUNK", 2)
    run = upload(xlsx([row(f"G{i}") for i in range(5)]))
    ImportRun.objects.filter(pk=run.pk).update(processed_rows=99)  # left by a worker that died
    seen = []
    real = svc_check._existing_numbers

    def spy(source, numbers):  # called once per chunk, before that chunk's count is written
        seen.append(ImportRun.objects.get(pk=run.pk).processed_rows)
        return real(source, numbers)

    monkeypatch.setattr(svc_check, "_existing_numbers", spy)
    import_run_check(run_id=run.pk, now=LATER)
    assert seen == [0, 2, 4]
    assert ImportRun.objects.get(pk=run.pk).processed_rows == 5


def test_a_crash_marks_the_run_failed_with_a_clear_message(world, upload, big, monkeypatch):
    run = upload(xlsx([row("H1")]))

    def broken(*args, **kwargs):
        raise RuntimeError("disk error")

    monkeypatch.setattr(svc_check, "_check_file", broken)
    assert import_run_check(run_id=run.pk, now=LATER)["status"] == ImportStatus.FAILED
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and run.finished_at == LATER
    assert run.errors == [{"line": None, "message": "检查文件时发生系统错误，未导入任何工单。请稍后重新上传，或联系管理员。"}]
    assert len(checked_notes(world.users["street_staff"], run)) == 1


def test_a_database_outage_is_raised_for_a_retry_that_checks_again(world, upload, big, monkeypatch):
    run = upload(xlsx([row("I1"), row("I2")]))
    real = svc_check._existing_numbers

    def down(source, numbers):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(svc_check, "_existing_numbers", down)
    with pytest.raises(OperationalError):
        import_run_check(run_id=run.pk, now=LATER)
    run.refresh_from_db()
    assert run.status == ImportStatus.CHECKING and not checked_notes(world.users["street_staff"], run)
    assert not default_storage.exists(f"{run.file.name}.rows")

    monkeypatch.setattr(svc_check, "_existing_numbers", real)
    assert import_run_check(run_id=run.pk, now=LATER)["status"] == ImportStatus.UPLOADED


def test_confirm_is_refused_while_checking(world, upload, big):
    run = upload(xlsx([row("J1")]))
    with pytest.raises(ValidationError, match="文件还在检查中，请等检查完成后再确认导入。"):
        import_run_confirm(actor=world.users["street_staff"], run=run, now=LATER)
    run.refresh_from_db()
    assert run.status == ImportStatus.CHECKING
    assert not OutboxMessage.objects.filter(task="complaints.import_run").exists()


def test_a_missing_mapped_column_is_still_refused_at_upload(world, upload, big, tmp_path):
    headers = [h for h in HEADERS if h != "诉求地址"]
    with pytest.raises(ValidationError) as exc:
        upload(xlsx([r[:7] + r[8:] for r in [row("K1"), row("K2")]], headers=headers))
    assert "文件缺少列映射要求的列：“诉求地址”" in exc.value.messages[0]
    assert not ImportRun.objects.exists() and not OutboxMessage.objects.exists()
    assert stored_files(tmp_path) == []


def test_a_file_of_the_wrong_type_is_still_refused_at_upload(world, upload, big, tmp_path):
    with pytest.raises(ValidationError, match="不是 Excel（.xlsx）表格"):
        upload(SimpleUploadedFile("工单.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200))
    assert not ImportRun.objects.exists() and not OutboxMessage.objects.exists()
    assert stored_files(tmp_path) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's (SQLite: one writer)")
def test_a_second_worker_leaves_alone_a_run_another_is_checking(world, upload, big):
    run = upload(xlsx([row("L1")]))
    real = connections[DEFAULT_DB_ALIAS]
    other = type(real)(dict(real.settings_dict), real.alias)  # "another worker": a session of its own
    key = [svc_check._CHECK_LOCK_CLASS, run.pk % 2**31]
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            assert cur.fetchone()[0]
        assert import_run_check(run_id=run.pk, now=LATER) == {"run": run.pk, "status": ImportStatus.CHECKING,
                                                               "busy": True}
        run.refresh_from_db()
        assert run.status == ImportStatus.CHECKING and not checked_notes(world.users["street_staff"], run)
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        assert import_run_check(run_id=run.pk, now=LATER)["status"] == ImportStatus.UPLOADED
        with other.cursor() as cur:  # the check released its lock at the end
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            assert cur.fetchone()[0]
    finally:
        other.close()


# --------------------------------------------------------------------------- pages


def test_upload_page_says_the_file_is_checked_in_the_background(world, login, mapping, big):
    client = login("street_staff")
    response = client.post(reverse("complaints:import_upload"), {
        "street": world.shancheng.pk, "mapping": mapping.pk, "file": xlsx([row("M1"), row("M2")])}, follow=True)
    run = ImportRun.objects.get()
    assert response.redirect_chain == [(reverse("complaints:import_detail", args=[run.pk]), 302)]
    body = response.content.decode()
    assert "文件较大，正在后台检查，请稍候。" in body
    assert "正在检查文件…" in body and "已检查 0 行" in body and "可以离开本页，检查完成后会通知您。" in body
    assert 'hx-trigger="every 1s"' in body and reverse("complaints:import_progress", args=[run.pk]) in body
    assert "progress-bar-striped" in body
    assert "确认导入" not in body and "文件检查通过" not in body


def test_progress_polls_while_checking_then_reloads_on_the_result(world, login, upload, big):
    run = upload(xlsx([row("N1"), row("N2"), row("N3")]))
    client = login("street_staff")
    ImportRun.objects.filter(pk=run.pk).update(processed_rows=2000)
    part = client.get(reverse("complaints:import_progress", args=[run.pk]))
    assert part.status_code == 200 and "HX-Refresh" not in part
    text = part.content.decode()
    assert "正在检查文件…" in text and "已检查 2000 行" in text and "可以离开本页，检查完成后会通知您。" in text
    assert 'hx-trigger="every 1s"' in text

    import_run_check(run_id=run.pk, now=LATER)
    done = client.get(reverse("complaints:import_progress", args=[run.pk]))
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    body = client.get(reverse("complaints:import_detail", args=[run.pk])).content.decode()
    assert "文件检查通过" in body and "确认导入" in body and "N1" in body  # the preview of the kept file
    assert "正在检查文件…" not in body


def test_the_list_shows_the_checking_badge(world, login, upload, big):
    run = upload(xlsx([row("O1")], name="大文件.xlsx"))
    body = login("street_staff").get(reverse("complaints:import_list")).content.decode()
    assert "大文件.xlsx" in body
    assert 'class="badge text-bg-secondary" data-testid="import-status">检查中<' in body
    assert run.status == ImportStatus.CHECKING


def test_confirm_page_refuses_a_run_still_checking(world, login, upload, big):
    run = upload(xlsx([row("P1")]))
    response = login("street_staff").post(reverse("complaints:import_confirm", args=[run.pk]), follow=True)
    assert "文件还在检查中，请等检查完成后再确认导入。" in response.content.decode()
    run.refresh_from_db()
    assert run.status == ImportStatus.CHECKING and not Complaint.objects.exists()
