"""manage.py create_operator: the installation's operator, the one account that acts across bureaus."""

from accounts.management.commands.create_admin import Command as CreateAdminCommand


class Command(CreateAdminCommand):
    help = (
        "新建本系统的运维账号（超级用户，不属于任何财政局）：唯一可以跨财政局查看和修改数据的账号，"
        "供部署和运维人员使用。各财政局的管理员请用 create_admin。"
    )

    def add_arguments(self, parser):
        self.add_account_arguments(parser)

    def handle(self, *args, username, full_name, email, interactive, **options):
        user = self.new_user(username, full_name, email, interactive, is_superuser=True)
        user.organisation = None
        user.save()
        self.stdout.write(f"已新建系统运维账号 {username}：不属于任何财政局，可登录 /admin/ 管理所有财政局的数据。")
