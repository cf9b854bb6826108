"""python manage.py import_excel PATH [--year YYYY] [--bureau NAME] [--commit] [--user NAME] [--format text|json]

A dry run unless --commit. Exit status: 0 when the file can be imported faithfully (warnings are listed but do
not block), 1 when it has errors (nothing written), 2 when the file is unusable or the options are wrong.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from accounts.models import Organisation, User
from imports import service
from imports.records import CREATED, UNCHANGED, UPDATED
from imports.safety import UnusableWorkbook, check_size


class Command(BaseCommand):
    help = "导入往年的 Excel：导入模板、项目支出绩效自评表或自评结果汇总表（默认只预览，--commit 才写入）。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="xlsx 文件路径")
        parser.add_argument("--year", type=int, help="导入到的年度（默认取文件标题中的年度）")
        parser.add_argument("--bureau", help="财政局名称（系统中有多个财政局时必须指定）")
        parser.add_argument("--commit", action="store_true", help="确认写入；不加此参数只预览，不写入任何数据")
        parser.add_argument("--user", dest="username", help="以该账号的名义记入变更记录（默认记为“系统”）")
        parser.add_argument("--format", dest="output_format", choices=("text", "json"), default="text")

    def handle(self, *args, path, year, bureau, commit, output_format, username=None, **options):
        bureaus = Organisation.objects.filter(kind=Organisation.Kind.FINANCE_BUREAU, parent=None)
        if bureau:
            bureaus = bureaus.filter(name=bureau)
        found = list(bureaus[:10])
        if len(found) != 1:
            names = "、".join(b.name for b in found)
            if bureau:
                message = f"没有名为“{bureau}”的财政局。"
            elif found:
                message = f"系统中有多个财政局：{names}。请用 --bureau 指定。"
            else:
                message = "系统中还没有财政局：请先建立组织。"
            return self._fail(message, output_format)
        user = None
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                return self._fail(f"没有名为“{username}”的有效账号。", output_format)
        try:
            check_size(Path(path).stat().st_size)  # before reading a file of any size into memory
            data = Path(path).read_bytes()
        except OSError as exc:
            return self._fail(f"无法读取文件 {path}：{exc.strerror or exc}", output_format)
        except UnusableWorkbook as refused:
            return self._fail(refused.message, output_format)
        try:
            outcome = service.run(data, filename=Path(path).name, bureau=found[0], year=year, commit=commit, user=user)
        except UnusableWorkbook as refused:
            return self._fail(refused.message, output_format)
        if output_format == "json":
            self.stdout.write(json.dumps(outcome.as_dict(), ensure_ascii=False, indent=1, default=str))
        else:
            self._text(outcome, commit)
        if outcome.errors:
            sys.exit(1)

    def _fail(self, message, output_format):
        if output_format == "json":
            self.stdout.write(json.dumps({"unusable": message}, ensure_ascii=False))
        else:
            self.stderr.write(message)
        sys.exit(2)

    def _text(self, outcome, commit):
        kind = service.KIND_LABELS.get(outcome.kind, "未识别")
        self.stdout.write(f"文件类型：{kind}；年度：{outcome.year or '未知'}；财政局：{outcome.bureau}")
        counts = "，".join(f"{action} {outcome.count(action)} 条" for action in (CREATED, UPDATED, UNCHANGED))
        self.stdout.write(f"记录：{counts}")
        for change in outcome.changes:
            if change.action != UNCHANGED:
                fields = f"（{'、'.join(change.fields)}）" if change.fields else ""
                self.stdout.write(f"  {change.action} {change.kind}：{change.label}{fields}")
        for name in outcome.new_organisations:
            self.stdout.write(f"  新建组织 {name}")
        for problem in outcome.problems:
            where = f"{problem.where}：" if problem.where else ""
            self.stdout.write(f"  [{problem.severity}] {where}{problem.message}")
        if outcome.errors:
            self.stdout.write(f"有 {len(outcome.errors)} 个错误：没有写入任何数据。")
        elif outcome.committed:
            self.stdout.write("已导入。")
        elif not commit:
            self.stdout.write("预览完成，没有写入数据；确认无误后加 --commit 导入。")
