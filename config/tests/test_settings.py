"""Settings come from the environment and refuse bad values loudly (checked in a fresh interpreter)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, "
    "s.LANGUAGE_CODE, s.TIME_ZONE, s.ALLOWED_HOSTS]))"
)


def _run(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings"} | env
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_embedded_defaults_are_sqlite_and_eager_celery_in_chinese():
    result = _run(DEBUG="1")

    assert (result.returncode, result.stdout.strip()) == (
        0,
        '[true, "django.db.backends.sqlite3", true, "zh-hans", "Asia/Shanghai", ["127.0.0.1", "localhost", "[::1]"]]',
    )


def test_database_and_redis_urls_switch_to_postgresql_and_a_real_broker():
    result = _run(
        SECRET_KEY="k",
        DATABASE_URL="postgres://u:p@db.example:5432/jixiao",
        REDIS_URL="redis://127.0.0.1:6379/3",
        ALLOWED_HOSTS="jixiao.example.cn",
    )

    assert (result.returncode, result.stdout.strip()) == (
        0,
        '[false, "django.db.backends.postgresql", false, "zh-hans", "Asia/Shanghai", ["jixiao.example.cn"]]',
    )


def test_debug_is_off_unless_set_and_then_a_secret_key_is_required():
    result = _run()

    assert (result.returncode, "未设置 SECRET_KEY" in result.stderr) == (1, True)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "环境变量 DEBUG='maybe' 无效"),
        ({"DEBUG": "1", "REDIS_URL": "http://127.0.0.1:6379"}, "环境变量 REDIS_URL='http://127.0.0.1:6379' 无效"),
        ({"DEBUG": "1", "DATABASE_URL": "nosuchdb://x"}, "环境变量 DATABASE_URL 无效"),
        ({"DEBUG": "1", "SESSION_COOKIE_AGE": "eight hours"}, "环境变量 SESSION_COOKIE_AGE='eight hours' 无效"),
    ],
)
def test_bad_values_stop_start_up_with_a_chinese_message(env, message):
    result = _run(**env)

    assert (result.returncode, message in result.stderr) == (1, True)


def test_the_configured_cache_round_trips_a_value(settings):
    from django.core.cache import caches

    cache = caches["default"]
    cache.set("jixiao-settings-probe", "缓存可用", timeout=30)

    expected_backend = "RedisCache" if settings.REDIS_URL else "LocMemCache"
    assert (cache.get("jixiao-settings-probe"), type(cache).__name__) == ("缓存可用", expected_backend)


def test_migration_commands_run_on_a_bare_checkout_and_nothing_else_does():
    """makemigrations signs nothing: it runs without SECRET_KEY (and finds no missing migration); the rest of
    manage.py still stops on the missing key."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=clean, capture_output=True, text=True, timeout=120
        )

    migrations, check = manage("makemigrations", "--check", "--dry-run"), manage("check")

    assert (migrations.returncode, migrations.stdout.strip()) == (0, "No changes detected")
    assert (check.returncode, "未设置 SECRET_KEY" in check.stderr) == (1, True)
