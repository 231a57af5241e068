"""Outages with the real services: Redis stopped, a worker killed with SIGKILL mid-task, PostgreSQL restarted.

Run by `.ci/run` (its "outage" step) or by hand, on a database and Redis databases of their own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_outage \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/4 CELERY_RESULT_BACKEND=redis://127.0.0.1:6379/5 \\
    .venv/bin/python -m pytest -q -m outage tests/ops/test_outage.py

They stop and start the machine's Redis and PostgreSQL (STACK.md's commands), so they run only when
selected with `-m outage`, as root, with DATABASE_URL on PostgreSQL and CELERY_BROKER_URL on the local
Redis (a database number other than 0, which they empty); anything else skips them. Each outage lasts a
few seconds; every test leaves both services running (try/finally), whatever happens. The tests use
pytest-django's test database (transaction=True), never the named one.
"""
import datetime
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ops.models import OutboxMessage, OutgoingEmail
from ops.services import outbox_relay

from .payout_district import MONTH, batch_rows, build_district, drop_batch

pytestmark = [pytest.mark.outage, pytest.mark.django_db(transaction=True)]

ESTATES = 16000  # the job takes about two seconds for 48,000 lines: long enough to be caught mid-transaction
REDIS_PORT = 6379
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", str(REDIS_PORT),
               "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]


def _pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[0] if os.path.isdir("/etc/postgresql") else ""


def _why_not() -> str | None:
    broker = urlparse(str(settings.CELERY_BROKER_URL))
    if connection.vendor != "postgresql":
        return "needs DATABASE_URL=postgres://… (PostgreSQL)"
    if broker.scheme != "redis" or broker.hostname not in ("127.0.0.1", "localhost") or \
            (broker.port or 6379) != REDIS_PORT:
        return f"needs CELERY_BROKER_URL=redis://127.0.0.1:{REDIS_PORT}/N (the local Redis it may restart)"
    if broker.path.strip("/") in ("", "0"):
        return "needs a Redis database of its own (redis://127.0.0.1:6379/4, not 0): the tests empty it"
    if os.geteuid() != 0:
        return "needs root to stop and start Redis and PostgreSQL"
    missing = [c for c in ("redis-server", "redis-cli", "pg_ctlcluster", "pg_isready") if not shutil.which(c)]
    if missing or not _pg_version():
        return f"needs {' '.join(missing) or '/etc/postgresql/<version>'}"
    return None


@pytest.fixture(autouse=True)
def outage_env(request):
    if "outage" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("stops Redis and restarts PostgreSQL: run with -m outage (as .ci/run does)")
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    db_number = urlparse(str(settings.CELERY_BROKER_URL)).path.strip("/")
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "-n", db_number, "flushdb"], check=True,
                   capture_output=True)  # no message left over from an earlier run
    try:
        yield
    finally:
        ensure_services()


# --- the services ----------------------------------------------------------------------------------------------


def wait_for(what, check, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def redis_up() -> bool:
    out = subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True)
    return out.stdout.strip() == "PONG"


def stop_redis():
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"], capture_output=True)
    wait_for("Redis to stop", lambda: not redis_up(), 10)


def start_redis():
    for d in ("/var/lib/redis", "/var/log/redis"):
        os.makedirs(d, exist_ok=True)
    subprocess.run(REDIS_START, check=True, capture_output=True)
    wait_for("Redis to answer", redis_up, 15)


def postgres_up() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0


def restart_postgres():
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "restart"], check=True,
                   capture_output=True)
    wait_for("PostgreSQL to accept connections", postgres_up, 30)
    connection.close()  # this process's connection died with the server; the next query opens a new one


def ensure_services():
    if not redis_up():
        start_redis()
    if not postgres_up():
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "start"],
                       capture_output=True)
        wait_for("PostgreSQL to accept connections", postgres_up, 30)
    connection.close()


