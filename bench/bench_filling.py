"""Benchmark of the filling pages: the project list over 10,000 projects and saving a 30-indicator form.

Each figure is compared with the raw library doing the same work in the same run, because the machine is
noisy and only ratios hold. Runs against a throwaway test database (SQLite, or PostgreSQL when DATABASE_URL
is set). Usage: `SECRET_KEY=x .venv/bin/python bench/bench_filling.py [--projects 10000] [--repeat 5]`.
"""

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django

django.setup()

import django_tables2 as tables  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.forms import inlineformset_factory  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


class QueryCount:
    """Counts the statements run inside the block (execute_wrapper sees every one, unlike queries_log)."""

    def __enter__(self):
        self.n = 0
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        if os.environ.get("BENCH_SHOW_SQL") and os.environ.get("BENCH_TRACE"):
            print("SQL", sql[:150])
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def __len__(self):
        return self.n


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def populate(n_projects):
    from accounts.models import Organisation, User
    from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
    from evaluations.models import ProjectEvaluation

    bureau = Organisation.objects.create(name="基准财政局", kind="finance_bureau")
    department = Organisation.objects.create(name="基准部门", kind="department", parent=bureau)
    units = [Organisation.objects.create(name=f"基准单位{i}", parent=department) for i in range(20)]
    year = FiscalYear.objects.create(finance_bureau=bureau, year=2025, profile=RuleProfile.objects.get(code="national"))
    projects = Project.objects.bulk_create(
        Project(fiscal_year=year, unit=units[i % len(units)], name=f"项目{i:05d}", code=f"P{i:05d}", sort_order=i)
        for i in range(n_projects)
    )
    BudgetLine.objects.bulk_create(
        BudgetLine(
            project=p,
            fund_source=src,
            order=o,
            initial_wan=Decimal("100"),
            adjusted_wan=Decimal("90"),
            executed_wan=Decimal("85.5"),
        )
        for p in projects
        for o, src in enumerate(("本年财政拨款", "上年结转资金"))
    )
    ProjectEvaluation.objects.bulk_create(
        ProjectEvaluation(project=p, computed_total=Decimal("88.5"), computed_grade="良") for p in projects
    )
    reviewer = User.objects.create_user("bench-finance", password="x", role="finance_reviewer", organisation=bureau)
    filler = User.objects.create_user("bench-unit", password="x", role="unit_filler", organisation=units[0])
    return reviewer, filler, year


class RawProjectTable(tables.Table):
    """The same columns as ProjectTable, built the way django-tables2's documentation shows, without our work."""

    class Meta:
        from budgets.models import Project

        model = Project
        fields = ("name", "code", "unit__name", "fiscal_year__year", "sort_order")


def bench_list(reviewer, repeat):
    from budgets.models import Project

    client = Client()
    client.force_login(reviewer)
    url = "/projects/?per_page=25&page=3"
    with QueryCount() as ours_q:
        assert client.get(url).status_code == 200
    ours = timed(lambda: client.get(url), repeat)

    request = RequestFactory().get(url)

    def raw():
        table = RawProjectTable(Project.objects.select_related("unit", "fiscal_year").order_by("sort_order"))
        tables.RequestConfig(request, paginate={"per_page": 25}).configure(table)
        return table.as_html(request)

    with QueryCount() as raw_q:
        raw()
    raw_time = timed(raw, repeat)
    return ours, len(ours_q), raw_time, len(raw_q)


def bench_save(filler, year, n_indicators, repeat):
    from budgets.models import Project
    from evaluations.filling.services import project_create
    from indicators.models import Indicator

    project = project_create(fiscal_year=year, unit=filler.organisation, name=f"保存基准{n_indicators}")
    Indicator.objects.bulk_create(
        Indicator(
            project=project,
            order=i,
            level1="产出指标",
            level2="数量指标",
            name=f"指标{i}",
            sign="≥",
            target_text="100",
            target_value=Decimal(100),
            unit="人",
            actual_text="95",
            actual_value=Decimal(95),
            weight=Decimal(3),
            claimed_score=Decimal("2.85"),
        )
        for i in range(n_indicators)
    )
    client = Client()
    client.force_login(filler)
    edit_url = f"/projects/{project.pk}/edit/"

    def post_data():
        response = client.get(edit_url)
        ctx = response.context
        data = {"version": str(Project.objects.get(pk=project.pk).version), "action": "save"}
        for form in (ctx["form"],):
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                data[form.add_prefix(name)] = "" if value is None else value
        for formset in (ctx["budget_formset"], ctx["indicator_formset"]):
            for name, value in formset.management_form.initial.items():
                data[formset.management_form.add_prefix(name)] = value
            for form in formset.forms:
                for name, field in form.fields.items():
                    value = form.initial.get(name, field.initial)
                    if hasattr(value, "pk"):
                        value = value.pk
                    data[form.add_prefix(name)] = "" if value is None else value
        return data

    data = post_data()
    os.environ["BENCH_TRACE"] = "1"
    with QueryCount() as ours_q:
        assert client.post(edit_url, data).status_code == 302
    os.environ.pop("BENCH_TRACE")

    def ours():
        fresh = post_data()
        client.post(edit_url, fresh)

    # post_data() itself GETs the page; time it alone so the save can be isolated.
    get_only = timed(post_data, repeat)
    ours_time = timed(ours, repeat) - get_only

    formset_class = inlineformset_factory(
        Project, Indicator, fields=["name", "weight", "claimed_score", "target_text", "actual_text"], extra=0
    )

    def raw():
        formset = formset_class(instance=project)
        p = formset.prefix
        payload = {f"{p}-{k}": v for k, v in formset.management_form.initial.items()}
        for i, form in enumerate(formset.forms):
            payload[f"{p}-{i}-id"] = form.instance.pk
            payload[f"{p}-{i}-name"] = form.instance.name[:20] + "x"
            payload[f"{p}-{i}-weight"] = "3"
            payload[f"{p}-{i}-claimed_score"] = "2.85"
            payload[f"{p}-{i}-target_text"] = "100"
            payload[f"{p}-{i}-actual_text"] = "95"
        bound = formset_class(payload, instance=project)
        assert bound.is_valid(), bound.errors
        bound.save()

    with QueryCount() as raw_q:
        raw()
    raw_time = timed(raw, repeat)
    return ours_time, len(ours_q), raw_time, len(raw_q)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collected static files here: plain storage, as in the tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        start = time.perf_counter()
        reviewer, filler, year = populate(args.projects)
        print(f"database: {connection.vendor}; {args.projects} projects created in {time.perf_counter() - start:.1f} s")
        ours, ours_q, raw, raw_q = bench_list(reviewer, args.repeat)
        print(
            f"list page (25 rows of {args.projects}, page 3, filters, totals): ours {ours * 1000:.1f} ms / "
            f"{ours_q} queries; raw django-tables2 table {raw * 1000:.1f} ms / {raw_q} queries; ratio {ours / raw:.2f}"
        )
        for n in (3, 30):
            ours, ours_q, raw, raw_q = bench_save(filler, year, n, args.repeat)
            print(
                f"save form with {n} indicators: ours {ours * 1000:.1f} ms / {ours_q} queries; "
                f"raw inline formset save {raw * 1000:.1f} ms / {raw_q} queries; ratio {ours / raw:.2f}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
