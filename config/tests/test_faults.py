"""The app as it is served (gunicorn, production settings) when a service it needs fails: PostgreSQL restarted
under it, or Redis down.

Each test starts gunicorn against this test's database and talks to it over HTTP like a browser, logging in
through the login page. PostgreSQL itself is shared with other test runs, so it is not restarted: the test ends
the server's database sessions with pg_terminate_backend, which is what the server sees of a restart. Redis
"down" is a port nothing listens on, so that test needs no Redis; both need PostgreSQL (the SQLite test
database lives in this process's memory).
"""

import http.cookiejar
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from budgets.tests.test_views import posted_data
from config.tests import processes
from evaluations.models import ReportExport
from evaluations.reports.exports import UNAVAILABLE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "fault-test-密码"


@pytest.fixture(autouse=True)
def _another_process_can_use_the_database():
    if reason := processes.skip_reason():
        pytest.skip(reason)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """Collected static files: with DEBUG off the pages name them from the manifest collectstatic writes."""
    if reason := processes.skip_reason():  # before the work: module fixtures are set up ahead of the autouse one
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("static")
    log = root.parent / "collectstatic.log"
    command = [processes.PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"]
    collected = processes.start(command, processes.environment(STATIC_ROOT=str(root)), log).wait(timeout=120)
    assert collected == 0, log.read_text()
    return root


class Browser:
    """Cookies, CSRF token and redirects, as a browser keeps them."""

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _open(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return SimpleNamespace(
                    status=response.status, url=response.url, headers=response.headers, content=response.read()
                )
        except urllib.error.HTTPError as error:
            return SimpleNamespace(status=error.code, url=error.url, headers=error.headers, content=error.read())

    def get(self, path):
        return self._open(path)

    def post(self, path, data):
        token = next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")
        return self._open(path, {"csrfmiddlewaretoken": token, **data})

    def log_in(self, user):
        self.get(reverse("accounts:login"))
        return self.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})


def _with_password(*users):
    # The server checks passwords with the production hashers; the tests' fast MD5 hasher is not among them.
    hasher = PBKDF2PasswordHasher()
    for user in users:
        user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1_000)
        user.save(update_fields=["password"])


@contextmanager
def _gunicorn(log, static_root, **env):
    """gunicorn with one sync worker (so one database connection, kept between requests) on a free port."""
    port = processes.free_port()
    server = processes.start(
        [
            *(processes.PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "1", "--timeout", "60", "--access-logfile", "-"),
        ],
        processes.environment(STATIC_ROOT=str(static_root), **env),
        log,
    )
    browser = Browser(f"http://127.0.0.1:{port}")

    def answers():
        assert server.poll() is None, log.read_text()
        try:
            return browser.get(reverse("accounts:login")).status == 200
        except urllib.error.URLError:  # not listening yet
            return False

    try:
        processes.wait_for(answers, timeout=30, interval=0.2, what="gunicorn to answer")
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(server)


def _text(response):
    return response.content.decode()


def _cells(response):
    """Every non-empty cell of a downloaded workbook's first sheet."""
    sheet = load_workbook(io.BytesIO(response.content)).active
    return {value for row in sheet.iter_rows(values_only=True) for value in row if value not in (None, "")}


def _sessions_of(application):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s ORDER BY pid", [application])
        return [pid for (pid,) in cursor.fetchall()]


def _project_pages(browser, project):
    """The unit's list, the form and the project's table as Excel, as (status, what the test looks for) pairs."""
    listing = browser.get(reverse("budgets:project_list"))
    form = browser.get(reverse("budgets:project_edit", args=[project.pk]))
    table = browser.get(reverse("reports:project_table", args=[project.pk, "xlsx"]))
    return [
        (listing.status, project.name in _text(listing)),
        (form.status, f'value="{project.name}"' in _text(form)),
        (table.status, table.status == 200 and project.name in _cells(table)),
    ]


