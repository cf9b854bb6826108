"""The Django admin: every model is there, in Chinese, and every page of it renders for the 管理员 role."""

import pytest
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse

from audit.history import is_audited
from evaluations.demo import load_demo

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


def test_every_changelist_and_change_page_renders_for_the_admin_role(client):
    load_demo()
    client.login(request=HttpRequest(), username="admin", password="demo1234")

    failures = []
    models = _our_models()
    for model in models:
        opts = model._meta
        pages = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
            if is_audited(model):  # the record's change history (django-simple-history's admin page)
                pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[first.pk]))
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                failures.append((url, response.status_code))

    assert failures == []


def test_the_admin_index_is_in_chinese(client):
    load_demo()
    client.login(request=HttpRequest(), username="admin", password="demo1234")

    response = client.get(reverse("admin:index"))

    assert ("绩效自评 · 系统管理" in response.text, "项目绩效自评" in response.text) == (True, True)
