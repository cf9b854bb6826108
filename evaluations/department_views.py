"""Views of the department-wide self-evaluation (部门整体支出绩效自评, SPEC §7)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def department_evaluation_list(request):
    return render(request, "evaluations/department_list.html", {})
