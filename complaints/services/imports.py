"""The 12345 import: column mappings as data, upload → whole-file check and preview → confirm → import.

Upload (`import_run_upload`) refuses at once, keeping nothing, what is quick to see: no permission, a
mapping not of the district, a file that is not an .xlsx or CSV table or too large, a mapped column
missing (only the header is read for that). Then every row is checked: row problems (a date like
2026-02-30, an empty 工单编号, an unknown category code, a text too long, a number twice in the file)
make a run with status 未导入（文件有误） listing each bad line, which can never be imported. A clean file
becomes a run waiting for confirmation (待确认), with the counts the preview shows; the checked rows are
kept beside the file so that the import does not read and check it a second time.

A small file (≤ CHECK_INLINE_MAX_BYTES, about a second of checking) is checked in the request. A bigger
one is kept at once with status 检查中 and the Celery task `complaints.import_check` queued through the
outbox in the same transaction; `import_run_check` then checks it exactly as the request would (rows read
so far shown on the run page), ends 待确认 or 未导入（文件有误） (a late structural error such as too many
rows becomes the run's message) and tells the uploader once. A run 检查中 cannot be confirmed.

Confirm (`import_run_confirm`) imports a small file at once and queues a big one (the Celery task
`complaints.import_run` through the outbox), both ending in `import_run_execute`:

- all or nothing: every complaint of the run is written in one transaction; a bad row found then (the
  mapping changed since the check) rolls the whole run back and refuses it;
- idempotent: a row whose (source, 工单编号) is already in the portal is skipped and counted, so importing
  the same file twice creates nothing the second time; a run already done is left alone, and two workers
  never import the same source at once (an advisory lock on PostgreSQL, SQLite's single writer);
- fast and flat in memory: rows stream from the file in chunks of 2,000 and go in with COPY on PostgreSQL
  (`accounts.bulk.insert_rows`; bulk_create elsewhere), writing the columns `complaint_receive` writes
  (number and tracking code, the policy of the received day, the firm serving the estate that day, the raw
  row, the run, status 待派单, one RECEIVE event per complaint), then `complaints_flag_repeated` once.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import logging
import tempfile
import uuid
import zlib
from bisect import bisect_right
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.bulk import insert_rows
from accounts.models import Role
from accounts.scope import scope_of
from communities.models import District, Estate, Street
from enterprises.selectors import firm_on, spans_by_estate
from workdays.selectors import local_zone

from .. import imports as reader
from ..matching import EstateMatcher, build_matcher
from ..models import (
    Action,
    Category,
    Complaint,
    ComplaintEvent,
    ImportMapping,
    ImportRun,
    ImportStatus,
    MatterType,
    Source,
    Status,
    TimeLimitPolicy,
    Urgency,
)
from ..numbers import new_number, new_tracking_code

log = logging.getLogger(__name__)

CHUNK = 2000
INLINE_MAX_ROWS = 2000  # confirmed runs up to this size are imported in the request; bigger ones by the task
# Uploaded files up to this size are checked in the request; bigger ones by the task complaints.import_check.
# Measured: the check reads about 1 MB/s (10,000 rows/s at about 110 bytes a row) of an .xlsx written by
# complaints/hotline_sample.py's write_hotline_xlsx (20,000 rows, 200 estates; SQLite and PostgreSQL alike),
# 0.85 MB/s when the strings sit in a shared table as Excel saves them: 1 MB is about 9,000 rows and a second.
# A CSV is not compressed, so the same size holds fewer rows and checks faster.
CHECK_INLINE_MAX_BYTES = 1024 * 1024
PREVIEW_ROWS = 10

DEFAULT_MAPPING_NAME = "12345 热线标准导出"
DEFAULT_COLUMNS = {
    "external_no": "工单编号", "received_at": "受理时间", "matter_type": "诉求类型", "category": "诉求分类编码",
    "urgency": "紧急程度", "title": "标题", "content": "诉求内容", "address": "诉求地址",
    "complainant_name": "来电人", "complainant_phone": "联系电话",
}
DEFAULT_DATE_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S"]
# 0306 物业管理 and its sub-codes; longest prefix wins, so 030699 and any new 0306xx fall to "other".
DEFAULT_CATEGORY_CODES = {
    "0306": "other", "030601": "sanitation", "030602": "order_parking", "030603": "facilities", "030604": "fees",
    "030605": "decoration", "030606": "group_rental", "030607": "attitude", "030699": "other",
}
DEFAULT_URGENCY_VALUES = {"一般": Urgency.NORMAL, "普通": Urgency.NORMAL, "紧急": Urgency.URGENT,
                          "加急": Urgency.URGENT, "特急": Urgency.CRITICAL, "特别紧急": Urgency.CRITICAL}
DEFAULT_MATTER_VALUES = {"投诉": MatterType.COMPLAINT, "举报": MatterType.REPORT, "求助": MatterType.HELP,
                         "咨询": MatterType.CONSULT, "建议": MatterType.SUGGESTION, "意见建议": MatterType.SUGGESTION,
                         "表扬": MatterType.PRAISE}


def _check_aware(now):
    if now is None or timezone.is_naive(now):
        raise ValueError("now must be an aware datetime")


# --------------------------------------------------------------------------- who may do what

def may_import(user, street: Street) -> bool:
    """Street staff for their street; district administrators for every street of their district."""
    scope = scope_of(user)
    return bool(scope.city_admin or scope.holds(Role.STREET_STAFF, street.pk)
                or scope.holds(Role.DISTRICT_ADMIN, street.district_id))


def importable_streets(user):
    """The streets `user` may import into (the upload form's choices)."""
    scope = scope_of(user)
    qs = Street.objects.select_related("district").order_by("district__name", "name")
    if scope.city_admin:
        return qs
    return qs.filter(Q(pk__in=scope.by_role.get(Role.STREET_STAFF, ()))
                     | Q(district_id__in=scope.by_role.get(Role.DISTRICT_ADMIN, ())))


def may_edit_mappings(user, district: District) -> bool:
    scope = scope_of(user)
    return bool(scope.city_admin or scope.holds(Role.DISTRICT_ADMIN, district.pk))


# --------------------------------------------------------------------------- mappings

def mapping_ensure_default(*, district: District) -> ImportMapping:
    """The district's ready mapping for the typical export ("12345 热线标准导出"), created when missing."""
    mapping = ImportMapping.objects.filter(district=district, name=DEFAULT_MAPPING_NAME).first()
    if mapping is not None:
        return mapping
    with transaction.atomic():
        mapping, _created = ImportMapping.objects.get_or_create(
            district=district, name=DEFAULT_MAPPING_NAME,
            defaults={"source": Source.HOTLINE, "columns": dict(DEFAULT_COLUMNS),
                      "date_formats": list(DEFAULT_DATE_FORMATS), "category_codes": dict(DEFAULT_CATEGORY_CODES),
                      "urgency_values": {k: str(v) for k, v in DEFAULT_URGENCY_VALUES.items()},
                      "matter_values": {k: str(v) for k, v in DEFAULT_MATTER_VALUES.items()}})
    return mapping


def _validate_mapping(data: dict, *, district: District, instance: ImportMapping | None) -> dict:
    """The cleaned values of a mapping, or a ValidationError keyed by field (Chinese messages)."""
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("请填写映射名称。"))
    elif len(name) > 60:
        errors.setdefault("name", []).append(_("名称最多 60 字。"))
    elif ImportMapping.objects.filter(district=district, name=name).exclude(
            pk=getattr(instance, "pk", None)).exists():
        errors.setdefault("name", []).append(_("本区已有名为“%(n)s”的列映射。") % {"n": name})
    source = data.get("source") or Source.HOTLINE
    if source not in Source.values:
        errors.setdefault("source", []).append(_("来源无效。"))
    columns = {k: (v or "").strip() for k, v in (data.get("columns") or {}).items()
               if k in reader.FIELD_BY_NAME and (v or "").strip()}
    for f in reader.FIELDS:
        if f.required and not columns.get(f.name):
            errors.setdefault(f"col_{f.name}", []).append(_("“%(f)s”是必填字段，请填写它在文件中的列名。") % {"f": f.label})
    seen: dict[str, str] = {}
    for name_, header in columns.items():
        key = reader.clean_header(header)
        if key in seen:
            errors.setdefault(f"col_{name_}", []).append(
                _("列“%(h)s”已对应“%(f)s”，一列只能对应一个字段。") % {"h": header, "f": reader.FIELD_BY_NAME[seen[key]].label})
        else:
            seen[key] = name_
    formats = [f.strip() for f in (data.get("date_formats") or []) if f.strip()]
    if not formats:
        errors.setdefault("date_formats", []).append(_("请至少填写一种日期格式。"))
    sample = datetime.datetime(2026, 12, 31, 23, 59, 58)
    for fmt in formats:
        ok = all(d in fmt for d in ("%Y", "%m", "%d"))
        if ok:
            try:
                ok = datetime.datetime.strptime(sample.strftime(fmt), fmt).date() == sample.date()
            except ValueError:
                ok = False
        if not ok:
            errors.setdefault("date_formats", []).append(
                _("日期格式“%(f)s”无效：须包含 %%Y、%%m、%%d，例如 %%Y-%%m-%%d %%H:%%M:%%S。") % {"f": fmt})
    known = set(Category.objects.filter(active=True).values_list("code", flat=True))
    codes = {}
    for code, target in (data.get("category_codes") or {}).items():
        code = reader.clean_header(code)
        if target not in known:
            errors.setdefault("category_codes", []).append(
                _("编码“%(c)s”对应的类别“%(t)s”不存在或已停用。") % {"c": code, "t": target})
        codes[code] = target
    urgency = {}
    for text, value in (data.get("urgency_values") or {}).items():
        if value not in Urgency.values:
            errors.setdefault("urgency_values", []).append(_("“%(t)s”对应的紧急程度无效。") % {"t": text})
        urgency[reader.clean_header(text)] = value
    matter = {}
    for text, value in (data.get("matter_values") or {}).items():
        if value not in MatterType.values:
            errors.setdefault("matter_values", []).append(_("“%(t)s”对应的诉求类型无效。") % {"t": text})
        matter[reader.clean_header(text)] = value
    if errors:
        raise ValidationError(errors)
    return {"name": name, "source": source, "columns": columns, "date_formats": formats, "category_codes": codes,
            "urgency_values": urgency, "matter_values": matter, "active": bool(data.get("active", True))}


