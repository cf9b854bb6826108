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
# Processes with a few threads each. Measured with 50 users on 2 cores (bench/README.md): 3 workers × 4 threads
# kept up with the offered rush on ~20 % less CPU per request than 9 sync workers, while 5 sync workers kept
# only 5 requests in flight (a PDF being rendered blocks its whole sync worker) and queued the rest.
workers = _int("WEB_CONCURRENCY", 3)
threads = _int("WEB_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
# A single-table PDF takes a few seconds; larger reports run in the Celery worker, so a minute is ample.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Threaded workers keep idle connections open; under 10 s a proxy reusing one could meet a reset.
keepalive = _int("GUNICORN_KEEPALIVE", 10)
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
