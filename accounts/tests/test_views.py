"""Logging in and out, the home page, the admin site, and a walk over every URL asking it to require login."""

import re

import pytest
from django.http import QueryDict
from django.urls import URLResolver, get_resolver, reverse

from evaluations.models import ReportExport
from evaluations.tests.factories import CAST_NAMES, DepartmentEvaluationFactory, FinanceReviewFactory, UserFactory

WRONG_CREDENTIALS = "请输入一个正确的用户名和密码。注意，两者都区分大小写。"


def _login_url(next_url):
    query = QueryDict(mutable=True)
    query["next"] = next_url
    return f"{reverse('accounts:login')}?{query.urlencode(safe='/')}"


def _first(pattern, content):
    match = re.search(pattern, content, flags=re.DOTALL)
    return match.group(1).strip() if match else None


# --- the login page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_is_in_chinese(client):
    response = client.get("/login/")

    content = response.content.decode()
    assert (
        response.status_code,
        list(response.context["form"].fields),
        _first(r"<title>(.*?)</title>", content),
        _first(r"<h1>(.*?)</h1>", content),
        re.findall(r'<label for="id_\w+">(.*?)</label>', content),
        _first(r'<button type="submit" class="primary">(.*?)</button>', content),
    ) == (200, ["username", "password"], "登录 · 预算绩效自评系统", "登录", ["用户名", "密码"], "登录")


def test_a_wrong_password_is_refused_in_chinese_and_keeps_the_username(client, cast):
    response = client.post("/login/", {"username": "filler", "password": "wrong-password"})

    form = response.context["form"]
    assert (
        response.status_code,
        list(form.non_field_errors()),
        form["username"].value(),
        'value="filler"' in _first(r"(<input[^>]*name=\"username\"[^>]*>)", response.content.decode()),
        "_auth_user_id" in client.session,
    ) == (200, [WRONG_CREDENTIALS], "filler", True, False)


@pytest.mark.parametrize(
    ("name", "who", "role_line"),
    [
        ("unit_filler", "filler · 单位填报人 · 东莞市技师学院", "角色：单位填报人 · 东莞市技师学院"),
        (
            "other_unit_filler",
            "filler2 · 单位填报人 · 东莞市社会保险基金管理中心",
            "角色：单位填报人 · 东莞市社会保险基金管理中心",
        ),
        ("foreign_unit_filler", "filler3 · 单位填报人 · 东莞市实验中学", "角色：单位填报人 · 东莞市实验中学"),
        (
            "department_reviewer",
            "reviewer · 主管部门审核人 · 东莞市人力资源和社会保障局",
            "角色：主管部门审核人 · 东莞市人力资源和社会保障局",
        ),
        (
            "other_department_reviewer",
            "reviewer2 · 主管部门审核人 · 东莞市教育局",
            "角色：主管部门审核人 · 东莞市教育局",
        ),
        ("finance_reviewer", "finance · 财政审核员 · 东莞市财政局", "角色：财政审核员 · 东莞市财政局"),
        ("other_bureau_finance_reviewer", "finance2 · 财政审核员 · 烈山区财政局", "角色：财政审核员 · 烈山区财政局"),
        ("admin", "admin · 管理员 · 东莞市财政局", "角色：管理员 · 东莞市财政局"),
        ("no_organisation", "orphan · 单位填报人", "角色：单位填报人"),
    ],
)
def test_each_member_of_the_cast_logs_in_and_sees_their_role_on_the_home_page(client, cast, name, who, role_line):
    username = getattr(cast, name).username

    response = client.post("/login/", {"username": username, "password": "demo1234"}, follow=True)

    content = response.content.decode()
    assert (
        response.redirect_chain,
        _first(r'<span class="who">(.*?)</span>', content),
        _first(r'<p class="muted">(角色：.*?)</p>', content),
    ) == ([("/", 302)], who, role_line)


@pytest.mark.django_db
def test_an_anonymous_visitor_of_the_home_page_is_sent_to_the_login_page(client):
    response = client.get("/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")


# --- logging out ------------------------------------------------------------------------------------


def test_logout_refuses_a_get_and_leaves_the_user_logged_in(client, cast):
    client.force_login(cast.unit_filler)

    response = client.get("/logout/")

    assert (response.status_code, client.get("/").status_code) == (405, 200)


def test_logout_by_post_logs_out_and_returns_to_the_login_page(client, cast):
    client.force_login(cast.unit_filler)

    response = client.post("/logout/")

    assert (
        response.status_code,
        response["Location"],
        "_auth_user_id" in client.session,
        client.get("/")["Location"],
    ) == (
        302,
        "/login/",
        False,
        "/login/?next=/",
    )


# --- the admin site ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CAST_NAMES)
def test_only_the_admin_role_reaches_the_admin_site(client, cast, name):
    client.force_login(getattr(cast, name))

    response = client.get("/admin/")

    expected = (200, None) if name == "admin" else (302, "/admin/login/?next=/admin/")
    assert (response.status_code, response.get("Location")) == expected


