"""Confirm and import a checked run, all or nothing (`import_run_confirm`, `import_run_execute`): the
kept rows or the file read again, COPY writes, progress on a connection of its own, the notification."""
from __future__ import annotations

import datetime
import json
import logging
import zlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.bulk import insert_rows
from communities.models import Estate
from enterprises.selectors import firm_on, spans_by_estate

from ... import imports as reader
from ...matching import EstateMatcher
from ...models import Action, Category, Complaint, ComplaintEvent, ImportRun, ImportStatus, Status
from ...numbers import new_number, new_tracking_code
from . import common
from .common import Checked, _check_aware, _database_errors, _existing_numbers, _matcher, _Policies, _stream, may_import
from .mappings import mapping_spec
from .stage import _drop_stage, _staged_rows

log = logging.getLogger(__name__)

INLINE_MAX_ROWS = 2000  # confirmed runs up to this size are imported in the request; bigger ones by the task


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
    progress = _Progress(run.pk, enabled=run.total_rows > common.CHUNK)
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
                from ..marks import complaints_flag_repeated

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
    from accounts.notices import Place, handoff

    try:
        url = reverse("complaints:import_detail", args=[run.pk])
    except Exception:  # pragma: no cover - the pages are always mounted
        url = ""
    body = _("新建 %(c)s 件，重复跳过 %(d)s 件，待分拣 %(t)s 件。") % {
        "c": ctx.created, "d": ctx.duplicates, "t": ctx.triage}
    handoff("complaint_import.done", place=Place.of(users=[run.uploaded_by_id]), key=str(run.pk),
            title=_("工单导入完成：%(f)s") % {"f": run.original_name}, body=body, url=url)
