"""Where the time of each load-test endpoint goes: server time, CPU, queries and the slowest SQL per request.

Runs the scenario's requests in-process through Django's test client against the load database (the same one
bench/run_load.sh uses), one at a time, so the figures hold even on a shared machine where the concurrent
run's percentiles do not. Saves run inside a transaction that is rolled back: the database is left as found.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_load SECRET_KEY=x \\
  .venv/bin/python bench/profile_pages.py [--repeat 5] [--explain] [--only review]
"""

import argparse
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jixiao_load")
for name, value in {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
}.items():
    os.environ.setdefault(name, value)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("STATIC_ROOT", str(Path(__file__).resolve().parent.parent / "var" / "load" / "static"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from evaluations.models import FinanceReview, ProjectEvaluation  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from htmlforms import form_fields  # noqa: E402


class SqlLog:
    """Every statement of the block with its duration (execute_wrapper sees them all, DEBUG or not)."""

    def __init__(self):
        self.statements: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((time.perf_counter() - start, sql, params))

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)


def shape(sql: str) -> str:
    """A statement with its literals and IN lists folded, so the N of an N+1 shows as one shape."""
    sql = re.sub(r"\bIN \([^)]*\)", "IN (…)", sql)
    sql = re.sub(r"'[^']*'|\b\d+\b|%s", "?", sql)
    return sql


def measure(label, call, repeat, rollback=False):
    samples, cpu, logs = [], [], []
    for attempt in range(repeat + 1):
        with SqlLog() as log:
            started, started_cpu = time.perf_counter(), time.process_time()
            if rollback:
                with transaction.atomic():
                    response = call()
                    transaction.set_rollback(True)
            else:
                response = call()
            elapsed, used = time.perf_counter() - started, time.process_time() - started_cpu
        if response.status_code >= 400:
            raise SystemExit(f"{label}: HTTP {response.status_code}")
        if attempt:  # the first call warms templates and caches
            samples.append(elapsed)
            cpu.append(used)
            logs.append(log)
    log = logs[-1]
    sql_time = sum(d for d, _, _ in log.statements)
    by_shape = defaultdict(lambda: [0, 0.0, None])
    for duration, sql, params in log.statements:
        entry = by_shape[shape(sql)]
        entry[0] += 1
        entry[1] += duration
        entry[2] = entry[2] or (sql, params)
    return {
        "label": label,
        "median_ms": statistics.median(samples) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "queries": len(log.statements),
        "sql_ms": sql_time * 1000,
        "shapes": sorted(by_shape.items(), key=lambda item: -item[1][1]),
        "status": response.status_code,
    }


def explain(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def scenario():
    """(label, user, call, rollback) for each request of bench/locustfile.py, on representative records."""
    client_for = {}

    def client(user):
        if user.pk not in client_for:
            client_for[user.pk] = Client()
            client_for[user.pk].force_login(user)
        return client_for[user.pk]

    draft = (
        ProjectEvaluation.objects.filter(status=ProjectEvaluation.Status.DRAFT, project__indicators__isnull=False)
        .select_related("project__unit")
        .order_by("pk")
        .first()
    )
    unit = User.objects.get(role=User.Role.UNIT_FILLER, organisation=draft.project.unit)
    department = User.objects.filter(
        role=User.Role.DEPARTMENT_REVIEWER,
        organisation__children__projects__evaluation__status=ProjectEvaluation.Status.SUBMITTED,
    ).first()
    submitted = ProjectEvaluation.objects.filter(
        status=ProjectEvaluation.Status.SUBMITTED, project__unit__parent=department.organisation
    ).first()
    finance = User.objects.filter(role=User.Role.FINANCE_REVIEWER).first()
    review = FinanceReview.objects.filter(status=FinanceReview.Status.DRAFT, evaluation__isnull=False).first()
    pk = draft.project_id
    edit_url = f"/projects/{pk}/edit/"

    def save_project():
        c = client(unit)
        data = form_fields(c.get(edit_url).content.decode(), "project-form")
        data["action"] = "save"
        return c.post(edit_url, data)

    def save_review():
        c = client(finance)
        url = f"/finance/reviews/{review.pk}/"
        data = form_fields(c.get(url).content.decode(), "review-form")
        data.update(grade="良", reviewer_total="85", opinion_html="<p>1. 预算执行情况：良好。</p>", action="save")
        return c.post(url, data)

    def sign_in():
        # The real password check (PBKDF2) that every virtual user of the load test pays once.
        return Client().post("/login/", {"username": unit.username, "password": "load1234"})

    return [
        ("unit    POST /login/", sign_in, False),
        ("unit    GET /projects/", lambda: client(unit).get("/projects/"), False),
        ("unit    GET /projects/[id]/edit/", lambda: client(unit).get(edit_url), False),
        ("unit    GET+POST /projects/[id]/edit/", save_project, True),
        ("unit    GET /projects/[id]/", lambda: client(unit).get(f"/projects/{pk}/"), False),
        ("unit    GET /reports/projects/[id]/pdf/", lambda: client(unit).get(f"/reports/projects/{pk}/pdf/"), False),
        ("dept    GET /review/", lambda: client(department).get("/review/"), False),
        ("dept    GET /projects/[id]/", lambda: client(department).get(f"/projects/{submitted.project_id}/"), False),
        (
            "dept    POST /review/[id]/approve/",
            lambda: client(department).post(f"/review/{submitted.pk}/approve/", {"comment": ""}),
            True,
        ),
        ("finance GET /finance/", lambda: client(finance).get("/finance/"), False),
        ("finance GET /finance/?sample=in", lambda: client(finance).get("/finance/?sample=in&page=3"), False),
        ("finance GET /finance/reviews/[id]/", lambda: client(finance).get(f"/finance/reviews/{review.pk}/"), False),
        ("finance GET+POST /finance/reviews/[id]/", save_review, True),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--explain", type=int, default=0, metavar="N", help="EXPLAIN ANALYZE the N slowest SELECT shapes of each page"
    )
    parser.add_argument("--only", default="", help="only endpoints whose label contains this text")
    parser.add_argument("--shapes", type=int, default=3, help="slowest statement shapes shown per endpoint")
    args = parser.parse_args()

    print(f"database {connection.settings_dict['NAME']}; median of {args.repeat} after one warm-up call")
    print(f"{'endpoint':<42} {'server ms':>9} {'cpu ms':>7} {'queries':>7} {'sql ms':>7}")
    results = []
    for label, call, rollback in scenario():
        if args.only and args.only not in label:
            continue
        result = measure(label, call, args.repeat, rollback=rollback)
        results.append(result)
        print(
            f"{label:<42} {result['median_ms']:>9.0f} {result['cpu_ms']:>7.0f} {result['queries']:>7} "
            f"{result['sql_ms']:>7.0f}"
        )
    for result in results:
        print(f"\n== {result['label']}: slowest statement shapes (count × total ms)")
        for sql_shape, (count, total, _example) in result["shapes"][: args.shapes]:
            print(f"  {count:>4} × {total * 1000:7.1f} ms  {sql_shape[:300]}")
        selects = [example for _, (_, _, example) in result["shapes"] if example[0].lstrip().startswith("SELECT")]
        for sql, params in selects[: args.explain]:
            print(f"  EXPLAIN ANALYZE of: {sql[:2000]}")
            print("    " + explain(sql, params).replace("\n", "\n    "))


if __name__ == "__main__":
    main()
