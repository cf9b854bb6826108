"""The admin site is bureau-scoped (SPEC §12): a 管理员 administers their own finance bureau only.

Regression of issue 13, finding 1: ``create_admin --bureau 烈山区财政局`` made a superuser who opened, changed and
deleted 东莞's projects, reviews and users in /admin/ and took a 东莞 account over through its password page.

Every registered model is walked (``admin.site._registry``), so a model added later is covered or the first test
names it. Bureau A is 东莞市财政局, bureau B 烈山区财政局; the bureau admin under test is B's.
"""

import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Organisation, User
from budgets.models import (
    BudgetLine,
    DepartmentIndicator,
    FiscalYear,
    ProfileFundSource,
    ProfileLevel1,
    ProfileLevel2,
    Project,
    RuleProfile,
)
from evaluations.models import (
    DepartmentEvaluation,
    DepartmentScoreItem,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    ReportExport,
    ReviewIndicatorScore,
    SpotCheckSample,
)
from evaluations.tests.factories import (
    BudgetLineFactory,
    DepartmentEvaluationFactory,
    FinanceReviewFactory,
    FiscalYearFactory,
    IndicatorFactory,
    OrganisationFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
    UserFactory,
)
from indicators.models import Indicator, LibraryIndicator

pytestmark = pytest.mark.django_db

PASSWORD = "Qiang-mima-2025"
NOT_FOUND_OR_FORBIDDEN = (403, 404)


def _bureau_rows(tag: str, slug: str) -> dict:
    """A finance bureau with one row of every bureau-bound model: {model: [rows]}."""
    bureau = OrganisationFactory(name=f"{tag}财政局", kind="finance_bureau", parent=None)
    department = OrganisationFactory(name=f"{tag}人社局", kind="department", parent=bureau)
    unit = OrganisationFactory(name=f"{tag}技师学院", parent=department)
    filler = UserFactory(username=f"{slug}-filler", full_name=f"{tag}填报人", role="unit_filler", organisation=unit)
    profile = RuleProfile.objects.create(code=f"{slug}-profile", name=f"{tag}方案", finance_bureau=bureau)
    level1 = ProfileLevel1.objects.create(profile=profile, name="产出指标", weight=Decimal(50))
    level2 = ProfileLevel2.objects.create(level1=level1, name="数量指标")
    fund_source = ProfileFundSource.objects.create(profile=profile, name="本年财政拨款")
    department_indicator = DepartmentIndicator.objects.create(
        profile=profile,
        level1="履职效能",
        level1_points=Decimal(50),
        level2="产出",
        level2_points=Decimal(20),
        name=f"{tag}部门指标",
        points=Decimal(10),
    )
    library = LibraryIndicator.objects.create(
        level1="产出指标", level2="数量指标", name=f"{tag}库指标", finance_bureau=bureau
    )
    year = FiscalYearFactory(finance_bureau=bureau, year=2024)
    project = ProjectFactory(fiscal_year=year, unit=unit, name=f"{tag}项目", manager="张三")
    line = BudgetLineFactory(project=project)
    indicator = IndicatorFactory(project=project, name=f"{tag}培训人数", library_indicator=library)
    evaluation = ProjectEvaluationFactory(project=project, status=ProjectEvaluation.Status.APPROVED)
    department_evaluation = DepartmentEvaluationFactory(fiscal_year=year, department=department, goal="目标")
    score_item = DepartmentScoreItem.objects.create(evaluation=department_evaluation, indicator=department_indicator)
    sample = SpotCheckSample.objects.create(fiscal_year=year, ratio=Decimal("0.2"), random_seed=7, drawn_by=filler)
    review = FinanceReviewFactory(sample=sample, evaluation=evaluation, selection_reason="随机")
    review_score = ReviewIndicatorScore.objects.create(review=review, indicator=indicator, checked_score=Decimal(40))
    transition = EvaluationTransition.objects.create(
        evaluation=evaluation, from_status="submitted", to_status="approved", actor=filler, comment="同意"
    )
    export = ReportExport.objects.create(owner=filler, kind="summary", format="pdf", fiscal_year=year)
    return {
        Organisation: [bureau, department, unit],
        User: [filler],
        RuleProfile: [profile],
        ProfileLevel1: [level1],
        ProfileLevel2: [level2],
        ProfileFundSource: [fund_source],
        DepartmentIndicator: [department_indicator],
        LibraryIndicator: [library],
        FiscalYear: [year],
        Project: [project],
        BudgetLine: [line],
        Indicator: [indicator],
        ProjectEvaluation: [evaluation],
        DepartmentEvaluation: [department_evaluation],
        DepartmentScoreItem: [score_item],
        SpotCheckSample: [sample],
        FinanceReview: [review],
        ReviewIndicatorScore: [review_score],
        EvaluationTransition: [transition],
        ReportExport: [export],
    }


