"""The 12345 import at 100,000 rows on PostgreSQL (issue 11: ≤ 60 s, flat memory).

Data: one district of 12 streets and 300 estates with everyday names (锦绣花园, 幸福家园二期, 紫荆小区 …), 270
of them served under a contract, 60 with an alias; a 100,000-row export over 90 days written by
complaints/hotline_sample.py (8 % of the addresses name a road crossing and go to triage).

Each run starts from an empty complaints table and times what a clerk waits for:
  check   = import_run_upload, then for a file over 1 MB import_run_check (the task complaints.import_check):
            the whole-file check (read, parse, match, look up duplicates)
  import  = import_run_execute (read and check again, match, COPY complaints and events, one transaction,
            then complaints_flag_repeated, timed on its own beside it)
and checks the result (100,000 complaints and events, triage count, a second run of the same file creates
nothing). Memory: peak RSS (resource.getrusage) after a 10,000-row run and after the 100,000-row runs; the
same peak means the import does not hold the file.

    make bench-import            (BENCH_ROWS=100000 BENCH_RUNS=5 by default)
"""
import datetime
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _setup import Timer, connection, fresh_database

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
# complaints_flag_repeated (the core services' step the import calls once at its end) is part of the import
# and timed with it (and on its own beside it). On this data (3.7 reports per estate and day) it flags
# thousands of cases in one call. BENCH_FLAGS=0 leaves it out of the big runs, to see the rest alone.
FLAGS = os.environ.get("BENCH_FLAGS", "1") == "1"
NOW = datetime.datetime(2026, 12, 1, 18, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
PREFIXES = ("锦绣", "幸福", "阳光", "金色", "翠竹", "梅花", "紫荆", "银河", "碧水", "和平", "建业", "正商", "绿城", "永威",
            "鑫苑", "亚星", "天伦", "嵩山", "黄河", "中原", "文化", "康桥", "英协", "美景", "名门", "万科", "升龙", "瀚海",
            "民航", "航海")
SUFFIXES = ("花园", "家园", "小区", "苑", "新村", "华庭", "公馆", "雅居", "城", "花园二期")
STREETS = ("东风", "建设", "文化", "人民", "解放", "大学", "紫荆山", "二七", "航海", "嵩山", "桐柏", "南阳")


def pg_backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same host only: /proc)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def build():
    import random

    from accounts.models import Role, RoleAssignment, User
    from communities.models import Community, District, DistrictPolicy, Estate, Street
    from complaints.models import EstateAlias
    from enterprises.models import Firm, ServiceContract
    from enterprises.validators import generate_credit_code

    rnd = random.Random(11)
    district = District.objects.create(name="基准区")
    DistrictPolicy.objects.create(district=district, effective_from="2000-01-01")
    streets = [Street.objects.create(district=district, name=f"{n}街道") for n in STREETS]
    communities = [Community.objects.create(street=s, name=f"{s.name[:-2]}{i}社区") for s in streets for i in range(1, 5)]
    firms = [Firm.objects.create(name=f"基准{i}物业服务有限公司", credit_code=generate_credit_code(rnd),
                                 legal_representative="法人", registered_district=district) for i in range(40)]
    names = [p + s for p in PREFIXES for s in SUFFIXES]
    rnd.shuffle(names)
    estates = []
    for i, name in enumerate(names[:300]):
        estates.append(Estate(community=communities[i % len(communities)], name=name, completion_year=1990 + i % 30,
                              total_area=10000 + i, address=""))
    Estate.objects.bulk_create(estates)
    estates = list(Estate.objects.filter(community__street__district=district)
                   .select_related("community__street__district").order_by("pk"))
    contracts = []
    for i, e in enumerate(estates[:270]):
        contracts.append(ServiceContract(estate=e, firm=firms[i % len(firms)], start_date=datetime.date(2024, 1, 1),
                                         end_date=datetime.date(2027, 12, 31), fee_standard="1.20", bond="50000"))
    ServiceContract.objects.bulk_create(contracts)
    aliases = {}
    for e in estates[:60]:
        alias = e.name + "东区"
        EstateAlias.objects.create(estate=e, name=alias)
        aliases[e.name] = [alias]
    user = User.objects.create(username="bench-import", full_name="基准", is_active=True)
    RoleAssignment.objects.create(user=user, role=Role.STREET_STAFF, street=streets[0])
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return district, streets[0], estates, aliases, user


def generate(path: Path, estates, aliases, rows: int, seed: int):
    from complaints.hotline_sample import write_hotline_xlsx

    write_hotline_xlsx(str(path), estates=estates, count=rows, end=NOW - datetime.timedelta(hours=1), days=90,
                       seed=seed, aliases=aliases, district_name="基准区")


def clear():
    with connection.cursor() as cur:
        cur.execute("TRUNCATE complaints_complaintevent, complaints_firmhandling, complaints_attachment, "
                    "complaints_complaint, complaints_importrun, accounts_notification CASCADE")


