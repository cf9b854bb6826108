from django.core.management.base import BaseCommand

from evaluations.demo import DEMO_PASSWORD, load_demo
from history.context import acting_as


class Command(BaseCommand):
    help = "载入五份公开发布的自评文件作为演示数据（可重复执行，不会产生重复记录）。"

    def handle(self, *args, **options):
        with acting_as(reason="载入演示数据"):
            report = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已载入：项目 {report.projects} 个，指标 {report.indicators} 条，"
                f"部门整体自评 {report.department_evaluations} 份，财政抽查审核 {report.reviews} 条。"
            )
        )
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：{'、'.join(report.users)}")