def _connections_cut_between_requests(tmp_path, static_root, user, project, **env):
    """Serve with persistent connections, use the pages, end the server's database sessions, use them again."""
    # A name of its own on the server's database sessions, to find them in pg_stat_activity.
    application = f"jixiao-fault-{uuid.uuid4().hex[:12]}"
    _with_password(user)
    served = {"DATABASE_URL": processes.database_url(application_name=application), "DB_CONN_MAX_AGE": "60"}
    with _gunicorn(tmp_path / "gunicorn.log", static_root, **served, **env) as base:
        browser = Browser(base)
        browser.log_in(user)
        before = _project_pages(browser, project)
        kept = _sessions_of(application)

        # What a restart does to the server's connections: PostgreSQL ends them.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid"
            )
            ended = [pid for pid, _ in cursor.fetchall()]
        processes.wait_for(lambda: not _sessions_of(application), timeout=10, what="the sessions to end")

        after = _project_pages(browser, project)
        again = _project_pages(browser, project)
        reconnected = _sessions_of(application)
    return SimpleNamespace(
        before=before,
        kept=kept,
        ended=ended,
        after=after,
        again=again,
        reconnected=reconnected,
        log=(tmp_path / "gunicorn.log").read_text(),
    )


def test_after_postgresql_ends_the_servers_connection_the_next_requests_succeed(
    cast, evaluation, tmp_path, static_root
):
    cut = _connections_cut_between_requests(tmp_path, static_root, cast.unit_filler, evaluation.project)

    # One connection kept across the requests before, ended, and a new one serving every request after.
    assert (
        cut.before,
        len(cut.kept),
        cut.ended,
        cut.after,
        cut.again,
        len(cut.reconnected),
        set(cut.kept) & set(cut.reconnected),
    ) == ([(200, True)] * 3, 1, cut.kept, [(200, True)] * 3, [(200, True)] * 3, 1, set()), cut.log


def test_without_connection_health_checks_the_first_request_after_it_would_fail(
    cast, evaluation, tmp_path, static_root
):
    # The control for the test above: the same settings with CONN_HEALTH_CHECKS off.
    cut = _connections_cut_between_requests(
        tmp_path,
        static_root,
        cast.unit_filler,
        evaluation.project,
        DJANGO_SETTINGS_MODULE="config.tests.settings_without_health_checks",
    )

    assert (cut.before, len(cut.kept), cut.ended, cut.after, cut.again) == (
        [(200, True)] * 3,
        1,
        cut.kept,
        [(500, False), (200, True), (200, True)],
        [(200, True)] * 3,
    ), cut.log


def test_with_redis_down_pages_work_and_a_background_export_says_it_is_unavailable_at_once(
    cast, evaluation, tmp_path, static_root
):
    _with_password(cast.unit_filler, cast.finance_reviewer)
    project = evaluation.project
    # Nothing listens there: every connection to "Redis" is refused.
    dead_redis = f"redis://127.0.0.1:{processes.free_port()}/0"
    with _gunicorn(tmp_path / "gunicorn.log", static_root, REDIS_URL=dead_redis, DB_CONN_MAX_AGE="60") as base:
        unit = Browser(base)
        home = unit.log_in(cast.unit_filler)
        pages = _project_pages(unit, project)
        form = unit.get(reverse("budgets:project_edit", args=[project.pk]))
        saved = unit.post(
            reverse("budgets:project_edit", args=[project.pk]),
            posted_data(form, {"project-summary": "Redis 停止时保存的综述", "action": "save"}),
        )

        finance = Browser(base)
        finance.log_in(cast.finance_reviewer)
        started = time.monotonic()
        asked = finance.post(reverse("reports:export_start"), {"year": 2024, "kind": "summary", "format": "pdf"})
        took = time.monotonic() - started
        progress = json.loads(finance.get(reverse("reports:export_status")).content)

    project.refresh_from_db()
    export = ReportExport.objects.get()
    shown = re.sub(r"\s+", " ", _text(asked))
    assert (
        (home.status, home.url),
        pages,
        (saved.status, project.summary),
        (asked.status, asked.url, UNAVAILABLE in shown),
        progress,
        took < 5,
    ) == (
        (200, base + reverse("accounts:home")),
        [(200, True)] * 3,
        (200, "Redis 停止时保存的综述"),
        (200, base + reverse("reports:exports"), True),
        {"exports": [{"id": export.pk, "status": "failed", "label": "失败", "progress": 0, "error": UNAVAILABLE}]},
        True,
    ), (tmp_path / "gunicorn.log").read_text()
