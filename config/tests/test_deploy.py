"""The deployment files agree with each other: compose services, volumes, start-up steps and the .env example.

`docker compose config` (CI) checks the compose file's syntax; these check what it means for this project.
"""

import re
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((PROJECT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
# Set by Docker or the image, not by the operator.
NOT_OPERATOR_SETTINGS = {"HOSTNAME"}


def _text(path):
    return (PROJECT / path).read_text(encoding="utf-8")


def _mounts(service):
    return dict(volume.split(":", 1) for volume in service.get("volumes", []))


def test_the_four_services_each_have_a_health_check():
    # beat only sends messages on a timer: nothing to probe, and Docker restarts it when it exits.
    checks = {name: service["healthcheck"]["test"][0] for name, service in SERVICES.items() if name != "beat"}

    assert checks == {"db": "CMD-SHELL", "redis": "CMD", "web": "CMD", "worker": "CMD-SHELL"}
    assert sorted(SERVICES) == ["beat", "db", "redis", "web", "worker"]
    assert SERVICES["web"]["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py"]
    assert "celery -A config inspect ping" in SERVICES["worker"]["healthcheck"]["test"][1]
    assert "pg_isready" in SERVICES["db"]["healthcheck"]["test"][1]


def test_the_database_and_media_live_in_named_volumes_shared_by_web_and_worker():
    mounts = {name: _mounts(service) for name, service in SERVICES.items()}

    assert sorted(COMPOSE["volumes"]) == ["backups", "media", "pgdata", "redisdata"]
    assert mounts["db"] == {"pgdata": "/var/lib/postgresql/data"}
    assert mounts["web"] == mounts["worker"] == {"media": "/app/var/media", "backups": "/app/backups"}
    assert SERVICES["web"]["environment"]["MEDIA_ROOT"] == SERVICES["worker"]["environment"]["MEDIA_ROOT"]
    assert SERVICES["web"]["environment"]["MEDIA_ROOT"] == "/app/var/media"


def test_the_web_container_migrates_and_checks_before_it_serves():
    script = _text("deploy/start-web.sh")
    steps = [line.split()[:3] for line in script.splitlines() if line.startswith(("python ", "exec "))]

    assert SERVICES["web"]["command"] == ["deploy/start-web.sh"]
    assert steps == [
        ["python", "manage.py", "migrate"],
        ["python", "manage.py", "check"],
        ["exec", "gunicorn", "--config"],
    ]
    assert "migrate --noinput" in script
    assert "check --deploy" in script


def test_the_worker_takes_one_task_at_a_time_and_waits_for_a_migrated_database():
    command = SERVICES["worker"]["command"]

    assert "--prefetch-multiplier=1" in command
    assert "--concurrency=${CELERY_CONCURRENCY:-2}" in command
    assert SERVICES["worker"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "command" not in SERVICES["db"]


def test_the_image_has_the_fonts_the_client_tools_and_collected_static_files():
    dockerfile = _text("Dockerfile")
    packages = set(re.search(r"apt-get install -y --no-install-recommends(.*?)&&", dockerfile, re.S)[1].split())

    assert packages >= {"fonts-noto-cjk", "libharfbuzz-subset0", "postgresql-client"}
    assert "manage.py collectstatic --noinput" in dockerfile
    assert 'CMD ["deploy/start-web.sh"]' in dockerfile


def _variables_read():
    """Every environment variable the settings, the deployment scripts and the compose file read."""
    python_reads = r'(?:env_\w+|_int|os\.environ\.get)\("([A-Z][A-Z0-9_]+)"'
    names = set()
    for path in ("config/settings.py", "config/backup.py", "deploy/gunicorn.conf.py", "deploy/healthcheck.py"):
        names |= set(re.findall(python_reads, _text(path)))
    for path in ("docker-compose.yml", "deploy/start-web.sh"):
        names |= set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]+)", _text(path)))
    return names - NOT_OPERATOR_SETTINGS


def test_the_env_example_names_every_variable_and_holds_no_secret():
    example = _text(".env.example")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", example, re.M))

    assert sorted(_variables_read() - listed) == []
    assert (values["SECRET_KEY"], values["POSTGRES_PASSWORD"]) == ("", "")


@pytest.mark.parametrize("ignore_file", [".gitignore", ".dockerignore"])
def test_the_env_file_is_kept_out_of_git_and_the_image(ignore_file):
    assert ".env" in _text(ignore_file).splitlines()
