"""manage.py create_admin: the first 管理员 of a new installation."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Organisation, User
from evaluations.tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Qiang-mima-2025"


@pytest.fixture
def typed(monkeypatch):
    """Answers the password prompts with the given strings, in order."""

    def answer(*answers):
        replies = iter(answers)
        monkeypatch.setattr("getpass.getpass", lambda prompt: next(replies))

    return answer


def _create_admin(*args):
    out = io.StringIO()
    call_command("create_admin", *args, stdout=out)
    return out.getvalue()


def test_creates_an_admin_of_a_new_bureau_who_reaches_the_admin_site(client, typed):
    typed(PASSWORD, PASSWORD)

    output = _create_admin("wang", "--bureau", "东莞市财政局", "--full-name", "王管理")

    user = User.objects.get(username="wang")
    assert (user.role, user.organisation.name, user.organisation.kind, user.full_name) == (
        "admin",
        "东莞市财政局",
        "finance_bureau",
        "王管理",
    )
    assert output.splitlines() == [
        "已新建财政局 东莞市财政局。",
        "已新建管理员 wang（东莞市财政局），可登录 /admin/ 管理组织、用户和年度。",
    ]
    assert user.check_password(PASSWORD) is True
    client.force_login(user)
    assert client.get("/admin/").status_code == 200


def test_joins_an_existing_bureau_and_reads_the_password_from_the_environment_without_input(monkeypatch):
    bureau = OrganisationFactory(name="东莞市财政局", kind="finance_bureau", parent=None)
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)

    _create_admin("wang", "--bureau", "东莞市财政局", "--noinput")

    assert list(Organisation.objects.values_list("pk", flat=True)) == [bureau.pk]
    assert User.objects.get(username="wang").check_password(PASSWORD) is True


def test_refuses_a_taken_username(typed):
    UserFactory(username="wang")
    typed(PASSWORD, PASSWORD)

    with pytest.raises(CommandError) as refusal:
        _create_admin("wang", "--bureau", "东莞市财政局")

    assert str(refusal.value) == "用户 wang 已存在。"


def test_refuses_a_weak_password_with_the_validators_reasons_in_chinese(typed):
    typed("12345678", "12345678")

    with pytest.raises(CommandError) as refusal:
        _create_admin("wang", "--bureau", "东莞市财政局")

    assert str(refusal.value) == "密码不符合要求：这个密码太常见了。密码只包含数字。"
    assert User.objects.filter(username="wang").exists() is False


def test_refuses_two_different_passwords(typed):
    typed(PASSWORD, PASSWORD + "x")

    with pytest.raises(CommandError) as refusal:
        _create_admin("wang", "--bureau", "东莞市财政局")

    assert str(refusal.value) == "两次输入的密码不一致。"
