"""A real Celery worker process answers a task sent through Redis.

Runs only where CELERY_BROKER_URL is a Redis URL and CELERY_RESULT_BACKEND is
set (CI: `.ci/run`); the embedded filesystem broker of `make run` is skipped.
"""
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

pytestmark = pytest.mark.celery_worker


@pytest.fixture
def worker_queue(tmp_path):
    if not str(settings.CELERY_BROKER_URL).startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://… (a real broker); the embedded filesystem broker is in use")
    if not settings.CELERY_RESULT_BACKEND:
        pytest.skip("needs CELERY_RESULT_BACKEND to read the task's result")
    # A queue of its own, so no other worker on the same broker can answer for it.
    queue = f"test-ping-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-l", "info",
             "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=settings.BASE_DIR, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        print(log.read_text(errors="replace")[-3000:])


def test_real_worker_answers_ping_through_redis(worker_queue):
    from config.celery import app, ping

    assert ping.name == "portal.ping"
    assert not app.conf.task_always_eager
    result = ping.apply_async(queue=worker_queue)
    assert result.get(timeout=60) == "pong"
    assert result.successful()
