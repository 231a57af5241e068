"""Upload and the whole-file check: in the request for a small file (`import_run_upload`), by the task
`complaints.import_check` for a big one (`import_run_check`); and the preview of a checked run."""
from __future__ import annotations

import datetime
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Street

from ... import imports as reader
from ...matching import EstateMatcher
from ...models import Category, ImportMapping, ImportRun, ImportStatus, MatterType, Urgency
from .common import (
    Checked,
    _check_aware,
    _database_errors,
    _existing_numbers,
    _matcher,
    _Policies,
    _stream,
    may_import,
)
from .mappings import mapping_spec
from .stage import _drop_stage, _StageWriter

log = logging.getLogger(__name__)

# Uploaded files up to this size are checked in the request; bigger ones by the task complaints.import_check.
# Measured: the check reads about 1 MB/s (10,000 rows/s at about 110 bytes a row) of an .xlsx written by
# complaints/hotline_sample.py's write_hotline_xlsx (20,000 rows, 200 estates; SQLite and PostgreSQL alike),
# 0.85 MB/s when the strings sit in a shared table as Excel saves them: 1 MB is about 9,000 rows and a second.
# A CSV is not compressed, so the same size holds fewer rows and checks faster.
CHECK_INLINE_MAX_BYTES = 1024 * 1024
PREVIEW_ROWS = 10


def _check_file(file, kind, spec, *, matcher: EstateMatcher, source: str, stage=None, progress=None) -> Checked:
    """Every row of the file: the counts and the bad lines; the good rows go to `stage` until the first bad
    one; `progress(rows read so far)` after each chunk."""
    checked = Checked()
    for rows in _stream(file, kind, spec, checked):
        if stage is not None and not checked.error_count:
            stage.write(rows)
        existing = _existing_numbers(source, [r.external_no for r in rows])
        for r in rows:
            if r.external_no in existing:
                checked.duplicates += 1
            elif matcher.match(r.address)[0] is None:
                checked.triage += 1
        if progress is not None:
            progress(checked.total)
    return checked


def _check_layout(file, kind: str, spec: reader.MappingSpec):
    """The structural check alone: the file is a table with every mapped column (a ValidationError when not).
    Only the rows up to the header are parsed (and of an .xlsx's shared-string table, the strings they use)."""
    try:
        with reader.open_rows(file, kind) as rows:
            reader.find_layout(rows, spec)
    finally:
        file.seek(0)


def import_run_upload(*, actor, street: Street, mapping: ImportMapping, uploaded_file,
                      now: datetime.datetime) -> ImportRun:
    """Check the file and keep it as a run: 待确认 when every row is good, 未导入（文件有误）with the bad
    lines when not. A file that is not a table or lacks a mapped column is refused (ValidationError) and
    nothing is kept. A file over CHECK_INLINE_MAX_BYTES is kept as a run 检查中 and its rows are checked by
    the task `complaints.import_check` (`import_run_check`), so that no request reads a big file."""
    _check_aware(now)
    street = Street.objects.select_related("district").get(pk=street.pk)
    if actor is None or not may_import(actor, street):
        raise ValidationError(_("您不能为“%(s)s”导入工单。") % {"s": street.name})
    mapping = ImportMapping.objects.filter(pk=getattr(mapping, "pk", None), district_id=street.district_id,
                                           active=True).first()
    if mapping is None:
        raise ValidationError(_("请选择%(d)s启用中的列映射。") % {"d": street.district.name})
    name = (getattr(uploaded_file, "name", "") or "").rsplit("/", 1)[-1]
    kind = reader.sniff(uploaded_file, name=name)
    spec = mapping_spec(mapping, now=now)
    if uploaded_file.size > CHECK_INLINE_MAX_BYTES:
        _check_layout(uploaded_file, kind, spec)
        return _keep_checking_run(street=street, mapping=mapping, actor=actor, uploaded_file=uploaded_file,
                                  name=name, kind=kind, now=now)
    policies = _Policies(street.district)
    stage = _StageWriter(spec)
    try:
        checked = _check_file(uploaded_file, kind, spec, matcher=_matcher(street, policies, now),
                              source=mapping.source, stage=stage)
        return _keep_run(street=street, mapping=mapping, actor=actor, uploaded_file=uploaded_file, name=name,
                         kind=kind, checked=checked, stage=stage, now=now)
    finally:
        stage.close()


def _keep_run(*, street, mapping, actor, uploaded_file, name, kind, checked: Checked, stage: "_StageWriter",
              now) -> ImportRun:
    run = ImportRun(street=street, mapping=mapping, original_name=name[:200], uploaded_by=actor, uploaded_at=now,
                    status=ImportStatus.REFUSED if checked.error_count else ImportStatus.UPLOADED,
                    total_rows=checked.total, duplicate_count=checked.duplicates, triage_count=checked.triage,
                    errors=checked.listed_errors())
    if run.status == ImportStatus.REFUSED:
        run.finished_at = now
    # The check above only read; the run is written in a short transaction of its own (a long one would
    # hold SQLite's single writer while a big file is read).
    uploaded_file.seek(0)
    run.file.save(f"{uuid.uuid4().hex}.{kind}", uploaded_file, save=False)
    staged = stage.save(run) if run.status == ImportStatus.UPLOADED else None
    try:
        with transaction.atomic():
            run.save()
    except Exception:
        run.file.storage.delete(run.file.name)
        if staged:
            run.file.storage.delete(staged)
        raise
    return run