@transaction.atomic
def mapping_create(*, actor, district: District, data: dict) -> ImportMapping:
    if not may_edit_mappings(actor, district):
        raise ValidationError(_("只有区管理员可以维护列映射。"))
    return ImportMapping.objects.create(district=district, **_validate_mapping(data, district=district, instance=None))


@transaction.atomic
def mapping_update(*, actor, mapping: ImportMapping, data: dict) -> ImportMapping:
    mapping = ImportMapping.objects.select_for_update().select_related("district").get(pk=mapping.pk)
    if not may_edit_mappings(actor, mapping.district):
        raise ValidationError(_("只有区管理员可以维护列映射。"))
    for key, value in _validate_mapping(data, district=mapping.district, instance=mapping).items():
        setattr(mapping, key, value)
    mapping.save()
    return mapping


# --------------------------------------------------------------------------- reading and checking

def mapping_spec(mapping: ImportMapping, *, now: datetime.datetime) -> reader.MappingSpec:
    return reader.MappingSpec(
        columns=dict(mapping.columns or {}), date_formats=tuple(mapping.date_formats or ()),
        category_codes=dict(mapping.category_codes or {}), urgency_values=dict(mapping.urgency_values or {}),
        matter_values=dict(mapping.matter_values or {}),
        categories=frozenset(Category.objects.filter(active=True).values_list("code", flat=True)),
        tz=local_zone(), latest=now + datetime.timedelta(minutes=5))  # complaint_receive's tolerance


