"""The login page in a real browser (Debian's Chromium driven by Playwright)."""

import pytest

from evaluations.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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
