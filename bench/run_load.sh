#!/usr/bin/env bash
# The spring-rush load test of issue 8: gunicorn + PostgreSQL on this machine, locust headless against it.
#
#   bench/run_load.sh prepare              create jixiao_load, migrate, fill it with the city (scale_city)
#   bench/run_load.sh [options]            start gunicorn, run locust, print the per-endpoint table
#
# Options (or the environment variables in brackets):
#   -u USERS      concurrent virtual users                     [USERS, default 50]
#   -t DURATION   locust run time, e.g. 30s, 5m                [DURATION, default 5m]
#   -w WORKERS    gunicorn worker processes                    [WORKERS, default cores + 1]
#   -k THREADS    threads per worker (> 1: gthread workers)    [THREADS, default 4; 1: sync workers]
#   -p PORT       port gunicorn listens on                     [PORT, default 8765]
# SPAWN_RATE (users started per second, default 2) and LOAD_WAIT_MIN/MAX (think time, bench/locustfile.py)
# come from the environment only.
# DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/jixiao_load. Results go to var/load/<time>-*.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/var/load
APP_PY=$ROOT/.venv/bin/python
LOAD_VENV=$OUT/venv

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/jixiao_load}
export SECRET_KEY=${SECRET_KEY:-load-test-only-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
# Production settings (DEBUG off, manifest static files through whitenoise) over plain HTTP on localhost.
export DEBUG=0 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0
export ALLOWED_HOSTS=127.0.0.1,localhost
export STATIC_ROOT=$OUT/static
export LOG_LEVEL=${LOG_LEVEL:-WARNING}

[ -x "$APP_PY" ] || { echo "没有 .venv：请先运行 make install-dev。" >&2; exit 1; }
mkdir -p "$OUT"

if [ "${1:-}" = "prepare" ]; then
  db=${DATABASE_URL##*/}
  if ! psql "${DATABASE_URL%/*}/postgres" -Atc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
    psql "${DATABASE_URL%/*}/postgres" -c "create database \"$db\""
  fi
  "$APP_PY" manage.py migrate --noinput
  time "$APP_PY" bench/scale_city.py --yes
  exit 0
fi

USERS=${USERS:-50}
DURATION=${DURATION:-5m}
# Measured on 2 cores with 50 users (bench/README.md): 5 sync workers kept only 5 requests in flight and
# served 11.6 requests/s at a 2.3 s median; 9 sync workers and 3 workers × 4 threads both kept up with the
# ~18 requests/s offered, the threads with 20 % less CPU per request and a third of the processes.
WORKERS=${WORKERS:-$(( $(nproc) + 1 ))}
THREADS=${THREADS:-4}
PORT=${PORT:-8765}
while getopts "u:t:w:k:p:" opt; do
  case $opt in
    u) USERS=$OPTARG ;;
    t) DURATION=$OPTARG ;;
    w) WORKERS=$OPTARG ;;
    k) THREADS=$OPTARG ;;
    p) PORT=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done

if [ ! -x "$LOAD_VENV/bin/locust" ]; then
  python3 -m venv "$LOAD_VENV"
  "$LOAD_VENV/bin/pip" install --quiet -r bench/requirements-load.txt
fi

"$APP_PY" manage.py collectstatic --noinput >/dev/null
STAMP=$(date +%Y%m%d-%H%M%S)
PREFIX=$OUT/$STAMP
HOST=http://127.0.0.1:$PORT

worker_args=(--workers "$WORKERS")
if [ "$THREADS" -gt 1 ]; then
  # gthread keeps connections open between requests; closing them after gunicorn's default 2 s races with a
  # virtual user's next click (1–5 s later) and shows up as "connection reset by peer".
  worker_args+=(--worker-class gthread --threads "$THREADS" --keep-alive 10)
fi
"$ROOT/.venv/bin/gunicorn" config.wsgi --bind "127.0.0.1:$PORT" "${worker_args[@]}" --timeout 120 \
  --error-logfile "$PREFIX-gunicorn.log" &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null; wait "$GUNICORN" 2>/dev/null || true' EXIT

for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$HOST/login/" 2>/dev/null && break
  sleep 0.5
done
curl -fsS -o /dev/null "$HOST/login/" || { echo "gunicorn did not answer; see $PREFIX-gunicorn.log" >&2; exit 1; }

{
  echo "run $STAMP: $USERS users for $DURATION against $HOST (gunicorn: $WORKERS workers × $THREADS threads)"
  echo "database: ${DATABASE_URL##*/}; cores: $(nproc)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); CPU pressure $(head -1 /proc/pressure/cpu 2>/dev/null)"
} | tee "$PREFIX-summary.txt"

# Every virtual user signs in once, and a sign-in hashes the password (PBKDF2, ~0.5 s of CPU): users start
# SPAWN_RATE a second and the statistics restart once all have started, so the table shows the rush itself
# rather than fifty sign-ins queued on two cores (bench/profile_pages.py times one sign-in on its own).
"$LOAD_VENV/bin/locust" -f bench/locustfile.py --headless --host "$HOST" \
  --users "$USERS" --spawn-rate "${SPAWN_RATE:-2}" --reset-stats --run-time "$DURATION" --stop-timeout 10 \
  --csv "$PREFIX" --only-summary --loglevel WARNING >"$PREFIX-locust.log" 2>&1 || true

# CPU seconds the workers used (whole seconds, sign-ins included): with the request count it says how much
# of the two cores the app itself needed, whatever else ran on the machine.
worker_cpu=$(ps -o cputimes= --ppid "$GUNICORN" | awk '{s += $1} END {print s + 0}')

{
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg); CPU pressure $(head -1 /proc/pressure/cpu 2>/dev/null)"
  echo "gunicorn workers used ${worker_cpu} CPU seconds"
  grep -h "offset" "$PREFIX-locust.log" || true
  "$LOAD_VENV/bin/python" bench/load_summary.py "$PREFIX" || true
  echo "files: $PREFIX-*"
} | tee -a "$PREFIX-summary.txt"