class _Policies:
    """The district's time-limit policy in force on each day (policy_on, read once for the whole run)."""

    def __init__(self, district: District):
        from .policy import ensure_default_policy

        rows = list(TimeLimitPolicy.objects.filter(district=district).order_by("effective_from"))
        if not rows:
            rows = [ensure_default_policy(district)]
        self.rows = rows
        self.days = [p.effective_from for p in rows]

    def on(self, day: datetime.date) -> TimeLimitPolicy:
        i = bisect_right(self.days, day) - 1
        return self.rows[max(i, 0)]  # before the first version: the first version (as policy_on)


def _matcher(street: Street, policies: _Policies, now) -> EstateMatcher:
    threshold = policies.on(timezone.localtime(now).date()).match_threshold
    return build_matcher(street=street, threshold=threshold)


def _chunks(items: Iterable, n: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _existing_numbers(source: str, numbers: list[str]) -> set[str]:
    """The 工单编号 among `numbers` already registered for `source`.

    On PostgreSQL one probe of the (source, external_no) unique index per number, as a correlated
    subquery: an IN list is planned from the column statistics, and while the run's own rows pile up
    in its transaction (or on a young table without statistics) the planner scans every row of the
    source for each chunk instead (measured: 400 ms per 900 numbers at 100,000 rows, against 28 ms
    per 2,000 probed). The repeated `<> ''` is the partial index's condition.
    """
    if not numbers:
        return set()
    if connection.vendor == "postgresql":
        table = Complaint._meta.db_table
        with connection.cursor() as cur:
            cur.execute(f"SELECT u.no FROM unnest(%s::text[]) AS u(no) WHERE (SELECT 1 FROM {table} c "
                        f"WHERE c.source = %s AND c.external_no = u.no AND c.external_no <> '' LIMIT 1) IS NOT NULL",
                        [list(numbers), source])
            return {row[0] for row in cur.fetchall()}
    found = set()
    for part in _chunks(numbers, 900):  # below SQLite's variable limit on old builds
        found.update(Complaint.objects.filter(source=source, external_no__in=part).exclude(external_no="")
                     .order_by().values_list("external_no", flat=True))
    return found


@dataclass
class Checked:
    """The whole-file check: counts and the listed errors ({"line", "message"}; capped, then summarised)."""

    total: int = 0
    duplicates: int = 0
    triage: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0

    def add_error(self, line: int, reasons: list[str]):
        for reason in reasons:
            self.error_count += 1
            if len(self.errors) < reader.MAX_LISTED_ERRORS:
                self.errors.append({"line": line, "message": reader.line_message(line, reason)})

    def listed_errors(self) -> list[dict]:
        out = list(self.errors)
        if self.error_count > len(self.errors):
            out.append({"line": None, "message": _("另有 %(n)s 处错误未列出，请修改以上各行后重新上传检查。")
                        % {"n": self.error_count - len(self.errors)}})
        return out


def _stream(file, kind: str, spec: reader.MappingSpec, checked: Checked) -> Iterator[list[reader.ParsedRow]]:
    """Chunks of good rows; bad rows go into `checked` (the caller decides whether to keep going)."""
    with reader.open_rows(file, kind) as rows:
        layout = reader.find_layout(rows, spec)
        checker = reader.RowChecker(spec, layout)
        for chunk in _chunks(reader.data_rows(rows, layout), CHUNK):
            good = []
            for line, values in chunk:
                checked.total += 1
                if checked.total > reader.MAX_ROWS:
                    raise ValidationError(_("一次最多导入 %(n)s 行，请把文件分成几个后再导入。") % {"n": reader.MAX_ROWS})
                row, reasons = checker.check(line, values)
                if reasons:
                    checked.add_error(line, reasons)
                else:
                    good.append(row)
            yield good
    if checked.total == 0:
        raise ValidationError(_("文件里没有数据行。"))


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
    Only the rows up to the header are parsed (an .xlsx's shared-string table is read whole, though)."""
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

_CHECK_LOCK_CLASS = 0x12346  # pg advisory lock keys (class, run id); _lock_source uses class 0x12345


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
    from accounts.services import notify

    if run.status == ImportStatus.UPLOADED:
        body = _("文件检查通过，待确认导入：共 %(n)s 行，将新建 %(c)s 件（%(t)s 件进入待分拣），%(d)s 件已导入过将跳过。"
                 "请打开导入页核对预览后确认导入。") % {
            "n": run.total_rows, "c": run.total_rows - run.duplicate_count, "t": run.triage_count,
            "d": run.duplicate_count}
    elif run.status == ImportStatus.REFUSED:
        body = _("文件有误，未导入任何工单。请按导入页列出的行修改后重新上传。")
    else:
        body = _("检查文件时发生系统错误，未导入任何工单。请稍后重新上传。")
    notify(users=[run.uploaded_by], key=f"complaint-import:{run.pk}:checked",
           title=_("工单文件检查完成：%(f)s") % {"f": run.original_name}, body=body,
           url=reverse("complaints:import_detail", args=[run.pk]))


# --------------------------------------------------------------------------- the checked rows, kept

STAGE_VERSION = 1


def _stage_name(run: ImportRun) -> str:
    return f"{run.file.name}.rows"


def _fingerprint(spec: reader.MappingSpec) -> str:
    """What the check depended on: a change of the mapping or of the categories makes the kept rows stale."""
    data = {"v": STAGE_VERSION, "columns": spec.columns, "formats": list(spec.date_formats),
            "codes": spec.category_codes, "urgency": spec.urgency_values, "matter": spec.matter_values,
            "categories": sorted(spec.categories), "tz": str(spec.tz)}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class _StageWriter:
    """The rows the upload checked, kept beside the file (one JSON line per chunk) so that the import after
    the confirmation does not parse and check the file a second time (for 100,000 rows that is most of
    the import's own time). The import uses them only when the mapping and the categories are still
    those of the check (`_fingerprint`); otherwise it reads and checks the file again."""

    def __init__(self, spec: reader.MappingSpec):
        self.tmp = tempfile.TemporaryFile("w+b")
        self.headers = None
        self.fingerprint = _fingerprint(spec)

    def write(self, rows: list[reader.ParsedRow]):
        if not rows:
            return
        if self.headers is None:
            self.headers = list(rows[0].raw)
            self._line({"fingerprint": self.fingerprint, "headers": self.headers})
        self._line([[r.line, r.external_no, r.received_at.isoformat(), r.matter_type, r.category, r.urgency,
                     r.title, r.content, r.address, r.complainant_name, r.complainant_phone, list(r.raw.values())]
                    for r in rows])

    def _line(self, value):
        self.tmp.write(json.dumps(value, ensure_ascii=False).encode())
        self.tmp.write(b"\n")

    def save(self, run: ImportRun) -> str | None:
        if self.headers is None:
            return None
        self.tmp.seek(0)
        return run.file.storage.save(_stage_name(run), File(self.tmp))

    def close(self):
        self.tmp.close()


def _staged_rows(run: ImportRun, spec: reader.MappingSpec) -> Iterator[list[reader.ParsedRow]] | None:
    """The kept rows of the run's check, chunk by chunk, or None (none kept, or the mapping changed)."""
    storage, name = run.file.storage, _stage_name(run)
    if not run.file.name or not storage.exists(name):
        return None
    f = storage.open(name, "rb")
    try:
        head = json.loads(f.readline())
    except ValueError:
        f.close()
        return None
    if head.get("fingerprint") != _fingerprint(spec):
        f.close()
        return None
    headers = head["headers"]

    def chunks():
        with f:
            for raw_line in iter(f.readline, b""):  # (iterating a Django File starts again at the top)
                yield [reader.ParsedRow(
                    line=x[0], external_no=x[1], received_at=datetime.datetime.fromisoformat(x[2]), matter_type=x[3],
                    category=x[4], urgency=x[5], title=x[6], content=x[7], address=x[8], complainant_name=x[9],
                    complainant_phone=x[10], raw=dict(zip(headers, x[11]))) for x in json.loads(raw_line)]

    return chunks()


def _drop_stage(run: ImportRun):
    try:
        if run.file.name:
            run.file.storage.delete(_stage_name(run))
    except OSError:  # pragma: no cover - a leftover file is harmless
        log.warning("import run %s: could not delete the kept rows", run.pk, exc_info=True)


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


# --------------------------------------------------------------------------- confirm and run

def import_run_confirm(*, actor, run: ImportRun, now: datetime.datetime) -> ImportRun:
    """Start a checked run: at once when small (≤ INLINE_MAX_ROWS rows), else through the task queue.

    A second click (or a second clerk) finds the run already started and changes nothing.
    """
    _check_aware(now)
    run = ImportRun.objects.editable_by(actor).select_related("street").filter(pk=run.pk).first()
    if run is None or not may_import(actor, run.street):
        raise ValidationError(_("您不能确认该导入。"))
    if run.status == ImportStatus.REFUSED:
        raise ValidationError(_("该文件有错误，不能导入。请修改后重新上传。"))
    if run.status == ImportStatus.CHECKING:
        raise ValidationError(_("文件还在检查中，请等检查完成后再确认导入。"))
    if run.status != ImportStatus.UPLOADED:
        return run  # already started or finished
    if run.total_rows <= INLINE_MAX_ROWS:
        if ImportRun.objects.filter(pk=run.pk, status=ImportStatus.UPLOADED).update(status=ImportStatus.RUNNING):
            import_run_execute(run_id=run.pk, now=now)
    else:
        from ops.services import outbox_enqueue

        with transaction.atomic():
            if ImportRun.objects.filter(pk=run.pk, status=ImportStatus.UPLOADED).update(status=ImportStatus.QUEUED):
                outbox_enqueue(task="complaints.import_run", args=[run.pk])
    run.refresh_from_db()
    return run


class _Refused(Exception):
    def __init__(self, errors):
        self.errors = errors


class _Progress:
    """processed_rows, visible to the page polling it while the import's transaction is still open.

    The rows go in inside one transaction (all or nothing), so a progress count written on the same
    connection would only appear at commit. On PostgreSQL the count is written on a second connection
    of its own, in autocommit; it never waits on a lock (SKIP LOCKED), and the import's own transaction
    never updates the run row before its end, only its final counts. SQLite has a single writer (the
    import holds it), so there the page shows the run as running until it is done, which small
    development files are at once.
    """

    def __init__(self, run_id: int, enabled: bool):
        self.run_id = run_id
        self.conn = None
        if enabled and connection.vendor == "postgresql":
            real = connections[DEFAULT_DB_ALIAS]  # `connection` is a proxy: copy the real wrapper's settings
            self.conn = type(real)(dict(real.settings_dict), real.alias)

    def update(self, processed: int):
        if self.conn is None:
            return
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    f"UPDATE {ImportRun._meta.db_table} SET processed_rows = %s WHERE id = "
                    f"(SELECT id FROM {ImportRun._meta.db_table} WHERE id = %s FOR UPDATE SKIP LOCKED)",
                    [processed, self.run_id])
        except Exception:  # progress is a nicety: never fail the import for it
            log.warning("import run %s: progress update failed", self.run_id, exc_info=True)
            self.close()

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def _lock_source(source: str):
    """One import per source at a time (a second run of the same file waits, then finds every row there)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x12345, zlib.crc32(source.encode()) & 0x7FFFFFFF])
    # SQLite: the transaction is BEGIN IMMEDIATE (settings), a single writer already.


_DEFAULTS: dict = {}


def _prepare(model, values: dict) -> dict:
    """Every concrete column of `model`: the given values, the field defaults for the rest (the defaults
    are read once per model; none of them is mutated)."""
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        defaults = _DEFAULTS[model] = {f.attname: f.get_default() for f in model._meta.concrete_fields
                                       if not f.primary_key}
    out = dict(defaults)
    out.update(values)
    return out


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert prepared rows, returning their ids: COPY with ids taken from the sequence on PostgreSQL,
    bulk_create (which returns ids on SQLite ≥ 3.35) elsewhere."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = model._default_manager.bulk_create([model(**r) for r in rows], batch_size=500)
        return [o.pk for o in objs]
    table = model._meta.db_table
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)])
        ids = [r[0] for r in cur.fetchall()]
    names = list(rows[0])
    json_fields = {f.attname for f in model._meta.concrete_fields if f.get_internal_type() == "JSONField"}
    tuples = []
    for pk, r in zip(ids, rows):
        tuples.append((pk, *(json.dumps(r[n], ensure_ascii=False) if n in json_fields and r[n] is not None else r[n]
                             for n in names)))
    insert_rows(model, ["id", *names], tuples)
    return ids


def _assign_numbers(rows: list[dict]):
    """Random numbers and tracking codes (complaints/numbers.py), distinct within the chunk."""
    numbers, codes = set(), set()
    for r in rows:
        number = new_number(r["received_at"])
        while number in numbers:
            number = new_number(r["received_at"])
        numbers.add(number)
        code = new_tracking_code()
        while code in codes:
            code = new_tracking_code()
        codes.add(code)
        r["number"], r["tracking_code"] = number, code


# The unique constraints of the two random identifiers (PostgreSQL's and SQLite's wording).
_NUMBER_CLASHES = ("complaints_complaint_number_key", "complaints_complaint_tracking_code_key",
                   "complaints_complaint.number", "complaints_complaint.tracking_code")


def _insert_complaints(rows: list[dict]) -> list[int]:
    """Insert a chunk with fresh random identifiers; one that clashes with an existing order (a chance of
    about 1 in 10^4 per 100,000 rows on one day) rolls the chunk back to its savepoint and is drawn again,
    instead of asking the table about every number beforehand."""
    for attempt in range(5):
        _assign_numbers(rows)
        try:
            with transaction.atomic():  # a savepoint inside the run's transaction
                return _insert(Complaint, rows)
        except _integrity_errors() as exc:
            if attempt == 4 or not any(name in str(exc) for name in _NUMBER_CLASHES):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class _Context:
    run: ImportRun
    now: datetime.datetime
    matcher: EstateMatcher
    policies: _Policies
    spans: dict
    categories: dict = field(default_factory=dict)  # Category.code -> pk
    created: int = 0
    duplicates: int = 0
    triage: int = 0
    estate_ids: set = field(default_factory=set)


def _write(ctx: _Context, rows: list[reader.ParsedRow]):
    run = ctx.run
    existing = _existing_numbers(run.mapping.source, [r.external_no for r in rows])
    complaints = []
    for r in rows:
        if r.external_no in existing:
            ctx.duplicates += 1
            continue
        received = timezone.localtime(r.received_at)
        day = received.date()
        estate, score = ctx.matcher.match(r.address)
        if estate is None:
            ctx.triage += 1
        else:
            ctx.estate_ids.add(estate.pk)
        complaints.append(_prepare(Complaint, {
            "source": run.mapping.source, "external_no": r.external_no, "received_at": received,
            "matter_type": r.matter_type, "category_id": ctx.categories[r.category], "urgency": r.urgency,
            "title": r.title, "content": r.content, "address": r.address,
            "street_id": estate.community.street_id if estate is not None else run.street_id,
            "estate_id": estate.pk if estate is not None else None,
            "firm_id": firm_on(ctx.spans.get(estate.pk, []), day) if estate is not None else None,
            "match_score": score, "complainant_name": r.complainant_name,
            "complainant_phone": r.complainant_phone, "raw": r.raw, "import_run_id": run.pk,
            "created_by_id": run.uploaded_by_id, "status": Status.RECEIVED,
            "policy_id": ctx.policies.on(day).pk,
        }))
    if not complaints:
        return
    ids = _insert_complaints(complaints)
    comment = _("12345 导入：%(f)s") % {"f": run.original_name}
    _insert(ComplaintEvent, [_prepare(ComplaintEvent, {
        "complaint_id": pk, "action": Action.RECEIVE, "actor_id": run.uploaded_by_id, "at": ctx.now,
        "from_status": "", "to_status": Status.RECEIVED, "comment": comment,
        "data": {"source": c["source"], "external_no": c["external_no"], "import_run": run.pk},
    }) for pk, c in zip(ids, complaints)])
    ctx.created += len(complaints)


def _database_errors() -> tuple:
    from config.celery import IDEMPOTENT_JOB

    return tuple(IDEMPOTENT_JOB["autoretry_for"])


def _integrity_errors() -> tuple:
    """Django's IntegrityError, and psycopg2's (COPY runs on the raw cursor, outside Django's wrapper)."""
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - psycopg2 is a requirement
        return (IntegrityError,)
    return (IntegrityError, psycopg2.IntegrityError)


def import_run_execute(*, run_id: int, now: datetime.datetime) -> dict:
    """Import a confirmed run (status 排队中, or 导入中 left by a worker that died) all or nothing.

    Returns a small JSON-able summary. A run in any other status is left alone (a task delivered twice).
    A database outage is raised for the task to retry (the transaction rolled back, the run stays 导入中);
    any other failure marks the run 失败 with nothing imported.
    """
    _check_aware(now)
    run = (ImportRun.objects.select_related("street__district", "mapping", "uploaded_by")
           .filter(pk=run_id).first())
    if run is None:
        return {"run": run_id, "status": "missing"}
    if run.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return {"run": run.pk, "status": run.status}
    ImportRun.objects.filter(pk=run.pk, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)).update(
        status=ImportStatus.RUNNING, processed_rows=0)
    result = _execute_and_record(run, now)  # a database outage raises here, for the task to retry
    if result["status"] in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED):
        _drop_stage(run)  # the run is over: the kept rows are no longer needed
    return result