def _installation_rows(username: str) -> dict:
    """Rows that belong to no bureau: only the installation's operator administers them."""
    access = {"username": username, "ip_address": "10.0.0.1", "user_agent": "curl", "http_accept": "*/*"}
    return {
        Group: [Group.objects.create(name="运维组")],
        AccessAttempt: [
            AccessAttempt.objects.create(
                **access, path_info="/login/", get_data="", post_data="", failures_since_start=3
            )
        ],
        AccessLog: [AccessLog.objects.create(**access, path_info="/login/")],
        AccessFailureLog: [AccessFailureLog.objects.create(**access, path_info="/login/")],
    }


@pytest.fixture
def world():
    a = _bureau_rows("东莞市", "dg")
    b = _bureau_rows("烈山区", "ls")
    a_admin = UserFactory(
        username="dg-admin", role="admin", organisation=a[Organisation][0], is_staff=True, is_superuser=True
    )
    a[User].append(a_admin)
    return SimpleNamespace(a=a, b=b, installation=_installation_rows("dg-filler"), a_admin=a_admin)


@pytest.fixture(params=["create_admin", "legacy_superuser"])
def bureau_admin(request, world, monkeypatch):
    """B's 管理员: as ``create_admin`` makes one, and as it used to (a superuser with a bureau)."""
    if request.param == "create_admin":
        monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
        call_command("create_admin", "ls-admin", "--bureau", "烈山区财政局", "--noinput", stdout=io.StringIO())
        user = User.objects.get(username="ls-admin")
    else:
        user = UserFactory(
            username="ls-admin",
            role="admin",
            organisation=world.b[Organisation][0],
            is_staff=True,
            is_superuser=True,
        )
    world.b[User].append(user)
    return user