# --- a real worker -----------------------------------------------------------------------------------------------


class Worker:
    """`celery -A config worker` in a session of its own (so kill -9 reaches its pool too), on the test database."""

    def __init__(self, tmp_path: Path, name: str, pool: str = "solo", **env):
        self.name, self.log_path = name, tmp_path / f"{name}.log"
        db = connection.settings_dict
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", **env,
                        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                                     f"/{db['NAME']}")
        with open(self.log_path, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool, "--concurrency", "1",
                 "-l", "info", "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=settings.BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(f"worker {name} to be ready", lambda: " ready." in self.log(), 60)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pool_child(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        print(f"--- {self.name} ---\n{self.log()[-3000:]}")


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(name, **kwargs):
        w = Worker(tmp_path, name, **kwargs)
        started.append(w)
        return w

    try:
        yield start
    finally:
        for w in started:
            w.stop()


WRITING_JOB = """
    SELECT a.pid FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
      AND a.backend_xid IS NOT NULL
      AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.mode = 'RowExclusiveLock'
                  AND l.relation = 'subsidies_payout'::regclass)"""


def writing_backend() -> int | None:
    """The worker's PostgreSQL session while its batch transaction is open and writing payout lines (not
    autovacuum, which also shows up with a transaction id after the big inserts)."""
    with connection.cursor() as cur:
        cur.execute(WRITING_JOB)
        row = cur.fetchone()
    return row[0] if row else None


def other_backends() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND backend_xid IS NOT NULL")
        return cur.fetchone()[0]


def catch_mid_transaction(timeout=60) -> int:
    """Wait until the job is writing: its transaction has written rows and not committed yet."""
    found = []
    wait_for("the job's open write transaction", lambda: found.append(writing_backend()) or found[-1], timeout,
             interval=0.01)
    return found[-1]


def reference_batch(district):
    """An undisturbed run's batch (the service in this process), removed again afterwards."""
    from subsidies.services.generation import generate_batch

    generate_batch(district=district, month=MONTH)
    rows = batch_rows(district)
    drop_batch(district)
    assert rows["line_count"] == 3 * ESTATES and rows["total"] > 0
    return rows


def send_monthly_job():
    from subsidies.tasks import generate_monthly_payouts_task

    return generate_monthly_payouts_task.apply_async(args=[MONTH.isoformat()])


# --- (a) Redis down: the page answers, the e-mail waits in the outbox, and goes out when Redis is back ----------


def test_with_redis_stopped_pages_answer_and_the_email_is_sent_after_restart(world, client, settings, tmp_path,
                                                                             workers):
    settings.NOTIFY_BY_EMAIL = True
    mail_dir = tmp_path / "mail"
    for name, user in world.users.items():
        user.email = f"{name}@example.gov.cn"
        user.save(update_fields=["email"])
    client.force_login(world.users["street_staff"])
    worker = workers("mail", EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                     EMAIL_FILE_PATH=str(mail_dir))

    stop_redis()
    try:
        started = time.monotonic()
        deadline = timezone.localdate() + datetime.timedelta(days=7)
        response = client.post(reverse("inspections:order_create") + f"?estate={world.estate_a1.pk}",
                               {"estate": world.estate_a1.pk, "problem": "消防通道堆放杂物",
                                "requirement": "三日内清理", "deadline": deadline.isoformat()})
        took = time.monotonic() - started
        assert response.status_code == 302, response.content.decode()[:800]
        assert took < 3, f"the page took {took:.1f} s with Redis down"
        assert client.get(response.url).status_code == 200
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("inspections:order_list")).status_code == 200
        message = OutboxMessage.objects.get()
        email = OutgoingEmail.objects.get()
        assert (message.task, message.args, message.sent_at) == ("ops.send_email", [email.pk], None)
        assert message.attempts == 1 and message.last_error
        assert email.sent_at is None and email.recipients == ["firm_user@example.gov.cn"]
    finally:
        start_redis()
    print(f"page with Redis down: {took:.2f} s; outage and restart done")

    result = outbox_relay(now=timezone.now())  # what beat's minute relay does
    assert (result.sent, result.failed) == (1, 0)
    wait_for("the worker to send the e-mail", lambda: OutgoingEmail.objects.filter(sent_at__isnull=False).exists(),
             90, interval=0.5)
    sent = b"".join(p.read_bytes() for p in mail_dir.iterdir())
    assert b"firm_user@example.gov.cn" in sent
    message.refresh_from_db()
    assert message.sent_at is not None
    assert f"ops.send_email[{message.task_id}] succeeded" in worker.log()
    assert outbox_relay(now=timezone.now()).sent == 0  # nothing is sent twice