def _execute_and_record(run: ImportRun, now: datetime.datetime) -> dict:
    try:
        ctx = _execute(run, now)
    except _database_errors():
        raise
    except _Refused as refused:
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.REFUSED, errors=refused.errors,
                                                   processed_rows=0, created_count=0, finished_at=now)
        return {"run": run.pk, "status": ImportStatus.REFUSED}
    except ValidationError as exc:  # the file or the mapping changed since the check
        errors = [{"line": None, "message": m} for m in exc.messages]
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.REFUSED, errors=errors,
                                                   processed_rows=0, created_count=0, finished_at=now)
        return {"run": run.pk, "status": ImportStatus.REFUSED}
    except Exception:
        log.exception("import run %s failed", run.pk)
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED, processed_rows=0, created_count=0, finished_at=now,
            errors=[{"line": None, "message": _("导入时发生系统错误，未导入任何工单。请稍后重试或联系管理员。")}])
        return {"run": run.pk, "status": ImportStatus.FAILED}
    if ctx is None:
        run.refresh_from_db(fields=["status"])
        return {"run": run.pk, "status": run.status}
    if run.total_rows > INLINE_MAX_ROWS:  # queued: the clerk left the page, tell them it is done
        _notify_done(run, ctx)
    return {"run": run.pk, "status": ImportStatus.DONE, "created": ctx.created, "duplicates": ctx.duplicates,
            "triage": ctx.triage}


