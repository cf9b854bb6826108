"""Run the quality checks (智能审核, SPEC §11) over a year's records and list the findings, as text or JSON."""

import json
from collections import Counter
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from budgets.models import FiscalYear
from evaluations.quality.engine import findings_for
from evaluations.quality.findings import ERROR, HINT, RULE_LABELS

TEXT, JSON = "text", "json"


def _plain(value):
    """A value of a finding as JSON: Decimals as exact strings (never floats), lists and dicts item by item."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Command(BaseCommand):
    help = (
        "运行智能审核规则（质量检查），按主管部门和项目列出发现的问题；"
        "可按年度、财政局和主管部门筛选，输出文本或 JSON。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="年度，如 2024；缺省为全部年度")
        parser.add_argument("--bureau", help="财政局名称（同一年度有多个财政局时用于区分）")
        parser.add_argument("--department", help="主管部门名称；缺省为全部主管部门")
        parser.add_argument("--format", choices=[TEXT, JSON], default=TEXT, dest="output_format", help="输出格式")

    def handle(self, *args, year, bureau, department, output_format, **options):
        years, department_orgs = self._years(year=year, bureau=bureau, department=department)
        records = []
        for fiscal_year in years:
            wanted = [org for org in department_orgs if org.parent_id == fiscal_year.finance_bureau_id]
            if department_orgs and not wanted:
                continue
            for org in wanted or [None]:
                records += findings_for(fiscal_year, org)
        if output_format == JSON:
            self.stdout.write(json.dumps(self._rows(records), ensure_ascii=False, indent=1))
        else:
            self._text(records)

    def _years(self, *, year, bureau, department):
        """The fiscal years the options allow (newest first) and the matching departments, or a Chinese error."""
        years = FiscalYear.objects.select_related("finance_bureau").order_by("-year", "finance_bureau__name")
        if year is not None:
            years = years.filter(year=year)
            if not years.exists():
                raise CommandError(f"没有 {year} 年度的数据。")
        if bureau:
            years = years.filter(finance_bureau__name=bureau)
            if not years.exists():
                when = f" {year} 年度" if year is not None else "任何年度"
                raise CommandError(f"财政局“{bureau}”没有{when}的数据。")
        years = list(years)
        if not years:
            raise CommandError("还没有任何年度的数据。")
        department_orgs = []
        if department:
            department_orgs = list(
                Organisation.objects.departments().filter(
                    name=department, parent__in={y.finance_bureau_id for y in years}
                )
            )
            if not department_orgs:
                when = f"{year} 年度" if year is not None else "现有年度中"
                raise CommandError(f"{when}没有名为“{department}”的主管部门。")
            bureau_ids = {org.parent_id for org in department_orgs}
            years = [y for y in years if y.finance_bureau_id in bureau_ids]
        return years, department_orgs

    def _rows(self, records) -> list[dict]:
        return [
            {
                "year": record.fiscal_year.year,
                "bureau": record.fiscal_year.finance_bureau.name,
                "code": finding.code,
                "label": finding.label,
                "severity": finding.severity,
                "message": finding.message,
                "department": record.department.name,
                "unit": record.unit.name,
                "project": record.name,
                "project_id": record.project.pk if record.project is not None else None,
                "field": finding.field,
                "indicator_id": finding.indicator_id,
                "indicator": finding.indicator,
                "values": _plain(dict(finding.values)),
            }
            for record in records
            for finding in record.findings
        ]

    def _text(self, records):
        write = self.stdout.write
        severities, codes = Counter(), Counter()
        current_year = current_department = None
        affected = 0
        for record in records:
            if not record.findings:
                continue
            affected += 1
            year_key = (record.fiscal_year.year, record.fiscal_year.finance_bureau.name)
            if year_key != current_year:
                current_year, current_department = year_key, None
                write(f"\n{year_key[0]}年度 · {year_key[1]}")
            if record.department.pk != current_department:
                current_department = record.department.pk
                write(f"\n【{record.department.name}】")
            unit = "" if record.unit.pk == record.department.pk else f"（{record.unit.name}）"
            write(f"  {record.name}{unit}")
            for finding in record.findings:
                severities[finding.severity] += 1
                codes[finding.code] += 1
                write(f"    [{finding.severity}] {finding.label}（{finding.code}）：{finding.message}")
        if not affected:
            write(self.style.SUCCESS(f"检查了 {len(records)} 份自评，未发现问题。"))
            return
        order = list(RULE_LABELS)
        ranked = sorted(codes.items(), key=lambda item: (-item[1], order.index(item[0])))
        by_code = "；".join(f"{RULE_LABELS[code]} {count}" for code, count in ranked)
        write(
            f"\n检查了 {len(records)} 份自评，{affected} 份有问题：错误 {severities[ERROR]} 条，"
            f"提示 {severities[HINT]} 条（{by_code}）。"
        )