def test_the_admin_site_opens_on_its_chinese_index(client, cast):
    client.force_login(cast.admin)

    response = client.get("/admin/")

    assert (response.status_code, response.context["title"], response.context["site_header"]) == (
        200,
        "数据管理",
        "绩效自评 · 系统管理",
    )


@pytest.mark.parametrize(
    "flags", [{"is_staff": True}, {"is_staff": True, "is_superuser": True}], ids=["staff", "staff-superuser"]
)
def test_a_finance_reviewer_with_staff_flags_is_still_sent_to_the_admin_login(client, cast, flags):
    reviewer = cast.finance_reviewer
    for flag, value in flags.items():
        setattr(reviewer, flag, value)
    reviewer.save()
    client.force_login(reviewer)

    response = client.get("/admin/")

    assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/")


@pytest.mark.django_db
def test_an_anonymous_visitor_of_the_admin_site_is_sent_to_the_admin_login(client):
    response = client.get("/admin/")

    assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/")


# --- every URL needs a login ------------------------------------------------------------------------

# Reachable without logging in, by design: the login page, logout (POST-only, harmless when anonymous) and the
# health URL the load balancer and the container probe call (config/tests/test_health.py).
PUBLIC = {"accounts:login", "accounts:logout", "healthz"}


def _walk(resolver, namespace="", kwarg_names=()):
    """Every URL pattern below ``resolver``: (qualified name or None, route, names of the kwargs it takes)."""
    for entry in resolver.url_patterns:
        names = kwarg_names + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            # The admin site guards itself with its own login (tested above).
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, inner, names)
        else:
            yield (f"{namespace}{entry.name}" if entry.name else None, str(entry.pattern), names)


URLS = [url for url in _walk(get_resolver()) if url[0] not in PUBLIC]


@pytest.fixture
def url_kwargs(org, year, evaluation):
    """The kwargs to reverse a pattern with: real ids, so that a view looking its object up before checking the
    login would answer 200, 403 or 404 instead of redirecting, and fail the walk."""
    project = evaluation.project
    # Patterns whose kwargs the conventional names below do not settle, e.g. "evaluations:detail": {"pk": …}.
    department_evaluation = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
    review = FinanceReviewFactory(evaluation=evaluation)
    export = ReportExport.objects.create(owner=UserFactory(), kind="summary", format="pdf", fiscal_year=year)
    by_pattern = {
        "finance:sample_add": {"pk": evaluation.pk},
        "finance:review": {"pk": review.pk},
        "finance:reopen": {"pk": review.pk},
        "finance:remove": {"pk": review.pk},
        "finance:department_review": {"pk": department_evaluation.pk},
        "reports:summary": {"year": year.year, "fmt": "pdf"},
        "reports:project_table": {"pk": project.pk, "fmt": "pdf"},
        "reports:department_table": {"pk": department_evaluation.pk, "fmt": "pdf"},
        "reports:export_download": {"pk": export.pk},
        "reports:export_retry": {"pk": export.pk},
        "reports:project_report": {"pk": project.pk},
        "imports:detail": {"pk": 1},
        "imports:commit": {"pk": 1},
        "imports:template": {"profile": "national"},
        "audit:project": {"pk": project.pk},
    }
    by_kwarg = {
        "project_pk": project.pk,
        "evaluation_pk": evaluation.pk,
        "year": year.year,
        "department_pk": org.department.pk,
    }

    # A bare "pk" means the object the namespace is about.
    pk_by_namespace = {"budgets": project.pk, "evaluations": evaluation.pk, "department": department_evaluation.pk}

    def kwargs_for(name, kwarg_names):
        if name in by_pattern:
            return by_pattern[name]
        kwargs = {kwarg: by_kwarg[kwarg] for kwarg in kwarg_names if kwarg in by_kwarg}
        if "pk" in kwarg_names and name.split(":")[0] in pk_by_namespace:
            kwargs["pk"] = pk_by_namespace[name.split(":")[0]]
        return kwargs

    return kwargs_for


def test_the_url_walk_finds_the_home_page_and_the_public_pages_it_skips():
    names = {name for name, _, _ in _walk(get_resolver())}

    assert sorted(names & (PUBLIC | {"accounts:home"})) == [
        "accounts:home",
        "accounts:login",
        "accounts:logout",
        "healthz",
    ]


@pytest.mark.parametrize(("name", "route", "kwarg_names"), URLS, ids=[name or route for name, route, _ in URLS])
def test_an_anonymous_visitor_is_sent_to_the_login_page_from_every_url(client, url_kwargs, name, route, kwarg_names):
    if name is None:
        pytest.fail(f"URL pattern {route!r} has no name: give it one so this walk can reverse it")
    kwargs = url_kwargs(name, kwarg_names)
    if set(kwarg_names) - set(kwargs):
        pytest.fail(f"URL {name} takes {', '.join(kwarg_names)}: add real ids for it to the url_kwargs fixture")
    url = reverse(name, kwargs=kwargs)

    responses = [client.get(url), client.post(url)]

    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, _login_url(url))] * 2
