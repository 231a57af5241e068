"""Backup and restore of the portal: the PostgreSQL database (pg_dump, custom format) and MEDIA_ROOT.

A backup is a directory `portal-YYYYmmdd-HHMMSS/` holding

- `database.dump`: `pg_dump --format=custom` of the whole database;
- `media.tar.gz`: every file under MEDIA_ROOT (uploaded photos and files);
- `manifest.json`: when, from which database, and the row count of every table *in the dump's own
  snapshot* (the counts and the dump read the same exported snapshot), which `restore` checks.

It is written under a `.partial` name and renamed when complete, so a directory named
`portal-…` is always a whole backup. The dump is taken first and the media after it: a file
uploaded in between is in the archive without its row, which is harmless, while every row's
file is there.

`restore` writes into an empty database only (it refuses one with any table in it) and an empty
MEDIA_ROOT, so it can never mix a backup with live data; it creates the database when it does not
exist yet.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import psycopg2
from django.conf import settings
from django.db import connections

DUMP = "database.dump"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


def _db() -> dict:
    db = connections["default"].settings_dict
    if "postgresql" not in db["ENGINE"]:
        raise BackupError("backup and restore need PostgreSQL (DATABASE_URL=postgres://…); "
                          f"this database is {db['ENGINE']}")
    return db


def _libpq_env(db: dict) -> dict:
    env = dict(os.environ)
    env.update({"PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432),
                "PGUSER": db["USER"] or "postgres", "PGDATABASE": db["NAME"]})
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _connect(db: dict, dbname: str | None = None):
    return psycopg2.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres",
                            password=db.get("PASSWORD") or None, dbname=dbname or db["NAME"],
                            sslmode=db.get("OPTIONS", {}).get("sslmode"))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client)")
    return path


def table_counts(cursor) -> dict[str, int]:
    """Rows of every ordinary table in the public schema."""
    cursor.execute("""SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname""")
    counts = {}
    for (name,) in cursor.fetchall():
        cursor.execute(f'SELECT count(*) FROM "{name}"')
        counts[name] = cursor.fetchone()[0]
    return counts


def backup_create(*, directory: Path, now: datetime.datetime) -> Path:
    """Write a whole backup into `directory`/portal-<now>/ and return its path."""
    db = _db()
    pg_dump = _tool("pg_dump")
    directory.mkdir(parents=True, exist_ok=True)
    name = f"portal-{now:%Y%m%d-%H%M%S}"
    final, partial = directory / name, directory / f"{name}.partial"
    if final.exists():
        raise BackupError(f"{final} exists already")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()

    # One snapshot for the dump and the counts: a REPEATABLE READ transaction exports it and stays open
    # while pg_dump reads it.
    conn = _connect(db)
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cur.fetchone()
            counts = table_counts(cur)
            subprocess.run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                            f"--file={partial / DUMP}"], env=_libpq_env(db), check=True, capture_output=True,
                           text=True)
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"pg_dump failed: {exc.stderr.strip()}") from exc
    finally:
        conn.close()

    media_root = Path(settings.MEDIA_ROOT)
    media_files = 0
    with tarfile.open(partial / MEDIA, "w:gz") as tar:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
                    media_files += 1
    (partial / MANIFEST).write_text(json.dumps({
        "created_at": now.isoformat(), "database": db["NAME"], "server_version": server_version,
        "media_root": str(media_root), "media_files": media_files, "tables": counts,
    }, ensure_ascii=False, indent=1))
    partial.rename(final)
    return final


def _empty_database(db: dict) -> None:
    """Refuse a database with any table, view or sequence outside the system schemas; create a missing one."""
    try:
        conn = _connect(db)
    except psycopg2.OperationalError as exc:
        if f'database "{db["NAME"]}" does not exist' not in str(exc):
            raise BackupError(f"cannot connect to {db['NAME']}: {exc}") from exc
        admin = _connect(db, dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{db["NAME"]}"')
        admin.close()
        return
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                             AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
                             AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')""")
            (objects,) = cur.fetchone()
    finally:
        conn.close()
    if objects:
        raise BackupError(f"database {db['NAME']} is not empty ({objects} tables, views or sequences): restore only "
                          "into an empty database (createdb a new one and point DATABASE_URL at it)")


def backup_restore(*, path: Path) -> dict:
    """Restore the backup at `path` into the empty database of DATABASE_URL and the empty MEDIA_ROOT.

    Returns the manifest's figures after checking every table's row count against them.
    """
    db = _db()
    pg_restore = _tool("pg_restore")
    for part in (DUMP, MEDIA, MANIFEST):
        if not (path / part).is_file():
            raise BackupError(f"{path} is not a whole backup: {part} is missing")
    manifest = json.loads((path / MANIFEST).read_text())
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir() and any(p.is_file() for p in media_root.rglob("*")):
        raise BackupError(f"MEDIA_ROOT {media_root} is not empty: restore only into an empty media directory")
    _empty_database(db)
    connections["default"].close()

    result = subprocess.run([pg_restore, "--no-password", "--no-owner", "--no-privileges", "--exit-on-error",
                             "--single-transaction", f"--dbname={db['NAME']}", str(path / DUMP)],
                            env=_libpq_env(db), capture_output=True, text=True)
    if result.returncode:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")

    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path / MEDIA, "r:gz") as tar:
        tar.extractall(media_root, filter="data")

    conn = _connect(db)
    try:
        with conn.cursor() as cur:
            counts = table_counts(cur)
    finally:
        conn.close()
    wrong = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if wrong:
        raise BackupError("restored row counts differ from the backup's: " + ", ".join(
            f"{t} {a} → {b}" for t, (a, b) in sorted(wrong.items())))
    files = sum(1 for p in media_root.rglob("*") if p.is_file())
    if files != manifest["media_files"]:
        raise BackupError(f"restored {files} media files, the backup has {manifest['media_files']}")
    return manifest
