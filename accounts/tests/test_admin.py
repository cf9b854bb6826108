"""The Django admin: every model is there, in Chinese, and every page of it renders for the 管理员 role."""

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import User
from evaluations.demo import load_demo
from history.records import is_audited

pytestmark = pytest.mark.django_db

APP_MODELS = {"accounts", "budgets", "indicators", "evaluations"}


def _our_models():
    from django.apps import apps

    # The audit trail's history tables are reached through their record's 历史 page, not listed on their own.
    ours = (m for m in apps.get_models() if m._meta.app_label in APP_MODELS and not hasattr(m, "instance_type"))
    return sorted(ours, key=lambda m: m._meta.label)


def test_every_model_of_the_application_is_registered_with_a_chinese_name():
    models = _our_models()
    missing = [m._meta.label for m in models if m not in admin.site._registry]
    untranslated = [m._meta.label for m in models if m._meta.verbose_name.isascii()]

    assert (missing, untranslated) == ([], [])


def _pages_failing_for(client):
    """Every changelist, and the change and history pages of its first row, that do not render (URL, status)."""
    failures = []
    for model in _our_models():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(changelist)
        if response.status_code != 200:
            failures.append((changelist, response.status_code))
            continue
        # The first row the signed-in user administers: a bureau admin's list holds their bureau's rows only.
        first = response.context["cl"].queryset.order_by("pk").first()
        if first is None:
            continue
        pages = [reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])]
        if is_audited(model):  # the record's change history (django-simple-history's admin page)
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[first.pk]))
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                failures.append((url, response.status_code))
    return failures


def test_every_changelist_and_change_page_renders_for_the_admin_role(client):
    load_demo()
    client.login(request=HttpRequest(), username="admin", password="demo1234")

    assert _pages_failing_for(client) == []


def test_every_changelist_and_change_page_renders_for_the_operator(client, monkeypatch):
    load_demo()
    monkeypatch.setenv("ADMIN_PASSWORD", "Yunwei-mima-2025")
    call_command("create_operator", "ops", "--noinput", stdout=io.StringIO())
    client.login(request=HttpRequest(), username="ops", password="Yunwei-mima-2025")

    assert _pages_failing_for(client) == []


def test_the_demo_admin_is_a_bureau_admin_and_no_superuser():
    load_demo()

    admin_user = User.objects.get(username="admin")

    assert (admin_user.is_staff, admin_user.is_superuser, admin_user.organisation.parent_id) == (True, False, None)


def test_the_admin_index_is_in_chinese(client):
    load_demo()
    client.login(request=HttpRequest(), username="admin", password="demo1234")

    response = client.get(reverse("admin:index"))

    assert ("绩效自评 · 系统管理" in response.text, "项目绩效自评" in response.text) == (True, True)
