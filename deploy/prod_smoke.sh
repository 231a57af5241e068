#!/usr/bin/env bash
# Production smoke: the README's "Production" release steps and its three
# services, run for real against PostgreSQL and Redis on this machine, then a
# browser-like HTTP pass over every app's main page and one Celery task through
# the broker. Run by `make prod-check` and by .ci/run (before `make test`).
#
#   bash deploy/prod_smoke.sh          # exit 0 = PASS, non-zero = FAIL
#
# Needs: `make install` done (.venv), PostgreSQL on 127.0.0.1:5432 (user
# postgres, trust auth) and Redis on 127.0.0.1:6379, as STACK.md describes.
#
# Environment, as the README's Production section says: DEBUG=0, a random
# SECRET_KEY, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, PostgreSQL and Redis URLs,
# STATIC_MANIFEST left at its DEBUG=0 default (on). HTTPS is NOT turned off:
# production keeps HTTPS=1 (secure cookies, HSTS, HTTP->HTTPS redirect) and,
# behind nginx, BEHIND_PROXY=1, which makes Django trust the proxy's
# `X-Forwarded-Proto: https`. The smoke runs exactly that and plays nginx:
# deploy/smoke_http.py sends the header on every request (and checks that a
# request without it is redirected to https://). HTTPS=1 without BEHIND_PROXY
# would redirect every plain-HTTP request on the loopback, so it cannot be
# smoked without a TLS terminator.
#
# Isolation: its own PostgreSQL database `portal_smoke` (dropped and created
# here, dropped again at the end), Redis databases 2, 3 and 6 (flushed: the smoke
# owns them; CI's tests use 0 and 1; 6 is the cache), and temporary STATIC_ROOT, MEDIA_ROOT,
# beat schedule and logs. Nothing in var/ or in the `portal` database is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")
started=$(date +%s)
say() { printf '[smoke %3ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

PGHOST=127.0.0.1
SMOKE_DB=portal_smoke
TMP=$(mktemp -d "${TMPDIR:-/tmp}/portal-smoke.XXXXXX")
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

export DEBUG=0
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost
export CSRF_TRUSTED_ORIGINS="https://127.0.0.1:$PORT,https://localhost:$PORT"
export HTTPS=1
export BEHIND_PROXY=1
export DATABASE_URL=postgres://postgres@$PGHOST:5432/$SMOKE_DB
export CELERY_BROKER_URL=redis://127.0.0.1:6379/2
export CELERY_RESULT_BACKEND=redis://127.0.0.1:6379/3
export CACHE_URL=redis://127.0.0.1:6379/6
export STATIC_ROOT=$TMP/static
export MEDIA_ROOT=$TMP/media
export EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
export PYTHONUNBUFFERED=1
# A developer's .env (DEBUG=1, STATIC_MANIFEST=0, ...) is read by settings.py
# only for variables not set here; the hashed-URL checks below fail if the
# manifest storage were off.
[ -f .env ] && say "note: .env exists; the variables above override it, others (if any) still apply"

GUNICORN_PID= WORKER_PID= BEAT_PID=
declare -a SUMMARY=()
result() { SUMMARY+=("$(printf '%-4s  %s' "$1" "$2")"); }

stop() {  # stop PID NAME: TERM, wait up to 15 s, then KILL
  local pid=$1 name=$2
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  say "$name ($pid) did not stop in 15 s: KILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  stop "$GUNICORN_PID" gunicorn
  stop "$WORKER_PID" "celery worker"
  stop "$BEAT_PID" "celery beat"
  wait 2>/dev/null
  if [ "$rc" -ne 0 ]; then
    for log in gunicorn worker beat; do
      [ -s "$TMP/$log.log" ] || continue
      echo "---- last lines of $log.log ----"
      tail -n 25 "$TMP/$log.log"
    done
  fi
  dropdb -h $PGHOST -U postgres --if-exists --force "$SMOKE_DB" >/dev/null 2>&1
  rm -rf "$TMP"
  echo
  echo "==== production smoke summary ===="
  printf '%s\n' "${SUMMARY[@]}"
  if [ "$rc" -eq 0 ]; then
    echo "prod smoke: PASS in $(( $(date +%s) - started ))s"
  else
    echo "prod smoke: FAIL (exit $rc) after $(( $(date +%s) - started ))s"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_step() {  # run_step LABEL COMMAND...: run, record PASS/FAIL, stop on failure
  local label=$1; shift
  say "$label"
  if "$@"; then result PASS "$label"; else result FAIL "$label"; return 1; fi
}

# --- Services this needs (started by .ci/run or by the machine).
pg_isready -q -h $PGHOST -p 5432 || { say "PostgreSQL is not running on $PGHOST:5432"; exit 2; }
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { say "Redis is not running on 127.0.0.1:6379"; exit 2; }

# --- A throwaway database and broker.
dropdb -h $PGHOST -U postgres --if-exists --force "$SMOKE_DB" 2>/dev/null
createdb -h $PGHOST -U postgres "$SMOKE_DB"
redis-cli -n 2 flushdb >/dev/null
redis-cli -n 3 flushdb >/dev/null
redis-cli -n 6 flushdb >/dev/null

# --- The release steps, exactly as in the README.
cd "$ROOT"
run_step "check_vendored.py (static references)" "$PY" deploy/check_vendored.py
run_step "migrate --no-input" "$PY" manage.py migrate --no-input -v 0
run_step "createcachetable (a no-op with CACHE_URL)" "$PY" manage.py createcachetable
collectstatic() {
  "$PY" manage.py collectstatic --no-input >"$TMP/collectstatic.log" 2>&1 || { tail -n 15 "$TMP/collectstatic.log"; return 1; }
  tail -n 1 "$TMP/collectstatic.log"
  test -s "$STATIC_ROOT/staticfiles.json"  # the manifest: hashed names are in use
}
run_step "collectstatic --no-input (manifest storage)" collectstatic
run_step "check --deploy --fail-level WARNING" "$PY" manage.py check --deploy --fail-level WARNING
# The rate-limit counters (django-ratelimit: add, then incr) in the Redis cache of CACHE_URL.
run_step "cache on Redis (CACHE_URL): add and incr" "$PY" manage.py shell -v 0 -c \
  "from django.core.cache import cache; assert cache.add('smoke-counter', 0, 60) and cache.incr('smoke-counter') == 1 and cache.incr('smoke-counter') == 2"
# Demo data with published passwords: ONLY because portal_smoke is a throwaway
# database created above and dropped at the end. Never on a real database.
run_step "seed_demo (throwaway portal_smoke database only)" "$PY" manage.py seed_demo

# --- The three long-running services, as in the README.
say "starting gunicorn on 127.0.0.1:$PORT, celery worker and beat"
WORKERS=${SMOKE_WORKERS:-2}
"$BIN/gunicorn" config.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" --access-logfile - \
  >"$TMP/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
"$BIN/celery" -A config worker -l info --concurrency 1 --hostname "smoke@%h" \
  >"$TMP/worker.log" 2>&1 &
WORKER_PID=$!
"$BIN/celery" -A config beat -l info --schedule "$TMP/celerybeat-schedule" \
  >"$TMP/beat.log" 2>&1 &
BEAT_PID=$!

wait_for() {  # wait_for SECONDS LABEL COMMAND...
  local secs=$1 label=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then result FAIL "$label (not within ${secs}s)"; return 1; fi
    for pid in "$GUNICORN_PID" "$WORKER_PID" "$BEAT_PID"; do
      kill -0 "$pid" 2>/dev/null || { result FAIL "$label (a service exited early)"; return 1; }
    done
    sleep 0.5
  done
  result PASS "$label"
}
gunicorn_up() { curl -s -o /dev/null -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$PORT/accounts/login/"; }
wait_for 30 "gunicorn answers" gunicorn_up
wait_for 60 "celery worker ready" grep -q "smoke@.* ready" "$TMP/worker.log"
wait_for 30 "celery beat started" grep -q "beat: Starting" "$TMP/beat.log"
say "services up"

# --- Log in and walk every app's main page (as district_admin, a demo user of
# the README; SMOKE_USER / SMOKE_PASSWORD pick another).
SMOKE_USER=${SMOKE_USER:-district_admin}
SMOKE_PASSWORD=${SMOKE_PASSWORD:-Demo-2026-portal}
say "HTTP pass as $SMOKE_USER"
if "$PY" deploy/smoke_http.py "http://127.0.0.1:$PORT" "$SMOKE_USER" "$SMOKE_PASSWORD" | tee "$TMP/http.log"; then
  result PASS "HTTP: login and every app's main page"
else
  result FAIL "HTTP: login and every app's main page"
fi
while read -r line; do SUMMARY+=("      $line"); done < <(grep -E '^(PASS|FAIL) ' "$TMP/http.log")
grep -q '^FAIL ' "$TMP/http.log" && http_failed=1 || http_failed=0
[ -s "$TMP/http.log" ] || http_failed=1

# --- One task through the Redis broker, executed by the worker.
say "sending ratings.run_quarterly with .delay()"
task_out=$("$PY" manage.py shell -c '
from ratings.tasks import run_quarterly_ratings_task as task
r = task.delay()
print("TASK_ID", r.id)
print("TASK_RESULT", r.get(timeout=60))
' 2>"$TMP/task.err") || true
task_id=$(sed -n 's/^TASK_ID //p' <<<"$task_out")
echo "$task_out" | grep -E '^TASK_' || tail -n 5 "$TMP/task.err"
if [ -n "$task_id" ] && wait_for 30 "celery worker executed ratings.run_quarterly[$task_id]" \
     grep -q "ratings.run_quarterly\[$task_id\] succeeded" "$TMP/worker.log"; then
  grep "ratings.run_quarterly\[$task_id\] succeeded" "$TMP/worker.log" | sed 's/^/    /'
  task_failed=0
else
  [ -n "$task_id" ] || result FAIL "ratings.run_quarterly could not be sent"
  task_failed=1
fi

# PostgreSQL connections the services hold after serving pages and a task
# (persistent, CONN_MAX_AGE): the README sizes gunicorn's workers with this.
conns=$(psql -h $PGHOST -U postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE datname = '$SMOKE_DB'")
result INFO "PostgreSQL connections to $SMOKE_DB ($WORKERS gunicorn workers, 1 Celery child, beat): $conns"
rss=$(ps -o rss= --ppid "$GUNICORN_PID" | awk '{ printf "%d ", $1 / 1024 }')
result INFO "gunicorn workers' resident memory (MiB): $rss"

# All three still running at the end?
for pair in "$GUNICORN_PID:gunicorn" "$WORKER_PID:celery worker" "$BEAT_PID:celery beat"; do
  if kill -0 "${pair%%:*}" 2>/dev/null; then result PASS "${pair#*:} still running"; else result FAIL "${pair#*:} died"; task_failed=1; fi
done

[ "$http_failed" -eq 0 ] && [ "$task_failed" -eq 0 ]
