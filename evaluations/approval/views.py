"""The department reviewer's queue and the approve / return actions on a submitted self-evaluation."""

import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from budgets.models import Project
from budgets.scopes import fiscal_years_visible_to
from evaluations.filling.selectors import project_list_rows
from evaluations.filling.tables import ProjectTable
from evaluations.models import ProjectEvaluation
from evaluations.quality.engine import project_findings_by_id
from evaluations.workflow.actions import perform
from evaluations.workflow.services import evaluation_approve, evaluation_return
from evaluations.workflow.versions import posted_version
from policy.access import get_object_for_user
from policy.rules import is_department_reviewer


@login_required
def review_queue(request):
    """Submitted records of the department's units, oldest submission first."""
    if not is_department_reviewer(request.user):
        raise PermissionDenied("只有主管部门审核人有待审核列表。")
    rows = project_list_rows(request.user).filter(evaluation__status=ProjectEvaluation.Status.SUBMITTED)
    table = QueueTable(rows.order_by("evaluation__submitted_at"), orderable=False)
    table.findings_by_project = _queue_findings(rows)
    returned = project_list_rows(request.user).filter(evaluation__status=ProjectEvaluation.Status.RETURNED)
    return render(
        request,
        "evaluations/review_queue.html",
        {
            "table": table,
            "returned": returned.order_by("name"),
            "open_year": fiscal_years_visible_to(request.user).order_by("-year").first(),
        },
    )


class QueueTable(ProjectTable):
    """The queue with the 智能审核 hints of each submitted project (errors cannot be submitted)."""

    findings = tables.Column(verbose_name="智能审核", empty_values=(), orderable=False)

    class Meta(ProjectTable.Meta):
        sequence = (*ProjectTable.Meta.sequence, "findings")

    findings_by_project: dict = {}

    def render_findings(self, record):
        found = self.findings_by_project.get(record.pk, [])
        if not found:
            return "—"
        return format_html_join("", '<p class="live-finding hint">{}</p>', ((finding.message,) for finding in found))


def _queue_findings(rows) -> dict:
    """Findings of the queued (submitted) projects only, by project: not of every project of the department."""
    return {
        pk: found
        for pk, found in project_findings_by_id(Project.objects.filter(pk__in=rows.values("pk"))).items()
        if found
    }


def _evaluation_for(request, pk, perm):
    queryset = ProjectEvaluation.objects.select_related("project", "project__unit", "project__fiscal_year")
    return get_object_for_user(request.user, queryset, perm, pk=pk)


def _decide(request, pk, perm, service, posted, done):
    """Approve or return: run ``service`` with the posted field and version; the queue next, or the project
    again when refused."""
    evaluation = _evaluation_for(request, pk, perm)
    decided = perform(
        request,
        service,
        done.format(name=evaluation.project.name),
        posted=(posted,),
        evaluation=evaluation,
        version=posted_version(request),
    )
    if decided is None:
        return redirect("budgets:project_detail", pk=evaluation.project_id)
    return redirect("evaluations:review_queue")


@login_required
@require_POST
def evaluation_approve_view(request, pk):
    return _decide(
        request, pk, "evaluations.approve_projectevaluation", evaluation_approve, "comment", "已审核通过“{name}”。"
    )


@login_required
@require_POST
def evaluation_return_view(request, pk):
    return _decide(
        request, pk, "evaluations.return_projectevaluation", evaluation_return, "reason", "已将“{name}”退回单位修改。"
    )
