"""For the fault tests that run the app in real processes (gunicorn, a Celery worker) against the test database.

Under pytest-django the test database is ``test_<name>`` (``test_<name>_gw0`` … under xdist) and the data a
``transaction=True`` test writes is committed, so another process sees it once it is given that database.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = sys.executable


def database_url(**options: str) -> str:
    """A DATABASE_URL naming the database this test process is using (PostgreSQL), with connection ``options``."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db.get("HOST") or "localhost", safe="")  # a socket folder is written %2F…
    port = f":{db['PORT']}" if db.get("PORT") else ""
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}{query}"


def skip_reason() -> str | None:
    """Why another process cannot share this test's database, or None when it can."""
    if connection.vendor != "postgresql":
        return "another process cannot reach this test database (the SQLite test database lives in memory)"
    return None


def environment(**overrides: str) -> dict[str, str]:
    """This process's environment with the test database, media folder and plain-HTTP settings, plus overrides."""
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "test-only-secret-key")
    env |= {
        "DEBUG": "0",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    return env | overrides


def free_port() -> int:
    """A port nothing listens on right now (the kernel's pick; free until someone binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``command`` in the project folder, its output going to ``log``."""
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)


def children(pid: int) -> list[int]:
    """The ids of the processes ``pid`` started (its pool processes, for a Celery worker or gunicorn)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid …"; the name may hold spaces and parentheses, so split after the last ")".
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except OSError:  # it ended while we looked
            continue
        if parent == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def stop(process: subprocess.Popen, first_signal=signal.SIGTERM, grace: float = 10) -> None:
    """Stop ``process`` and the processes it started, by their ids; force it after ``grace`` seconds."""
    started = children(process.pid)
    if process.poll() is None:
        process.send_signal(first_signal)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)
    for pid in started:
        with contextlib.suppress(ProcessLookupError):  # it ended with its parent
            os.kill(pid, signal.SIGKILL)


def wait_for(condition, *, timeout: float, interval: float = 0.05, what: str = "the condition"):
    """Poll ``condition`` until it returns something true, and return that; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
