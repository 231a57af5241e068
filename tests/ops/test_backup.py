"""`make backup` and `make restore` (README "Backup and restore") on PostgreSQL, with the demo data.

Two scratch databases next to the test database (`<test db>_bk_src`, `<test db>_bk_dst`), dropped
afterwards. The source is migrated and seeded by subprocesses exactly as an operator would, a batch is
approved and media files are written; the backup is taken and restored with the documented make targets,
and everything is compared: each table's row count, the approved-or-later payout sum, the media files.
"""
import hashlib
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db

MAIN_TABLES = ["accounts_user", "accounts_roleassignment", "accounts_notification", "communities_district",
               "communities_street", "communities_community", "communities_estate", "communities_ownercommittee",
               "enterprises_firm", "enterprises_servicecontract", "inspections_inspection",
               "inspections_rectificationorder", "ratings_application", "ratings_ratingperiod",
               "ratings_starrating", "subsidies_payoutbatch", "subsidies_payout", "subsidies_batchevent"]
PAID_SUM = """SELECT count(*), coalesce(sum(p.amount), 0) FROM subsidies_payout p
              JOIN subsidies_payoutbatch b ON b.id = p.batch_id
              WHERE b.status IN ('approved', 'disbursed', 'completed')"""
APPROVE_DEMO_BATCH = """
from accounts.models import User
from subsidies.models import PayoutBatch
from subsidies.services.approvals import batch_transition
batch = PayoutBatch.objects.get(district__name="山亭区", status="generated")
batch_transition(actor=User.objects.get(username="district_staff"), batch=batch, action="check")
batch_transition(actor=User.objects.get(username="district_admin"), batch=batch, action="approve",
                 override_reason="备份测试")
print("approved", batch.pk)
"""


@pytest.fixture
def scratch(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("backup and restore are for PostgreSQL (DATABASE_URL=postgres://…)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("make")):
        pytest.skip("needs pg_dump, pg_restore and make")
    db = connection.settings_dict
    base = db["NAME"]
    names = {"src": f"{base}_bk_src", "dst": f"{base}_bk_dst"}
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"

    def admin(sql):
        conn = psycopg2.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                                dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.close()

    for name in names.values():
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{names["src"]}"')
    try:
        yield {key: url + name for key, name in names.items()} | {"tmp": tmp_path}
    finally:
        for name in names.values():
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args, **env):
    full = {**os.environ, "DEBUG": "1", **env}
    full.pop("MAKEFLAGS", None)
    out = subprocess.run(args, cwd=settings.BASE_DIR, env=full, capture_output=True, text=True, timeout=300)
    return out


def ok(args, **env):
    out = run(args, **env)
    assert out.returncode == 0, f"{args}: {out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def figures(url):
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            counts = {}
            for table in MAIN_TABLES:
                cur.execute(f'SELECT count(*) FROM "{table}"')
                counts[table] = cur.fetchone()[0]
            cur.execute(PAID_SUM)
            paid = cur.fetchone()
    finally:
        conn.close()
    return counts, paid


def files(root: Path):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_make_backup_and_make_restore_give_back_every_row_and_file(scratch):
    python = str(Path(settings.BASE_DIR) / ".venv" / "bin" / "python")
    python = python if os.path.exists(python) else "python"
    src_media, dst_media, backups = scratch["tmp"] / "media", scratch["tmp"] / "restored-media", \
        scratch["tmp"] / "backups"
    src = {"DATABASE_URL": scratch["src"], "MEDIA_ROOT": str(src_media)}

    # The demo portal, with one batch approved and a few uploaded files.
    ok([python, "manage.py", "migrate", "--no-input", "-v", "0"], **src)
    ok([python, "manage.py", "seed_demo"], **src)
    assert "approved" in ok([python, "manage.py", "shell", "-c", APPROVE_DEMO_BATCH], **src)
    (src_media / "orders" / "2026" / "10").mkdir(parents=True)
    (src_media / "orders" / "2026" / "10" / "整改照片-1.png").write_bytes(bytes(range(256)) * 40)
    (src_media / "inspections").mkdir()
    (src_media / "inspections" / "现场.jpg").write_bytes(b"\xff\xd8" + os.urandom(5000))
    before, before_paid = figures(scratch["src"])
    assert before["communities_estate"] > 0 and before_paid[0] > 0 and before_paid[1] > Decimal("0")

    # `make backup`, as the README says.
    out = ok(["make", "--no-print-directory", "backup"], BACKUP_DIR=str(backups), **src)
    [backup] = list(backups.iterdir())
    assert backup.name.startswith("portal-") and str(backup) in out
    assert sorted(p.name for p in backup.iterdir()) == ["database.dump", "manifest.json", "media.tar.gz"]

    # `make restore BACKUP=…` into another, empty, database and media directory.
    dst = {"DATABASE_URL": scratch["dst"], "MEDIA_ROOT": str(dst_media)}
    out = ok(["make", "--no-print-directory", "restore", f"BACKUP={backup}"], **dst)
    assert "row counts checked" in out
    after, after_paid = figures(scratch["dst"])
    assert after == before
    assert after_paid == before_paid
    # The demo's media: two inspection photos, the complaints' photos and its 12345 import files, and the
    # report attached to 山城街道's media exposure (demo/fund_sanctions.py: evidence is required).
    assert files(dst_media) == files(src_media) and len(files(dst_media)) == 25
    print(f"restored: {sum(after.values())} rows in {len(after)} main tables, {after_paid[0]} approved "
          f"payout lines summing {after_paid[1]} yuan, {len(files(dst_media))} media files")

    # A second restore into the now non-empty database is refused and changes nothing.
    shutil.rmtree(dst_media)
    refused = run(["make", "--no-print-directory", "restore", f"BACKUP={backup}"], **dst)
    assert refused.returncode != 0 and "is not empty" in refused.stderr
    assert figures(scratch["dst"]) == (after, after_paid)
