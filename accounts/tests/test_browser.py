"""The login page in a real browser (Debian's Chromium driven by Playwright)."""

import os
import shutil

import pytest
from django.db import connections

from evaluations.tests.factories import UserFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs it with apt-get.")
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls of the live server
    # happen in its own thread, so the async-safety guard would only raise false alarms here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        yield context.new_page()
        browser.close()
        # Inside Playwright's greenlet the ORM keeps a connection of its own (connections are context-local);
        # close it here, or PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()


def test_a_unit_filler_logs_in_through_the_browser_and_sees_their_home(live_server, page, org, tmp_path):
    UserFactory(username="unit", role="unit_filler", organisation=org.unit, full_name="技师学院填报人")

    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "unit")
    page.fill("#id_password", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    assert (page.locator("h1").inner_text(), page.locator(".who").inner_text()) == (
        "您好，技师学院填报人",
        "技师学院填报人 · 单位填报人 · 东莞市技师学院",
    )


def test_a_wrong_password_is_refused_in_chinese_and_keeps_the_username(live_server, page, org):
    UserFactory(username="unit", role="unit_filler", organisation=org.unit)

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "unit")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")

    assert (page.locator(".errors").inner_text().startswith("请输入一个正确的"), page.input_value("#id_username")) == (
        True,
        "unit",
    )
