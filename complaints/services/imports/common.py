"""What the check and the import share: who may import, the policies and estate matcher of a run, the
chunked stream of checked rows (`_stream`, `Checked`), the probe for numbers already registered."""
from __future__ import annotations

import datetime
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Iterator

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.bulk import chunks as _chunks
from accounts.capabilities import allows, units
from accounts.scope import scope_of
from communities.models import District, Street

from ... import imports as reader
from ...matching import EstateMatcher, build_matcher
from ...models import Complaint, TimeLimitPolicy

# Rows per chunk, as the check streams them and the import writes them. Read here by `_stream` and by
# execute.py as `common.CHUNK` (one name: a test that sets it reaches both).
CHUNK = 2000


def _check_aware(now):
    if now is None or timezone.is_naive(now):
        raise ValueError("now must be an aware datetime")


# --------------------------------------------------------------------------- who may do what

def may_import(user, street: Street) -> bool:
    """Street staff for their street; district administrators for every street of their district."""
    return (allows(user, "complaints.import", level="street", unit_id=street.pk)
            or allows(user, "complaints.import", level="district", unit_id=street.district_id))


def importable_streets(user):
    """The streets `user` may import into (the upload form's choices)."""
    scope = scope_of(user)
    qs = Street.objects.select_related("district").order_by("district__name", "name")
    if scope.city_admin:
        return qs
    return qs.filter(Q(pk__in=units(user, "complaints.import", "street"))
                     | Q(district_id__in=units(user, "complaints.import", "district")))


# --------------------------------------------------------------------------- reading and checking

class _Policies:
    """The district's time-limit policy in force on each day (policy_on, read once for the whole run)."""

    def __init__(self, district: District):
        from ..policy import ensure_default_policy

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


def _database_errors() -> tuple:
    from config.celery import IDEMPOTENT_JOB

    return tuple(IDEMPOTENT_JOB["autoretry_for"])
