"""The health URL for container probes and monitoring.

- 200 "ok": the database answers, and so does Redis where one is configured.
- 200 "degraded: redis": the pages work, but background jobs (exports) and the shared cache do not. The web
  container must not be restarted for that, so the probe (deploy/healthcheck.py) still passes; monitoring
  sees the word.
- 503 "unavailable": the database does not answer.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
# A probe must answer quickly even when Redis hangs.
REDIS_TIMEOUT_SECONDS = 1


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def redis_answers() -> bool:
    """Whether the configured Redis answers a PING (True when none is configured: Celery runs in-process)."""
    if not settings.REDIS_URL:
        return True
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    except redis.RedisError as exc:
        logger.warning("健康检查：Redis 不可用：%s", exc)
        return False
    finally:
        client.close()


@never_cache
@require_GET
def healthz(request):
    """Public on purpose (the probe has no account), so the answer names the failing part and nothing more."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("健康检查：数据库不可用：%s", exc)
        return _text("unavailable", status=503)
    return _text("ok" if redis_answers() else "degraded: redis")
