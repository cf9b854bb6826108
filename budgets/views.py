"""Projects: the list, the self-evaluation form, the read-only table, copying from the previous year."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def project_list(request):
    return render(request, "budgets/project_list.html", {})
