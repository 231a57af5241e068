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

The package, by step: mappings.py (the mappings and `mapping_spec`), check.py (upload, the whole-file check
in the request or the task, the preview), stage.py (the checked rows kept beside the file), execute.py
(confirm and import), common.py (what the check and the import share).

Only the functions other code calls are re-exported here. The tunables (`CHUNK` in common.py,
`CHECK_INLINE_MAX_BYTES` in check.py, `INLINE_MAX_ROWS` in execute.py) are not: each is read in its own
module, so a test changes it there, and a patch aimed at this package fails instead of changing nothing.
"""
from .check import PreviewRow, import_run_check, import_run_preview, import_run_upload
from .common import Checked, importable_streets, may_import
from .common import _matcher, _Policies  # noqa: F401 (tests/complaints/test_matching.py builds a run's matcher)
from .execute import import_run_confirm, import_run_execute
from .mappings import (
    DEFAULT_MAPPING_NAME,
    mapping_create,
    mapping_ensure_default,
    mapping_spec,
    mapping_update,
    may_edit_mappings,
)

__all__ = [
    "DEFAULT_MAPPING_NAME",
    "Checked",
    "PreviewRow",
    "import_run_check",
    "import_run_confirm",
    "import_run_execute",
    "import_run_preview",
    "import_run_upload",
    "importable_streets",
    "mapping_create",
    "mapping_ensure_default",
    "mapping_spec",
    "mapping_update",
    "may_edit_mappings",
    "may_import",
]
