"""The project list table (django-tables2)."""

from decimal import Decimal

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from budgets.models import Project
from domain import formatting

PLACEHOLDER = "—"


class ProjectTable(tables.Table):
    name = tables.Column(verbose_name="项目名称", linkify=False)
    unit = tables.Column(verbose_name="实施单位", accessor="unit__name", order_by=("unit__name",))
    year = tables.Column(verbose_name="年度", accessor="fiscal_year__year")
    total_adjusted = tables.Column(verbose_name="全年预算数 A（万元）", attrs={"td": {"class": "num"}})
    total_executed = tables.Column(verbose_name="全年执行数 B（万元）", attrs={"td": {"class": "num"}})
    execution_rate = tables.Column(verbose_name="执行率", attrs={"td": {"class": "num"}})
    self_total = tables.Column(verbose_name="总分", attrs={"td": {"class": "num"}})
    self_grade = tables.Column(verbose_name="等级")
    status = tables.Column(verbose_name="状态", accessor="evaluation__status", order_by=("evaluation__status",))

    class Meta:
        model = Project
        fields = ()
        sequence = (
            "name",
            "unit",
            "year",
            "total_adjusted",
            "total_executed",
            "execution_rate",
            "self_total",
            "self_grade",
            "status",
        )
        attrs = {"class": "grid"}
        # The view validates the page size itself; django-tables2 would otherwise take any ?per_page= as is.
        per_page_field = "unchecked_per_page"
        empty_text = "没有符合条件的项目。"

    def render_name(self, record):
        code = format_html('<span class="code">{}</span>', record.code) if record.code else ""
        return format_html(
            '<a href="{}">{}</a>{}', reverse("budgets:project_detail", args=[record.pk]), record.name, code
        )

    def render_total_adjusted(self, value):
        return formatting.amount(value)

    def render_total_executed(self, value):
        return formatting.amount(value)

    def render_execution_rate(self, value):
        return formatting.percent(value)

    def render_self_total(self, value, record):
        computed = record.evaluation.computed_total if hasattr(record, "evaluation") else None
        text = formatting.points(value)
        if computed is not None and computed != value:
            # A stated total that the rows do not support stays visible next to the computation.
            return format_html(
                '{} <span class="mismatch" title="按规则计算的总分">（计算 {}）</span>',
                text,
                formatting.points(computed),
            )
        return text

    def render_status(self, record):
        return record.evaluation.get_status_display()

    def value_self_total(self, value):
        return value if value is None else Decimal(value)
