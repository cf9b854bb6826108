"""Filters of the project list (django-filter), with choices limited to what the user may see."""

import django_filters
from django.db.models import Q

from accounts.scopes import units_visible_to
from budgets.scopes import fiscal_years_visible_to
from evaluations.models import Grade, ProjectEvaluation


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="搜索", method="search", help_text="项目名称或编码")
    year = django_filters.ChoiceFilter(label="年度", field_name="fiscal_year__year", empty_label="全部年度")
    unit = django_filters.ModelChoiceFilter(label="单位", field_name="unit", queryset=None, empty_label="全部单位")
    status = django_filters.ChoiceFilter(
        label="状态", field_name="evaluation__status", choices=ProjectEvaluation.Status.choices, empty_label="全部状态"
    )
    grade = django_filters.ChoiceFilter(
        label="等级", field_name="self_grade", choices=Grade.choices, empty_label="全部等级"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        years = sorted({fy.year for fy in fiscal_years_visible_to(user)}, reverse=True)
        self.filters["year"].extra["choices"] = [(y, f"{y}年度") for y in years]
        self.filters["unit"].queryset = units_visible_to(user).order_by("name")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))
