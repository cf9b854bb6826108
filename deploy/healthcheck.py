"""Container health probe: GET the health URL of this container's gunicorn.

Exit 0 on 200 "ok" (or "degraded: …", the pages working without Redis), 1 otherwise.

The slim image has no curl. Django answers 400 to a Host header that ALLOWED_HOSTS does not list, so the probe
sends the first allowed host name rather than 127.0.0.1.
"""

import os
import sys
import urllib.request

URL = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz/")


def allowed_host() -> str | None:
    hosts = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
    if not hosts or hosts[0] == "*":
        return None
    # ".example.cn" allows example.cn and its subdomains.
    return hosts[0].lstrip(".")


def main() -> int:
    host = allowed_host()
    request = urllib.request.Request(URL, headers={"Host": host} if host else {})  # noqa: S310 - our own URL
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our own URL
            body = response.read(64)
    except (OSError, ValueError) as exc:
        print(f"健康检查失败：{exc}", file=sys.stderr)
        return 1
    # "degraded: redis" still passes: the pages work, and restarting the web container would not bring Redis
    # back (monitoring reads the word).
    if body != b"ok" and not body.startswith(b"degraded:"):
        print(f"健康检查失败：意外的应答 {body!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
