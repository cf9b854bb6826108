"""manage.py create_admin (a finance bureau's 管理员) and create_operator (the installation's operator)."""

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


def _create_operator(*args):
    out = io.StringIO()
    call_command("create_operator", *args, stdout=out)
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
        "已新建管理员 wang（东莞市财政局），可登录 /admin/ 管理本财政局的组织、用户和年度。",
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


def test_a_bureau_admin_is_staff_but_no_superuser(typed):
    typed(PASSWORD, PASSWORD)

    _create_admin("wang", "--bureau", "东莞市财政局")

    user = User.objects.get(username="wang")
    assert (user.is_staff, user.is_superuser, user.is_active) == (True, False, True)


def test_refuses_without_a_password_when_told_not_to_ask(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)

    with pytest.raises(CommandError) as refusal:
        _create_admin("wang", "--bureau", "东莞市财政局", "--noinput")

    assert str(refusal.value) == "没有密码：交互输入，或加 --noinput 并设置环境变量 ADMIN_PASSWORD。"
    assert (User.objects.exists(), Organisation.objects.exists()) == (False, False)


# --- create_operator ------------------------------------------------------------------------------------------


def test_creates_the_operator_outside_every_bureau_who_reaches_the_admin_site(client, typed):
    typed(PASSWORD, PASSWORD)

    output = _create_operator("ops", "--full-name", "运维", "--email", "ops@example.cn")

    user = User.objects.get(username="ops")
    assert (user.role, user.organisation, user.is_staff, user.is_superuser, user.full_name, user.email) == (
        "admin",
        None,
        True,
        True,
        "运维",
        "ops@example.cn",
    )
    assert output.splitlines() == ["已新建系统运维账号 ops：不属于任何财政局，可登录 /admin/ 管理所有财政局的数据。"]
    assert (user.check_password(PASSWORD), Organisation.objects.exists()) == (True, False)
    client.force_login(user)
    assert client.get("/admin/").status_code == 200


def test_the_operator_reads_the_password_from_the_environment_without_input(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)

    _create_operator("ops", "--noinput")

    assert User.objects.get(username="ops").check_password(PASSWORD) is True


def test_the_operator_command_refuses_a_taken_username_and_a_weak_password(typed):
    UserFactory(username="ops")
    typed("12345678", "12345678")

    with pytest.raises(CommandError) as taken:
        _create_operator("ops")
    with pytest.raises(CommandError) as weak:
        _create_operator("ops2")

    assert (str(taken.value), str(weak.value)) == (
        "用户 ops 已存在。",
        "密码不符合要求：这个密码太常见了。密码只包含数字。",
    )
    assert User.objects.filter(username="ops2").exists() is False


def test_the_operator_commands_help_says_it_acts_across_bureaus():
    from accounts.management.commands.create_operator import Command

    assert "跨财政局" in Command.help
