"""manage.py create_admin: a finance bureau's 管理员 (createsuperuser sets no role and makes no bureau admin)."""

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organisation, User


class Command(BaseCommand):
    help = (
        "新建一个财政局的管理员账号（角色“管理员”，属于指定的财政局，只能管理本财政局的数据；"
        "财政局不存在时一并新建）。跨财政局的系统运维账号请用 create_operator。"
    )

    def add_arguments(self, parser):
        self.add_account_arguments(parser)
        parser.add_argument("--bureau", required=True, help="所属财政局名称，如 东莞市财政局")

    def add_account_arguments(self, parser):
        """The arguments of every account command (create_operator takes these alone)."""
        parser.add_argument("username", help="登录用户名")
        parser.add_argument("--full-name", default="", help="姓名")
        parser.add_argument("--email", default="", help="电子邮箱")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="不提问：密码取自环境变量 ADMIN_PASSWORD",
        )

    def handle(self, *args, username, bureau, full_name, email, interactive, **options):
        # A bureau admin is no superuser: the admin site scopes them to their bureau (policy.admin), and a
        # superuser would pass Django's own permission checks everywhere.
        user = self.new_user(username, full_name, email, interactive, is_superuser=False)
        with transaction.atomic():
            organisation, created = Organisation.objects.get_or_create(
                name=bureau, parent=None, defaults={"kind": Organisation.Kind.FINANCE_BUREAU}
            )
            user.organisation = organisation
            user.save()
        if created:
            self.stdout.write(f"已新建财政局 {organisation}。")
        self.stdout.write(f"已新建管理员 {username}（{organisation}），可登录 /admin/ 管理本财政局的组织、用户和年度。")

    def new_user(self, username, full_name, email, interactive, *, is_superuser) -> User:
        """An unsaved 管理员 account with a validated password (asked twice, or ADMIN_PASSWORD)."""
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户 {username} 已存在。")
        user = User(
            username=username,
            full_name=full_name,
            email=email,
            role=User.Role.ADMIN,
            is_staff=True,
            is_superuser=is_superuser,
        )
        password = self._ask_password() if interactive else os.environ.get("ADMIN_PASSWORD", "")
        if not password:
            raise CommandError("没有密码：交互输入，或加 --noinput 并设置环境变量 ADMIN_PASSWORD。")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("密码不符合要求：" + "".join(exc.messages)) from None
        user.set_password(password)
        return user

    def _ask_password(self) -> str:
        try:
            password = getpass.getpass("密码：")
            again = getpass.getpass("再次输入密码：")
        except EOFError:
            raise CommandError(
                "无法读取密码（没有可输入的终端）；可加 --noinput 并设置环境变量 ADMIN_PASSWORD。"
            ) from None
        if password != again:
            raise CommandError("两次输入的密码不一致。")
        return password