def _keep_checking_run(*, street, mapping, actor, uploaded_file, name, kind, now) -> ImportRun:
    """A big file: kept with status 检查中, and the task that checks it queued in the same transaction."""
    from ops.services import outbox_enqueue

    run = ImportRun(street=street, mapping=mapping, original_name=name[:200], uploaded_by=actor, uploaded_at=now,
                    status=ImportStatus.CHECKING)
    uploaded_file.seek(0)
    run.file.save(f"{uuid.uuid4().hex}.{kind}", uploaded_file, save=False)
    try:
        with transaction.atomic():
            run.save()
            outbox_enqueue(task="complaints.import_check", args=[run.pk])
    except Exception:
        run.file.storage.delete(run.file.name)
        raise
    return run


# --------------------------------------------------------------------------- the check of a big file, in the background

_CHECK_LOCK_CLASS = 0x12346  # pg advisory lock keys (class, run id); execute._lock_source uses class 0x12345


@contextmanager
def _check_lock(run_id: int):
    """True when this worker may check the run: PostgreSQL's session advisory lock on the run, taken without
    waiting (a second worker holding it is checking the run already) and released at the end; SQLite has a
    single writer and no second worker, so always True there."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = [_CHECK_LOCK_CLASS, run_id % 2**31]
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        got = cur.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            try:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            except _database_errors():  # the connection is gone, and its session's lock with it
                log.warning("import run %s: could not release the check lock", run_id, exc_info=True)


def import_run_check(*, run_id: int, now: datetime.datetime) -> dict:
    """Check a big uploaded file (status 检查中) as the upload checks a small one, then tell the uploader.

    Ends 待确认 (the counts, the checked rows kept beside the file) or 未导入（文件有误）(the bad lines, or a
    late structural error such as too many rows or no data rows as the run's message). `processed_rows`
    counts the rows read so far, written after each chunk with a plain UPDATE (no transaction is open
    while the file is read, so the run page sees it). A run in any other status is left alone (a task
    delivered twice); two workers never check the same run at once (`_check_lock`). A database outage is
    raised for the task to retry (the run stays 检查中 and is checked again from the start); any other
    failure marks the run 失败.
    """
    _check_aware(now)
    run = (ImportRun.objects.select_related("street__district", "mapping", "uploaded_by")
           .filter(pk=run_id).first())
    if run is None:
        return {"run": run_id, "status": "missing"}
    if run.status != ImportStatus.CHECKING:
        return {"run": run.pk, "status": run.status}
    with _check_lock(run.pk) as got:
        if not got:
            return {"run": run.pk, "status": ImportStatus.CHECKING, "busy": True}
        status = ImportRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
        if status != ImportStatus.CHECKING:  # another worker finished it between the first read and the lock
            return {"run": run.pk, "status": status}
        return _check_and_record(run, now)


def _check_and_record(run: ImportRun, now: datetime.datetime) -> dict:
    _drop_stage(run)  # rows kept by a worker that died before it could record its result
    ImportRun.objects.filter(pk=run.pk).update(processed_rows=0)
    street = run.street
    stage = staged = None

    def progress(n: int):
        ImportRun.objects.filter(pk=run.pk).update(processed_rows=n)

    try:
        try:
            spec = mapping_spec(run.mapping, now=now)
            stage = _StageWriter(spec)
            with run.file.open("rb") as f:
                kind = reader.sniff(f, name=run.file.name)  # stored as <uuid>.<kind decided at the upload>
                checked = _check_file(f, kind, spec, matcher=_matcher(street, _Policies(street.district), now),
                                      source=run.mapping.source, stage=stage, progress=progress)
            if not checked.error_count:
                staged = stage.save(run)  # the checked rows, kept for the import as the inline path keeps them
        except _database_errors():
            raise
        except ValidationError as exc:  # a late structural error: too many rows, no data rows, unreadable
            values = {"status": ImportStatus.REFUSED, "total_rows": 0, "duplicate_count": 0, "triage_count": 0,
                      "errors": [{"line": None, "message": m} for m in exc.messages], "finished_at": now}
        except Exception:
            log.exception("import run %s: the check failed", run.pk)
            values = {"status": ImportStatus.FAILED, "total_rows": 0, "duplicate_count": 0, "triage_count": 0,
                      "finished_at": now, "errors": [{"line": None, "message": _(
                          "检查文件时发生系统错误，未导入任何工单。请稍后重新上传，或联系管理员。")}]}
        else:
            refused = bool(checked.error_count)
            values = {"status": ImportStatus.REFUSED if refused else ImportStatus.UPLOADED,
                      "total_rows": checked.total, "processed_rows": checked.total,
                      "duplicate_count": checked.duplicates, "triage_count": checked.triage,
                      "errors": checked.listed_errors(), "finished_at": now if refused else None}
        # The result and the one notification commit together: a database outage here rolls both back and
        # the retried task checks the run again; a second delivery finds it no longer 检查中.
        with transaction.atomic():
            recorded = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.CHECKING).update(**values)
            run.refresh_from_db()
            if recorded:
                _notify_checked(run)
    except BaseException:
        if staged:
            run.file.storage.delete(staged)
        raise
    finally:
        if stage is not None:
            stage.close()
    if not recorded:  # changed meanwhile by hand (the lock keeps other checks out): leave it as it is
        if staged:
            run.file.storage.delete(staged)
        return {"run": run.pk, "status": run.status}
    return {"run": run.pk, "status": run.status, "total": run.total_rows, "duplicates": run.duplicate_count,
            "triage": run.triage_count}


def _notify_checked(run: ImportRun):
    """One notification to the uploader, who may have left the page: the run page, 待确认 or 有误."""
    from accounts.notices import Place, handoff

    if run.status == ImportStatus.UPLOADED:
        body = _("文件检查通过，待确认导入：共 %(n)s 行，将新建 %(c)s 件（%(t)s 件进入待分拣），%(d)s 件已导入过将跳过。"
                 "请打开导入页核对预览后确认导入。") % {
            "n": run.total_rows, "c": run.total_rows - run.duplicate_count, "t": run.triage_count,
            "d": run.duplicate_count}
    elif run.status == ImportStatus.REFUSED:
        body = _("文件有误，未导入任何工单。请按导入页列出的行修改后重新上传。")
    else:
        body = _("检查文件时发生系统错误，未导入任何工单。请稍后重新上传。")
    handoff("complaint_import.checked", place=Place.of(users=[run.uploaded_by_id]), key=str(run.pk),
            title=_("工单文件检查完成：%(f)s") % {"f": run.original_name}, body=body,
            url=reverse("complaints:import_detail", args=[run.pk]))


# --------------------------------------------------------------------------- preview

@dataclass
class PreviewRow:
    line: int
    cells: list  # [(label, value)]
    estate: object | None = None
    score: int | None = None
    duplicate: bool = False
    errors: list = field(default_factory=list)


def import_run_preview(run: ImportRun, *, now: datetime.datetime, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """The first rows as the mapping reads them, with the estate each would land on (None: triage)."""
    names = dict(Category.objects.values_list("code", "name"))
    street = run.street
    policies = _Policies(street.district)
    matcher = _matcher(street, policies, now)
    spec = mapping_spec(run.mapping, now=now)
    out: list[PreviewRow] = []
    with run.file.open("rb") as f:
        kind = reader.sniff(f, name=run.original_name)
        try:
            with reader.open_rows(f, kind) as rows:
                layout = reader.find_layout(rows, spec)
                checker = reader.RowChecker(spec, layout)
                for line, values in reader.data_rows(rows, layout):
                    row, reasons = checker.check(line, values)
                    if row is None:
                        out.append(PreviewRow(line=line, cells=[], errors=reasons))
                    else:
                        estate, score = matcher.match(row.address)
                        out.append(PreviewRow(line=line, cells=_cells(row, names), estate=estate, score=score))
                    if len(out) >= limit:
                        break
        except ValidationError as exc:
            return [PreviewRow(line=0, cells=[], errors=exc.messages)]
    numbers = {c[1] for r in out for c in r.cells[:1]}
    existing = _existing_numbers(run.mapping.source, list(numbers))
    for r in out:
        r.duplicate = bool(r.cells) and r.cells[0][1] in existing
    return out


def _cells(row: reader.ParsedRow, category_names: dict) -> list:
    local = timezone.localtime(row.received_at)
    return [
        (reader.FIELD_BY_NAME["external_no"].label, row.external_no),
        (reader.FIELD_BY_NAME["received_at"].label, local.strftime("%Y-%m-%d %H:%M")),
        (reader.FIELD_BY_NAME["matter_type"].label, MatterType(row.matter_type).label),
        (_("类别"), category_names.get(row.category, row.category)),
        (reader.FIELD_BY_NAME["urgency"].label, Urgency(row.urgency).label),
        (reader.FIELD_BY_NAME["title"].label, row.title),
        (reader.FIELD_BY_NAME["content"].label, row.content),
        (reader.FIELD_BY_NAME["address"].label, row.address),
        (reader.FIELD_BY_NAME["complainant_name"].label, row.complainant_name),
        (reader.FIELD_BY_NAME["complainant_phone"].label, row.complainant_phone),
    ]
