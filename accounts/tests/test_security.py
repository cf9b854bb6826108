"""Hardening that applies to every page: login throttling, the Content-Security-Policy, the deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from evaluations.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _log_in(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_username_out_even_with_the_right_one_then(client, org, settings):
    UserFactory(username="unit", role="unit_filler", organisation=org.unit)
    UserFactory(username="other", role="unit_filler", organisation=org.unit)

    wrong = [_log_in(client, "unit", "wrong-password").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    locked = _log_in(client, "unit", "demo1234")
    someone_else = _log_in(client, "other", "demo1234")

    assert (wrong[:-1], locked.status_code, "登录已暂停" in locked.content.decode()) == (
        [200] * (settings.AXES_FAILURE_LIMIT - 1),
        429,
        True,
    )
    assert (someone_else.status_code, someone_else["Location"]) == (302, reverse("accounts:home"))


def test_a_successful_login_resets_the_count(client, org, settings):
    UserFactory(username="unit", role="unit_filler", organisation=org.unit)

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "unit", "wrong-password")
    _log_in(client, "unit", "demo1234")
    client.logout()
    after = [_log_in(client, "unit", "wrong-password").status_code for _ in range(settings.AXES_FAILURE_LIMIT - 1)]

    assert after == [200] * (settings.AXES_FAILURE_LIMIT - 1)


def test_every_page_carries_a_policy_that_allows_no_inline_script(client, cast):
    client.force_login(cast.unit_filler)

    policy = client.get(reverse("accounts:home"))["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert (directives["script-src"], directives["object-src"], directives["frame-ancestors"]) == (
        "'self'",
        "'none'",
        "'none'",
    )
    assert "unsafe-inline" not in policy


def test_the_production_settings_pass_djangos_deploy_checks():
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "DEBUG", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="jixiao.example.org",
        DJANGO_SETTINGS_MODULE="config.settings",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (result.returncode, result.stdout.strip()) == (0, "System check identified no issues (0 silenced).")


def test_the_lockout_page_says_how_long_in_words_not_as_an_iso_duration(client, org, settings):
    """Issue 15, finding 8: the page read "登录已暂停 PT15M"."""
    UserFactory(username="unit", role="unit_filler", organisation=org.unit)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = _log_in(client, "unit", "wrong-password")

    text = locked.content.decode()
    assert ("登录已暂停 15 分钟" in text, "PT15M" in text) == (True, False)


@pytest.mark.parametrize(
    "iso, words", [("PT15M", "15 分钟"), ("PT1H30M", "1 小时 30 分钟"), ("PT2H", "2 小时"), ("", "一段时间")]
)
def test_lockout_lengths_in_words(iso, words):
    from accounts.templatetags.sign_in import duration_zh

    assert duration_zh(iso) == words