def one_run(path: Path, street, mapping, user, flag_times: list):
    from django.core.files import File

    from complaints.models import ImportRun, ImportStatus
    from complaints.services.imports import import_run_check, import_run_execute, import_run_upload

    cpu, pg = time.process_time(), pg_backend_cpu()
    with open(path, "rb") as fh, Timer() as check:
        run = import_run_upload(actor=user, street=street, mapping=mapping, uploaded_file=File(fh, name=path.name),
                                now=NOW)
        if run.status == ImportStatus.CHECKING:  # a file over 1 MB: the task complaints.import_check checks it
            import_run_check(run_id=run.pk, now=NOW)
            run.refresh_from_db()
    assert run.status == ImportStatus.UPLOADED, run.errors[:3]
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.QUEUED)  # what confirm does for a big file
    before = len(flag_times)
    with Timer() as execute:
        result = import_run_execute(run_id=run.pk, now=NOW)
    assert result["status"] == ImportStatus.DONE, result
    flag = flag_times[before] if len(flag_times) > before else 0.0
    pg_after = pg_backend_cpu()
    result["cpu"] = time.process_time() - cpu
    result["pg_cpu"] = pg_after - pg if pg is not None and pg_after is not None else None
    return check.seconds, execute.seconds, flag, result


def main():
    import django.conf

    from complaints.models import Complaint, ComplaintEvent
    from complaints.services import marks
    from complaints.services.imports import mapping_ensure_default

    media = tempfile.mkdtemp(prefix="bench-import-media-")
    django.conf.settings.MEDIA_ROOT = media
    # As in production: with DEBUG (which _setup turns on) Django keeps every query's SQL, thousands of
    # number lists here, and the peak RSS would measure that log rather than the import.
    django.conf.settings.DEBUG = False
    print(f"building 300 estates, then a {ROWS:,}-row 12345 export …", flush=True)
    fresh_database()
    district, street, estates, aliases, user = build()
    mapping = mapping_ensure_default(district=district)
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    big, small = work / "12345-big.xlsx", work / "12345-10k.xlsx"
    with Timer() as t:
        generate(big, estates, aliases, ROWS, seed=1)
        generate(small, estates, aliases, min(10_000, ROWS), seed=2)
    print(f"  files written in {t.seconds:.1f} s: {big.stat().st_size / 1024 / 1024:.1f} MB "
          f"({ROWS:,} rows), {small.stat().st_size / 1024 / 1024:.1f} MB (10,000 rows)")

    flag_times: list[float] = []
    real_flag = marks.complaints_flag_repeated

    flag_state = {"on": True, "flagged": 0}

    def timed_flag(**kwargs):
        with Timer() as t:
            n = real_flag(**kwargs) if flag_state["on"] else 0
        flag_times.append(t.seconds)
        flag_state["flagged"] = n
        return n

    marks.complaints_flag_repeated = timed_flag

    rss_start = rss_mb()
    c, e, f, result = one_run(small, street, mapping, user, flag_times)
    rss_small = rss_mb()
    print(f"  10,000 rows: check {c:.1f} s + import {e:.1f} s, of which complaints_flag_repeated {f:.1f} s "
          f"({flag_state['flagged']:,} cases flagged)", flush=True)
    flag_state["on"] = FLAGS
    clear()

    totals, checks, executes, flags, cpus, pg_cpus = [], [], [], [], [], []
    for i in range(RUNS):
        clear()
        c, e, f, result = one_run(big, street, mapping, user, flag_times)
        checks.append(c)
        executes.append(e)
        flags.append(f)
        totals.append(c + e)
        cpus.append(result["cpu"])
        pg_cpus.append(result["pg_cpu"])
        print(f"  run {i + 1}: check {c:.1f} s + import {e:.1f} s (of which complaints_flag_repeated {f:.1f} s) "
              f"= {c + e:.1f} s; CPU: Python {result['cpu']:.1f} s, PostgreSQL {result['pg_cpu'] or 0:.1f} s; "
              f"created {result['created']:,}, triage {result['triage']:,}; load average {os.getloadavg()[0]:.1f}",
              flush=True)
    rss_big = rss_mb()
    assert Complaint.objects.count() == ComplaintEvent.objects.filter(action="receive").count() == result["created"]
    assert result["created"] == ROWS
    # idempotent: the same file again creates nothing
    c, e, f, again = one_run(big, street, mapping, user, flag_times)
    assert again["created"] == 0 and again["duplicates"] == ROWS, again
    print(f"  second import of the same file: {again['duplicates']:,} skipped as already imported, 0 created "
          f"(check {c:.1f} s + import {e:.1f} s)")

    def line(label, xs):
        return f"{label:<40} min {min(xs):6.1f}  median {statistics.median(xs):6.1f}  max {max(xs):6.1f} s"

    print(f"\n{ROWS:,} rows, {RUNS} runs on PostgreSQL"
          f"{'' if FLAGS else ' (BENCH_FLAGS=0: complaints_flag_repeated not called)'}:")
    print(line("check at upload", checks))
    print(line("import (kept rows: match, insert, commit)", executes))
    print(line("  of which complaints_flag_repeated", flags))
    print(line("check + import (goal ≤ 60 s)", totals))
    print(line("CPU time, Python process", cpus))
    if all(x is not None for x in pg_cpus):
        print(line("CPU time, PostgreSQL backend", pg_cpus))
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(wall times stretch with the machine's load; the CPU times much less)")
    print(f"peak RSS: {rss_start:.0f} MB before importing, {rss_small:.0f} MB after a 10,000-row import, "
          f"{rss_big:.0f} MB after the {ROWS:,}-row imports")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
