#!/bin/sh
# The web container's start-up: migrate, refuse an unsafe production configuration, serve with gunicorn.
# CI runs this same script without Docker (.ci/run). `--no-serve` stops after the checks.
set -eu
cd "$(dirname "$0")/.."

echo "== 迁移数据库"
python manage.py migrate --noinput

echo "== 部署检查（manage.py check --deploy）"
# WARNING by default: a production setting left unsafe (no HTTPS redirect, insecure cookies, no HSTS) stops
# start-up. Set DEPLOY_CHECK_FAIL_LEVEL=ERROR only when that is knowingly the case.
python manage.py check --deploy --fail-level "${DEPLOY_CHECK_FAIL_LEVEL:-WARNING}"

if [ "${1:-}" = "--no-serve" ]; then
    exit 0
fi
echo "== gunicorn"
exec gunicorn --config deploy/gunicorn.conf.py
