"""Shared fixtures: a named cast of users over a small organisation tree, and eager Celery.

The tree: 东莞市财政局 → 人社局 (a department, also a unit) → 技师学院 and 社保中心; and a second department
(教育局 → 实验中学) that nobody in the first department may see; plus another bureau (烈山区财政局) whose
staff must see nothing of 东莞.
"""

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from config.celery import app as celery_app
from evaluations.demo import DEMO_PASSWORD
from evaluations.tests.factories import (
    FiscalYearFactory,
    OrganisationFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    UserFactory,
    make_submittable,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the networking flags Chromium keeps calling home and stalls on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(__file__).resolve().parent / "var" / "screenshots"


@pytest.fixture
def page():
    """A Chromium page (Debian's browser through Playwright), closed with its ORM connection after the test."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs it with apt-get.")
    from django.db import connections

    # Playwright's sync API runs an event loop in this thread; the live server's ORM work happens in its own
    # threads, so Django's async-safety guard would only raise false alarms here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        yield context.new_page()
        browser.close()
        # Inside Playwright's greenlet the ORM keeps a connection of its own (connections are context-local);
        # close it here, or PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()


@pytest.fixture
def log_in(page, live_server):
    """``log_in("unit")`` signs the browser in through the login page (demo password) and waits for home."""

    def sign_in(username, password=DEMO_PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

    return sign_in


@pytest.fixture
def screenshot(page, request):
    """``screenshot("name")`` saves a full-page PNG under var/screenshots/<test>/ for a person to look at."""
    folder = SCREENSHOT_DIR / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def take(name):
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        # A full-page capture leaves headless Chromium hit-testing sticky elements (the form's action bar)
        # at stale positions; a resize round trip makes it lay the page out again.
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": size["height"] + 1})
        page.set_viewport_size(size)
        return path

    return take


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tests run tasks in-process, whatever broker the environment names."""
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _plain_http_test_server(settings):
    """Tests talk plain HTTP to a server without collected static files; production settings stay strict."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded and exported files of a test land in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 is deliberately slow; the tests log in hundreds of times and prove nothing about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db):
    bureau = OrganisationFactory(name="东莞市财政局", kind="finance_bureau", parent=None)
    department = OrganisationFactory(name="东莞市人力资源和社会保障局", kind="department", parent=bureau)
    other_department = OrganisationFactory(name="东莞市教育局", kind="department", parent=bureau)
    other_bureau = OrganisationFactory(name="烈山区财政局", kind="finance_bureau", parent=None)
    return SimpleNamespace(
        bureau=bureau,
        department=department,
        unit=OrganisationFactory(name="东莞市技师学院", parent=department),
        other_unit=OrganisationFactory(name="东莞市社会保险基金管理中心", parent=department),
        other_department=other_department,
        foreign_unit=OrganisationFactory(name="东莞市实验中学", parent=other_department),
        other_bureau=other_bureau,
        other_bureau_department=OrganisationFactory(name="烈山区人社局", kind="department", parent=other_bureau),
    )


@pytest.fixture
def cast(org):
    """The people of the permission tests, named for what they are."""
    return SimpleNamespace(
        unit_filler=UserFactory(username="filler", role="unit_filler", organisation=org.unit),
        other_unit_filler=UserFactory(username="filler2", role="unit_filler", organisation=org.other_unit),
        foreign_unit_filler=UserFactory(username="filler3", role="unit_filler", organisation=org.foreign_unit),
        department_reviewer=UserFactory(username="reviewer", role="department_reviewer", organisation=org.department),
        other_department_reviewer=UserFactory(
            username="reviewer2", role="department_reviewer", organisation=org.other_department
        ),
        finance_reviewer=UserFactory(username="finance", role="finance_reviewer", organisation=org.bureau),
        other_bureau_finance_reviewer=UserFactory(
            username="finance2", role="finance_reviewer", organisation=org.other_bureau
        ),
        admin=UserFactory(username="admin", role="admin", organisation=org.bureau, is_staff=True, is_superuser=True),
        no_organisation=UserFactory(username="orphan", role="unit_filler", organisation=None),
    )


@pytest.fixture
def year(org):
    return FiscalYearFactory(finance_bureau=org.bureau, year=2024)


@pytest.fixture
def evaluation(org, year):
    """A draft self-evaluation of an empty project of 东莞市技师学院."""
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="日常办学经费")
    return ProjectEvaluationFactory(project=project)


@pytest.fixture
def submittable_evaluation(evaluation):
    """The same draft, filled so that it passes every submit check (total 99.50, 优)."""
    make_submittable(evaluation.project)
    return evaluation
