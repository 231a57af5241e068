"""The rows a check found good, kept beside the uploaded file for the import (`_StageWriter`,
`_staged_rows`, `_drop_stage`)."""
from __future__ import annotations

import datetime
import hashlib
import json
import logging
import tempfile
from typing import Iterator

from django.core.files import File

from ... import imports as reader
from ...models import ImportRun

log = logging.getLogger(__name__)

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
