"""Sessions for the load test: `per_persona` logged-in sessions of each demo persona, written as JSON
({persona: [session key, …]}) for locustfile.py (LOCUST_SESSIONS), so that 50 users browse from the
first second instead of queueing 50 password hashes (PBKDF2, about half a second of CPU each) on a
2-core machine. The login form itself is measured when LOCUST_SESSIONS is not set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city .venv/bin/python tests/perf/bench_sessions.py var/bench-sessions.json
"""
import json
import os
import sys

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_city")

from _setup import connection  # noqa: E402,F401  (Django set up on the city database)
from build_city import PERSONAS  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402


def main(path, per_persona=50):
    from accounts.models import User

    out = {}
    for username in PERSONAS:
        user = User.objects.get(username=username)
        keys = []
        for _ in range(per_persona):
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            keys.append(session.session_key)
        out[username] = keys
    with open(path, "w") as f:
        json.dump(out, f)
    print(f"{per_persona} sessions for each of {', '.join(out)} in {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-sessions.json")