@pytest.fixture
def operator(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    call_command("create_operator", "ops", "--noinput", stdout=io.StringIO())
    return User.objects.get(username="ops")


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _password_url(pk):
    # UserAdmin names its password page after django.contrib.auth's user, whatever the user model.
    return reverse("admin:auth_user_password_change", args=[pk])


def _pks(rows_by_model, model):
    return {row.pk for row in rows_by_model.get(model, [])}


def _foreign(world, model):
    """What bureau B's admin must never reach of ``model``: bureau A's rows and the installation's."""
    return _pks(world.a, model) | _pks(world.installation, model)


def _object_urls(model, row):
    model_admin = admin.site._registry[model]
    urls = [_url(model, "change", row.pk), _url(model, "delete", row.pk), _url(model, "history", row.pk)]
    history = getattr(model, "history", None)
    if hasattr(model_admin, "history_form_view") and history is not None:
        version = history.model.objects.filter(id=row.pk).order_by("history_id").first()
        if version is not None:
            urls.append(_url(model, "simple_history", row.pk, version.history_id))
    if model is User:
        urls.append(_password_url(row.pk))
    return urls


def _snapshot(world):
    """Every foreign row as stored, to compare before and after an attack."""
    stored = {}
    for rows_by_model in (world.a, world.installation):
        for model, rows in rows_by_model.items():
            stored[model._meta.label] = list(
                model._base_manager.filter(pk__in=[row.pk for row in rows]).order_by("pk").values()
            )
    return stored


def _form_data(response) -> dict:
    """The POST a browser would send back from an admin change page, with its first text field altered."""
    data = {}
    main = response.context["adminform"].form
    forms_to_send = [main]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
        forms_to_send.extend(formset.forms)
    altered = False
    for form in forms_to_send:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            elif value is not None:
                data[key] = str(value)
                is_text = type(field) is forms.CharField and not isinstance(field, forms.TypedChoiceField)
                if form is main and not altered and is_text and value and name not in ("username", "code"):
                    data[key] = f"{value}（篡改）"
                    altered = True
    return data


# --- nothing registered escapes the policy --------------------------------------------------------------------


def test_the_fixture_has_a_row_of_every_model_registered_in_the_admin(world):
    missing = sorted(m._meta.label for m in admin.site._registry if m not in world.a and m not in world.installation)

    assert missing == []


def test_every_registered_admin_and_inline_is_bureau_scoped():
    from policy.admin import BureauScopedAdmin, BureauScopedInline

    unscoped = sorted(m._meta.label for m, ma in admin.site._registry.items() if not isinstance(ma, BureauScopedAdmin))
    unscoped_inlines = sorted(
        inline.__name__
        for ma in admin.site._registry.values()
        for inline in ma.inlines
        if not issubclass(inline, BureauScopedInline)
    )

    assert (unscoped, unscoped_inlines) == ([], [])


# --- bureau B's admin and bureau A's rows ---------------------------------------------------------------------


def test_no_changelist_lists_another_bureaus_rows(client, world, bureau_admin):
    client.force_login(bureau_admin)

    leaks = {}
    for model in admin.site._registry:
        response = client.get(_url(model, "changelist"))
        if response.status_code == 403:
            continue
        listed = set(response.context["cl"].queryset.values_list("pk", flat=True))
        if response.status_code != 200 or listed & _foreign(world, model):
            leaks[model._meta.label] = (response.status_code, sorted(listed & _foreign(world, model)))

    assert leaks == {}


def test_every_object_page_of_another_bureau_is_not_found(client, world, bureau_admin):
    client.force_login(bureau_admin)

    opened = {}
    for rows_by_model in (world.a, world.installation):
        for model, rows in rows_by_model.items():
            for row in rows:
                for url in _object_urls(model, row):
                    status = client.get(url).status_code
                    if status not in NOT_FOUND_OR_FORBIDDEN:
                        opened[url] = status

    assert opened == {}


def test_a_post_to_another_bureaus_object_changes_nothing(client, world, bureau_admin):
    # The pages as A's own admin sees them, so that every POST below is one that would save.
    client.force_login(world.a_admin)
    payloads = {}
    for model, rows in world.a.items():
        for row in rows:
            response = client.get(_url(model, "change", row.pk))
            if response.status_code == 200 and "adminform" in response.context:
                payloads[(model, row.pk)] = _form_data(response)
    before = _snapshot(world)
    client.force_login(bureau_admin)

    answered = {}
    for (model, pk), data in payloads.items():
        answered[_url(model, "change", pk)] = client.post(_url(model, "change", pk), data).status_code
        history = getattr(model, "history", None)
        if history is not None:
            version = history.model.objects.filter(id=pk).order_by("history_id").first()
            if version is not None:
                url = _url(model, "simple_history", pk, version.history_id)
                answered[url] = client.post(url, data).status_code
    for rows_by_model in (world.a, world.installation):
        for model, rows in rows_by_model.items():
            for row in rows:
                answered[_url(model, "delete", row.pk)] = client.post(
                    _url(model, "delete", row.pk), {"post": "yes"}
                ).status_code
    for user in world.a[User]:
        url = _password_url(user.pk)
        payload = {"usable_password": "true", "password1": "Jieguan-2025x", "password2": "Jieguan-2025x"}
        answered[url] = client.post(url, payload).status_code

    assert {url: status for url, status in answered.items() if status not in NOT_FOUND_OR_FORBIDDEN} == {}
    assert _snapshot(world) == before


def test_the_password_of_another_bureaus_user_cannot_be_set(client, world, bureau_admin):
    victim = world.a_admin
    client.force_login(bureau_admin)

    page = client.get(_password_url(victim.pk))
    post = client.post(
        _password_url(victim.pk),
        {"usable_password": "true", "password1": "Jieguan-2025x", "password2": "Jieguan-2025x"},
    )

    victim.refresh_from_db()
    assert (page.status_code, post.status_code, victim.check_password("Jieguan-2025x")) == (404, 404, False)


def test_autocomplete_offers_none_of_another_bureaus_rows(client, world, bureau_admin):
    client.force_login(bureau_admin)

    leaks = {}
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.autocomplete_fields:
            remote = model._meta.get_field(field_name).remote_field.model
            for term in ("", "东莞"):
                response = client.get(
                    "/admin/autocomplete/",
                    {
                        "app_label": model._meta.app_label,
                        "model_name": model._meta.model_name,
                        "field_name": field_name,
                        "term": term,
                    },
                )
                offered = {int(r["id"]) for r in response.json()["results"]} if response.status_code == 200 else set()
                if offered & _foreign(world, remote):
                    leaks[(model._meta.label, field_name, term)] = sorted(offered & _foreign(world, remote))

    assert leaks == {}


def _choice_leaks(world, response):
    leaks = set()
    form_list = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        form_list.extend([*inline.formset.forms, inline.formset.empty_form])
    for form in form_list:
        for name, field in form.fields.items():
            # A formset's hidden pk field offers nothing: it carries its own row's pk, looked up in the parent's rows.
            if isinstance(field, forms.ModelChoiceField) and not field.widget.is_hidden:
                offered = set(field.queryset.values_list("pk", flat=True))
                if offered & _foreign(world, field.queryset.model):
                    leaks.add(name)
    return sorted(leaks)


def test_add_and_change_forms_offer_only_the_bureaus_own_choices(client, world, bureau_admin):
    client.force_login(bureau_admin)

    leaks = {}
    for model in admin.site._registry:
        pages = [_url(model, "add")] + [_url(model, "change", row.pk) for row in world.b.get(model, [])]
        for url in pages:
            response = client.get(url)
            if response.status_code == 200 and "adminform" in response.context:
                found = _choice_leaks(world, response)
                if found:
                    leaks[url] = found

    assert leaks == {}


def test_list_filters_name_none_of_another_bureaus_rows(client, world, bureau_admin):
    client.force_login(bureau_admin)

    leaks = {}
    for model in admin.site._registry:
        response = client.get(_url(model, "changelist"))
        if response.status_code != 200:
            continue
        for spec in response.context["cl"].filter_specs:
            field = getattr(spec, "field", None)
            if field is None or not field.is_relation:
                continue
            named = {pk for pk, _label in spec.lookup_choices}
            if named & _foreign(world, field.related_model):
                leaks[(model._meta.label, spec.field_path)] = sorted(named & _foreign(world, field.related_model))

    assert leaks == {}


def test_the_add_user_form_refuses_another_bureaus_organisation(client, world, bureau_admin):
    client.force_login(bureau_admin)
    foreign_unit = world.a[Organisation][2]

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "intruder",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "unit_filler",
            "organisation": foreign_unit.pk,
        },
    )

    assert (response.status_code, User.objects.filter(username="intruder").exists()) == (200, False)