def _execute(run: ImportRun, now: datetime.datetime) -> _Context | None:
    street = run.street
    policies = _Policies(street.district)
    spec = mapping_spec(run.mapping, now=now)
    ctx = _Context(run=run, now=now, matcher=_matcher(street, policies, now), policies=policies,
                   spans=spans_by_estate(Estate.objects.filter(community__street__district_id=street.district_id)
                                         .values("id")))
    ctx.categories = dict(Category.objects.values_list("code", "pk"))
    progress = _Progress(run.pk, enabled=run.total_rows > CHUNK)
    checked = Checked()
    try:
        with run.file.open("rb") as f, transaction.atomic():
            _lock_source(run.mapping.source)
            status = ImportRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
            if status != ImportStatus.RUNNING:
                return None  # another worker finished it while this one waited for the lock
            staged = _staged_rows(run, spec)
            if staged is not None:  # checked at the upload, with the same mapping and categories
                for rows in staged:
                    checked.total += len(rows)
                    _write(ctx, rows)
                    progress.update(checked.total)
            else:
                kind = reader.sniff(f, name=run.original_name)
                for rows in _stream(f, kind, spec, checked):
                    if not checked.error_count:  # after the first bad row, only check (the rest is rolled back)
                        _write(ctx, rows)
                    progress.update(checked.total)
            if checked.error_count:
                raise _Refused(checked.listed_errors())
            if ctx.estate_ids:
                from .marks import complaints_flag_repeated

                complaints_flag_repeated(estate_ids=sorted(ctx.estate_ids), now=now)
            ImportRun.objects.filter(pk=run.pk).update(
                status=ImportStatus.DONE, total_rows=checked.total, processed_rows=checked.total,
                created_count=ctx.created, duplicate_count=ctx.duplicates, triage_count=ctx.triage,
                errors=[], finished_at=now)
    except _integrity_errors() as exc:
        # Another process registered one of these numbers between the check and the insert.
        raise ValidationError(_("导入时发现重复的工单编号（可能有人同时导入了相同的工单），未导入任何工单，请重新导入。")) from exc
    finally:
        progress.close()
    return ctx


def _notify_done(run: ImportRun, ctx: _Context):
    """One notification to the uploader (not one per complaint): the result page, with the triage count."""
    from accounts.services import notify

    try:
        url = reverse("complaints:import_detail", args=[run.pk])
    except Exception:  # pragma: no cover - the pages are always mounted
        url = ""
    body = _("新建 %(c)s 件，重复跳过 %(d)s 件，待分拣 %(t)s 件。") % {
        "c": ctx.created, "d": ctx.duplicates, "t": ctx.triage}
    notify(users=[run.uploaded_by], key=f"complaint-import:{run.pk}:done",
           title=_("工单导入完成：%(f)s") % {"f": run.original_name}, body=body, url=url)
