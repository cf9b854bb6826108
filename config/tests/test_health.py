"""/healthz/ for container probes and monitoring, and the probe script the compose file runs."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError, connection

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_health_answers_ok_while_the_database_answers(client):
    response = client.get("/healthz/")

    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        b"ok",
        "text/plain; charset=utf-8",
    )


@pytest.mark.django_db
def test_health_answers_503_and_says_nothing_more_when_the_database_is_down(client, monkeypatch):
    def refuse():
        raise OperationalError('connection to server at "db" (10.0.0.5), port 5432 failed')

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz/")

    assert (response.status_code, response.content) == (503, b"unavailable")


@pytest.mark.django_db
def test_health_needs_no_login_and_is_answered_over_plain_http_unlike_other_pages(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    health, login = client.get("/healthz/"), client.get("/login/")

    assert (health.status_code, login.status_code, login["Location"]) == (200, 301, "https://testserver/login/")


@pytest.mark.django_db
def test_health_is_not_cached_and_refuses_other_methods(client):
    get, post = client.get("/healthz/"), client.post("/healthz/")

    assert ("no-cache" in get["Cache-Control"], post.status_code) == (True, 405)


def _probe(url, allowed_hosts):
    environment = {**os.environ, "HEALTHCHECK_URL": url, "ALLOWED_HOSTS": allowed_hosts}
    return subprocess.run(
        [sys.executable, "deploy/healthcheck.py"], cwd=PROJECT, env=environment, capture_output=True, timeout=30
    ).returncode


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_container_probe_passes_only_on_a_healthy_server_it_may_address(live_server):
    url = f"{live_server.url}/healthz/"

    outcomes = (
        _probe(url, allowed_hosts="localhost,127.0.0.1"),
        # The probe names the first allowed host; a server that does not serve it answers 400.
        _probe(url, allowed_hosts="jixiao.example.cn"),
        _probe(f"http://127.0.0.1:{_closed_port()}/healthz/", allowed_hosts="localhost"),
    )

    assert outcomes == (0, 1, 1)


@pytest.mark.django_db
def test_health_says_degraded_when_the_configured_redis_does_not_answer(client, settings):
    """Issue 15, finding 4: /healthz/ said "ok" with Redis down, while exports could not start."""
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get("/healthz/")

    assert (response.status_code, response.content) == (200, b"degraded: redis")


@pytest.mark.django_db
def test_health_needs_no_redis_when_none_is_configured(client, settings):
    settings.REDIS_URL = None

    assert client.get("/healthz/").content == b"ok"