def test_the_add_user_form_refuses_a_user_outside_every_bureau(client, world, bureau_admin):
    client.force_login(bureau_admin)

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "nobody",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "admin",
            "organisation": "",
        },
    )

    assert (response.status_code, User.objects.filter(username="nobody").exists()) == (200, False)


def test_a_bureau_admin_makes_no_superuser(client, world, bureau_admin):
    client.force_login(bureau_admin)
    own_unit = world.b[Organisation][2]
    colleague = world.b[User][0]

    client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "unit_filler",
            "organisation": own_unit.pk,
            "is_superuser": "on",
        },
    )
    page = client.get(_url(User, "change", colleague.pk))
    data = _form_data(page)
    data["is_superuser"] = "on"
    client.post(_url(User, "change", colleague.pk), data)

    colleague.refresh_from_db()
    assert (User.objects.get(username="newcomer").is_superuser, colleague.is_superuser) == (False, False)


def test_a_bureau_admin_cannot_move_a_user_into_another_bureau(client, world, bureau_admin):
    client.force_login(bureau_admin)
    colleague = world.b[User][0]
    data = _form_data(client.get(_url(User, "change", colleague.pk)))
    data["organisation"] = str(world.a[Organisation][2].pk)

    response = client.post(_url(User, "change", colleague.pk), data)

    colleague.refresh_from_db()
    assert (response.status_code, colleague.organisation) == (200, world.b[Organisation][2])


# --- bureau B's admin and bureau B's rows ---------------------------------------------------------------------


def test_a_bureau_admin_lists_and_opens_every_row_of_their_bureau(client, world, bureau_admin):
    client.force_login(bureau_admin)

    problems = {}
    for model, rows in world.b.items():
        response = client.get(_url(model, "changelist"))
        listed = (
            set(response.context["cl"].queryset.values_list("pk", flat=True)) if response.status_code == 200 else set()
        )
        if not _pks(world.b, model) <= listed:
            problems[_url(model, "changelist")] = response.status_code
        for row in rows:
            status = client.get(_url(model, "change", row.pk)).status_code
            if status != 200:
                problems[_url(model, "change", row.pk)] = status

    assert problems == {}