# --- (b) a worker killed with SIGKILL mid-task ---------------------------------------------------------------------


def test_a_worker_killed_mid_task_ends_with_the_undisturbed_batch(workers):
    district = build_district("中断区", ESTATES)
    expected = reference_batch(district)

    # 1. The pool process dies (the kernel's OOM killer, say): reject_on_worker_lost puts the message back
    #    at once and the worker's next pool process runs the job again.
    worker = workers("prefork", pool="prefork", CELERY_VISIBILITY_TIMEOUT="5")
    send_monthly_job()
    catch_mid_transaction()
    os.kill(worker.pool_child(), signal.SIGKILL)
    wait_for("the job to run again and commit", lambda: "succeeded" in worker.log(), 90, interval=0.5)
    assert "WorkerLostError" in worker.log() and "signal 9" in worker.log()
    assert batch_rows(district) == expected
    drop_batch(district)

    # 2. The whole worker dies: the message was never acknowledged (acks_late), so Redis gives it to the
    #    next worker once the visibility timeout (5 s here, an hour in production) has passed.
    send_monthly_job()
    catch_mid_transaction()
    killed_at = time.monotonic()
    worker.kill()
    wait_for("the killed worker's transaction to roll back", lambda: other_backends() == 0, 30)
    assert batch_rows(district) is None  # nothing half-written
    time.sleep(max(0.0, killed_at + 5.5 - time.monotonic()))
    successor = workers("successor", CELERY_VISIBILITY_TIMEOUT="5")
    wait_for("the next worker to run the job", lambda: "subsidies.generate_monthly" in successor.log()
             and "succeeded" in successor.log(), 90, interval=0.5)
    assert batch_rows(district) == expected


# --- (c) PostgreSQL drops the job's connection, then restarts, while the job runs --------------------------------


def test_postgres_dropping_or_restarting_mid_job_is_retried_and_ends_with_the_undisturbed_batch(workers):
    district = build_district("重启区", ESTATES)
    expected = reference_batch(district)
    worker = workers("pg")

    # 1. The server ends the job's session in the middle of its COPY of the lines (pg_terminate_backend:
    #    the same error as a restart, for this session only). psycopg2 raises its own OperationalError
    #    there (accounts.bulk uses the raw cursor), which the jobs' declaration retries too.
    send_monthly_job()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", [catch_mid_transaction()])
    wait_for("the retried job to commit", lambda: "succeeded" in worker.log(), 120, interval=0.5)
    assert "retry: Retry in" in worker.log(), worker.log()[-3000:]
    assert batch_rows(district) == expected
    drop_batch(district)

    # 2. The whole server restarts (pg_ctlcluster … restart, fast mode: every session is ended).
    done = worker.log().count("succeeded")
    send_monthly_job()
    catch_mid_transaction()
    try:
        restart_postgres()
    finally:
        ensure_services()
    wait_for("the retried job to commit", lambda: worker.log().count("succeeded") > done, 120, interval=0.5)
    log = worker.log()
    assert log.count("retry: Retry in") >= 2, log[-3000:]
    assert batch_rows(district) == expected
