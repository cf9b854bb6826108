"""gunicorn settings of the web container (deploy/start-web.sh); every number can be changed from the environment."""

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"环境变量 {name}={raw!r} 无效：应为整数。") from None


wsgi_app = "config.wsgi:application"
# All interfaces of the container; only the published port reaches it.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Processes, not threads: a PDF rendered by WeasyPrint holds its worker's CPU. About 2 per core plus one.
workers = _int("WEB_CONCURRENCY", 3)
# A single-table PDF takes a few seconds; larger reports run in the Celery worker, so a minute is ample.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Restart each worker now and then, so a slow leak (fonts, parsed workbooks) cannot grow for weeks.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10
# Heartbeat files in memory: a container's /tmp may sit on a slow overlay file system.
SHARED_MEMORY = "/dev/shm"  # noqa: S108 - gunicorn's own advice for its worker heartbeat files
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# No gunicornc control socket: nothing here uses it, and its default path in $HOME is not writable in the image.
control_socket_disable = True