def test_a_bureau_admin_saves_a_change_to_their_own_project(client, world, bureau_admin):
    project = world.b[Project][0]
    client.force_login(bureau_admin)
    data = _form_data(client.get(_url(Project, "change", project.pk)))
    data["name"] = "烈山区项目（改名）"

    response = client.post(_url(Project, "change", project.pk), data)

    project.refresh_from_db()
    assert (response.status_code, project.name) == (302, "烈山区项目（改名）")


def test_a_bureau_admin_sets_the_password_of_their_own_user(client, world, bureau_admin):
    colleague = world.b[User][0]
    client.force_login(bureau_admin)

    response = client.post(
        _password_url(colleague.pk),
        {"usable_password": "true", "password1": "Xin-mima-2025x", "password2": "Xin-mima-2025x"},
    )

    colleague.refresh_from_db()
    assert (response.status_code, colleague.check_password("Xin-mima-2025x")) == (302, True)


def test_a_project_of_a_locked_year_is_read_only(client, world, bureau_admin):
    year = world.b[FiscalYear][0]
    project = world.b[Project][0]
    client.force_login(bureau_admin)
    data = _form_data(client.get(_url(Project, "change", project.pk)))
    data["name"] = "改名"
    FiscalYear.objects.filter(pk=year.pk).update(status=FiscalYear.Status.FINALISED)

    page = client.get(_url(Project, "change", project.pk))
    post = client.post(_url(Project, "change", project.pk), data)
    delete = client.post(_url(Project, "delete", project.pk), {"post": "yes"})

    project.refresh_from_db()
    assert (page.status_code, page.context["has_change_permission"], post.status_code, delete.status_code) == (
        200,
        False,
        403,
        403,
    )
    assert project.name == "烈山区项目"


# --- shared rule profiles and the shared indicator library (SPEC §12) ----------------------------------------


def test_a_shared_rule_profile_is_read_only_for_a_bureau_admin(client, world, bureau_admin):
    shared = RuleProfile.objects.get(code="national")
    name = shared.name
    client.force_login(bureau_admin)
    data = _form_data(client.get(_url(RuleProfile, "change", shared.pk)))
    data["name"] = "改掉共用方案"

    page = client.get(_url(RuleProfile, "change", shared.pk))
    post = client.post(_url(RuleProfile, "change", shared.pk), data)

    shared.refresh_from_db()
    assert (page.status_code, page.context["has_change_permission"], post.status_code, shared.name) == (
        200,
        False,
        403,
        name,
    )


def test_a_bureau_admin_changes_their_own_rule_profile(client, world, bureau_admin):
    own = world.b[RuleProfile][0]
    client.force_login(bureau_admin)
    data = _form_data(client.get(_url(RuleProfile, "change", own.pk)))
    data["name"] = "烈山区方案（修订）"

    response = client.post(_url(RuleProfile, "change", own.pk), data)

    own.refresh_from_db()
    assert (response.status_code, own.name, own.finance_bureau) == (302, "烈山区方案（修订）", world.b[Organisation][0])


def test_a_library_indicator_a_bureau_admin_adds_belongs_to_their_bureau(client, world, bureau_admin):
    client.force_login(bureau_admin)

    response = client.post(
        _url(LibraryIndicator, "add"),
        {"level1": "产出指标", "level2": "质量指标", "name": "合格率", "sign": "≥", "unit": "%", "is_active": "on"},
    )

    entry = LibraryIndicator.objects.get(name="合格率")
    assert (response.status_code, entry.finance_bureau) == (302, world.b[Organisation][0])


def test_a_shared_library_indicator_is_read_only_for_a_bureau_admin(client, world, bureau_admin):
    shared = LibraryIndicator.objects.create(level1="产出指标", level2="时效指标", name="按时完成率")
    client.force_login(bureau_admin)

    page = client.get(_url(LibraryIndicator, "change", shared.pk))
    post = client.post(_url(LibraryIndicator, "delete", shared.pk), {"post": "yes"})

    assert (page.status_code, page.context["has_change_permission"], post.status_code) == (200, False, 403)
    assert LibraryIndicator.objects.filter(pk=shared.pk).exists() is True


# --- the installation's operator ------------------------------------------------------------------------------


