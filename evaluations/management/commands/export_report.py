"""Export a publishable report (SPEC §9) to a file: the summary sheet, one project's self-evaluation table or one
department's department-wide self-evaluation table."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from budgets.models import FiscalYear, Project
from evaluations.models import DepartmentEvaluation
from evaluations.workflow.versions import whole_number

SUMMARY = "summary"
PROJECT_TABLE = "project-table"
DEPARTMENT_TABLE = "department-table"
# How many candidates an error message lists before it says how many more there are.
LISTED_CANDIDATES = 20


def _listing(labels: list[str]) -> str:
    shown = "；".join(labels[:LISTED_CANDIDATES])
    if len(labels) > LISTED_CANDIDATES:
        shown += f"；……另有 {len(labels) - LISTED_CANDIDATES} 个"
    return shown


class Command(BaseCommand):
    help = (
        "导出报表：summary（市级财政支出绩效自评结果汇总表）、project-table（项目支出绩效自评表）"
        "或 department-table（部门整体支出绩效自评表），格式为 PDF 或 Excel。"
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[SUMMARY, PROJECT_TABLE, DEPARTMENT_TABLE], help="报表种类")
        parser.add_argument("--year", type=int, required=True, help="年度，如 2024")
        parser.add_argument("--bureau", help="财政局名称（同一年度有多个财政局时用于区分）")
        parser.add_argument("--department", help="主管部门名称；汇总表缺省为全市（财政局），department-table 必填")
        parser.add_argument("--project", help="项目编号（id）或完整的项目名称（project-table 必填）")
        parser.add_argument("--format", choices=["pdf", "xlsx"], required=True, dest="file_format", help="文件格式")
        parser.add_argument("--output", required=True, help="输出文件路径")

    def handle(self, *args, kind, year, bureau, department, project, file_format, output, **options):
        output_path = Path(output)
        if not output_path.parent.is_dir():
            raise CommandError(f"输出目录不存在：{output_path.parent}")
        years, department_orgs = self._years(year=year, bureau=bureau, department=department)

        if kind == SUMMARY:
            if project:
                raise CommandError("--project 只用于 project-table，汇总表请用 --department 筛选。")
            content = self._summary(years, department_orgs, year=year, file_format=file_format)
        elif kind == DEPARTMENT_TABLE:
            if project:
                raise CommandError("--project 只用于 project-table，部门整体支出绩效自评表请用 --department 指定部门。")
            if not department:
                raise CommandError("导出部门整体支出绩效自评表须用 --department 指定主管部门。")
            target = self._department_evaluation(years, department_orgs, year=year, department=department)
            from evaluations.reports.department_table import department_table_pdf, department_table_xlsx

            content = department_table_pdf(target) if file_format == "pdf" else department_table_xlsx(target)
        else:
            if not project:
                raise CommandError("导出项目支出绩效自评表须用 --project 指定项目（编号或完整名称）。")
            target = self._project(years, department_orgs, year=year, wanted=project)
            from evaluations.reports.project_table import project_table_pdf, project_table_xlsx

            content = project_table_pdf(target) if file_format == "pdf" else project_table_xlsx(target)

        output_path.write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"已导出：{output_path}（{len(content):,} 字节）"))

    def _years(self, *, year, bureau, department):
        """The fiscal years (one per bureau) the options allow, and the matching departments."""
        years = FiscalYear.objects.filter(year=year).select_related("finance_bureau")
        if not years.exists():
            raise CommandError(f"没有 {year} 年度的数据。")
        if bureau:
            years = years.filter(finance_bureau__name=bureau)
            if not years.exists():
                raise CommandError(f"财政局“{bureau}”没有 {year} 年度的数据。")
        years = list(years)
        department_orgs = []
        if department:
            department_orgs = list(
                Organisation.objects.departments()
                .filter(name=department, parent__in=[y.finance_bureau_id for y in years])
                .select_related("parent")
            )
            if not department_orgs:
                raise CommandError(f"{year} 年度没有名为“{department}”的主管部门。")
            bureau_ids = {org.parent_id for org in department_orgs}
            years = [y for y in years if y.finance_bureau_id in bureau_ids]
        return years, department_orgs

    def _summary(self, years, department_orgs, *, year, file_format) -> bytes:
        from evaluations.reports.summary import build_summary, summary_pdf, summary_xlsx

        if len(years) > 1:
            bureaus = "、".join(sorted(y.finance_bureau.name for y in years))
            raise CommandError(f"{year} 年度有多个财政局：{bureaus}。请用 --bureau 或 --department 指定。")
        department = department_orgs[0] if department_orgs else None
        sheet = build_summary(fiscal_year=years[0], department=department)
        return summary_pdf(sheet) if file_format == "pdf" else summary_xlsx(sheet)

    def _department_evaluation(self, years, department_orgs, *, year, department) -> DepartmentEvaluation:
        matches = list(
            DepartmentEvaluation.objects.filter(fiscal_year__in=years, department__in=department_orgs).select_related(
                "fiscal_year__finance_bureau"
            )
        )
        if not matches:
            raise CommandError(f"“{department}”没有 {year} 年度的部门整体支出绩效自评。")
        if len(matches) > 1:
            bureaus = "、".join(sorted(m.fiscal_year.finance_bureau.name for m in matches))
            raise CommandError(f"{year} 年度有多个财政局下的“{department}”：{bureaus}。请用 --bureau 指定。")
        return matches[0]

    def _project(self, years, department_orgs, *, year, wanted) -> Project:
        candidates = Project.objects.filter(fiscal_year__in=years).select_related("unit", "fiscal_year")
        if department_orgs:
            candidates = candidates.filter(unit__in=[o.pk for o in department_orgs]) | candidates.filter(
                unit__parent__in=[o.pk for o in department_orgs]
            )
        by_name = list(candidates.filter(name=wanted.strip()).order_by("pk"))
        by_id = list(candidates.filter(pk=whole_number(wanted))) if whole_number(wanted) is not None else []
        matches = by_id or by_name
        if len(matches) == 1:
            return matches[0]
        listed = matches or list(candidates.order_by("sort_order", "unit__name", "name", "pk"))
        labels = [f"{p.pk} {p.name}（{p.unit.name}）" for p in listed]
        if matches:
            raise CommandError(f"“{wanted}”对应 {len(matches)} 个项目，请改用编号：{_listing(labels)}")
        if not labels:
            raise CommandError(f"{year} 年度没有项目。")
        raise CommandError(f"{year} 年度没有编号或名称为“{wanted}”的项目。可选项目：{_listing(labels)}")
