"""Fast bulk writes for the city-scale jobs (ratings, payouts).

Django's bulk_create spends most of its time preparing values in Python
(about 1.4 s for 12,000 rating rows here). On PostgreSQL we hand plain
tuples to psycopg2's execute_values instead, which is several times faster;
other databases (SQLite in development) use bulk_create. Values must already
be what the column stores (Decimal, int, str, date, datetime); callers pass
the same rows either way, so both paths write the same data. Plain inserts
go through COPY (faster still); upserts through INSERT … ON CONFLICT.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator, Sequence

from django.db import connection


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence], *, conflict: Sequence[str] = (),
                update: Sequence[str] = (), page_size: int = 5000) -> None:
    """INSERT rows of `fields` (attnames, e.g. "estate_id"); with `conflict` + `update`, an upsert."""
    rows = list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(fields, r))) for r in rows]
        if conflict:
            model._default_manager.bulk_create(objs, batch_size=2000, update_conflicts=True,
                                               unique_fields=[f.removesuffix("_id") for f in conflict],
                                               update_fields=[f.removesuffix("_id") for f in update])
        else:
            model._default_manager.bulk_create(objs, batch_size=2000)
        return
    from psycopg2.extras import execute_values

    opts = model._meta
    quote = connection.ops.quote_name

    def column(name):
        return quote(opts.get_field(name.removesuffix("_id") if name.endswith("_id") else name).column)

    if not conflict:
        _copy(quote(opts.db_table), [column(f) for f in fields], rows)
        return
    sql = f"INSERT INTO {quote(opts.db_table)} ({', '.join(column(f) for f in fields)}) VALUES %s"
    if conflict:
        sql += (f" ON CONFLICT ({', '.join(column(f) for f in conflict)}) DO UPDATE SET "
                + ", ".join(f"{column(f)} = EXCLUDED.{column(f)}" for f in update))
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, rows, page_size=page_size)


def _copy(table: str, columns: list[str], rows: list[Sequence]) -> None:
    """Plain inserts through COPY … FROM STDIN (CSV, NULL written as \\N)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)


def chunks(items: Iterable, n: int) -> Iterator[list]:
    """Lists of up to `n` items, in order (itertools.batched, which arrives with Python 3.12)."""
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