def test_the_operator_sees_and_opens_both_bureaus(client, world, operator):
    client.force_login(operator)

    listed = set(client.get(_url(Project, "changelist")).context["cl"].queryset.values_list("pk", flat=True))
    pages = {
        url: client.get(url).status_code
        for url in (
            _url(Project, "change", world.a[Project][0].pk),
            _url(Project, "change", world.b[Project][0].pk),
            _password_url(world.a_admin.pk),
            _url(Group, "change", world.installation[Group][0].pk),
        )
    }

    assert listed == _pks(world.a, Project) | _pks(world.b, Project)
    assert set(pages.values()) == {200}


def test_the_admin_index_of_a_bureau_admin_leaves_out_the_installations_tables(client, world, bureau_admin):
    client.force_login(bureau_admin)

    response = client.get("/admin/")

    labels = sorted(
        f"{app['app_label']}.{entry['object_name']}" for app in response.context["app_list"] for entry in app["models"]
    )
    assert labels == sorted(model._meta.label for model in world.b)


def test_a_bureau_admin_adds_no_bureau_and_nothing_under_another(client, world, bureau_admin):
    client.force_login(bureau_admin)

    new_bureau = client.post(_url(Organisation, "add"), {"name": "新财政局", "kind": "finance_bureau", "parent": ""})
    under_a = client.post(
        _url(Organisation, "add"),
        {"name": "挂到东莞的单位", "kind": "unit", "parent": world.a[Organisation][1].pk},
    )
    own = client.post(
        _url(Organisation, "add"),
        {"name": "烈山区新单位", "kind": "unit", "parent": world.b[Organisation][1].pk},
    )

    names = set(Organisation.objects.values_list("name", flat=True))
    assert (new_bureau.status_code, under_a.status_code, own.status_code) == (200, 200, 302)
    assert ("新财政局" in names, "挂到东莞的单位" in names, "烈山区新单位" in names) == (False, False, True)


def test_a_shared_profiles_taxonomy_takes_no_row_from_a_bureau_admin(client, world, bureau_admin):
    shared = RuleProfile.objects.get(code="national")
    client.force_login(bureau_admin)

    page = client.get(_url(ProfileLevel1, "add"))
    response = client.post(
        _url(ProfileLevel1, "add"),
        {
            "profile": shared.pk,
            "name": "新增一级",
            "weight": "10",
            "required": "on",
            "order": "9",
            "level2_categories-TOTAL_FORMS": "0",
            "level2_categories-INITIAL_FORMS": "0",
        },
    )

    offered = set(page.context["adminform"].form.fields["profile"].queryset)
    assert (offered, response.status_code, ProfileLevel1.objects.filter(name="新增一级").exists()) == (
        {world.b[RuleProfile][0]},
        200,
        False,
    )


def test_the_delete_action_deletes_own_rows_only_and_none_of_a_locked_year(client, world, bureau_admin):
    year = world.b[FiscalYear][0]
    unit = world.b[Organisation][2]
    plain, kept = (ProjectFactory(fiscal_year=year, unit=unit, name=name) for name in ("可删项目", "锁定项目"))
    foreign = world.a[Project][0]
    client.force_login(bureau_admin)
    delete = {"action": "delete_selected", "post": "yes"}

    client.post(_url(Project, "changelist"), {**delete, "_selected_action": [foreign.pk, plain.pk]})
    FiscalYear.objects.filter(pk=year.pk).update(status=FiscalYear.Status.PUBLISHED)
    client.post(_url(Project, "changelist"), {**delete, "_selected_action": [kept.pk]})

    remaining = set(Project.objects.filter(pk__in=[foreign.pk, plain.pk, kept.pk]).values_list("pk", flat=True))
    assert remaining == {foreign.pk, kept.pk}


def test_a_bureau_admin_cannot_revert_a_locked_years_project_to_an_old_version(client, world, bureau_admin):
    project = world.b[Project][0]
    version = project.history.order_by("history_id").first()
    client.force_login(bureau_admin)
    data = _form_data(client.get(_url(Project, "change", project.pk)))
    FiscalYear.objects.filter(pk=project.fiscal_year_id).update(status=FiscalYear.Status.FINALISED)
    data["name"] = "回退"

    response = client.post(_url(Project, "simple_history", project.pk, version.history_id), data)

    project.refresh_from_db()
    assert (response.status_code, project.name) == (403, "烈山区项目")
