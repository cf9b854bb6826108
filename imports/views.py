"""Upload → dry-run preview → confirm: the browser side of the import (admin role only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from budgets.models import FiscalYear, RuleProfile
from budgets.scopes import rule_profiles_for
from imports import jobs, progress, service
from imports.forms import UploadForm
from imports.models import ImportRecord
from imports.records import CREATED, UNCHANGED, UPDATED
from policy.access import can, get_object_for_user


def _bureau(user):
    if not can(user, "imports.add_importrecord") or user.organisation_id is None:
        raise PermissionDenied("只有系统管理员可以导入数据。")
    return user.organisation.finance_bureau


@login_required
def import_list(request):
    bureau = _bureau(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        record = service.upload(
            form.cleaned_data["file"], user=request.user, bureau=bureau, year=form.cleaned_data["year"]
        )
        return redirect("imports:detail", pk=record.pk)
    records = ImportRecord.objects.filter(finance_bureau=bureau).select_related("uploaded_by")[:50]
    profiles = rule_profiles_for(request.user).order_by("pk")
    return render(request, "imports/import_list.html", {"form": form, "records": records, "profiles": profiles})


@login_required
def import_detail(request, pk):
    _bureau(request.user)
    record = get_object_for_user(request.user, ImportRecord.objects.all(), "imports.view_importrecord", pk=pk)
    jobs.expire_if_stale(record)
    shown = record.result if record.status == ImportRecord.Status.COMMITTED else record.preview
    changes = shown.get("changes", [])
    return render(
        request,
        "imports/import_detail.html",
        {
            "record": record,
            "shown": shown,
            "kind_label": service.KIND_LABELS.get(record.kind, "未识别"),
            "counts": [
                (action, sum(1 for c in changes if c["action"] == action)) for action in (CREATED, UPDATED, UNCHANGED)
            ],
            "changes": [c for c in changes if c["action"] != UNCHANGED],
            "table_count": sum(1 for c in changes if c["kind"] == "项目"),
            "can_commit": record.status == ImportRecord.Status.PREVIEWED,
            "progress": progress.read(record.pk) if record.in_progress else None,
            "interrupted": record.result.get("interrupted", "")
            if record.status == ImportRecord.Status.PREVIEWED
            else "",
            "stale_minutes": jobs.stale_minutes(),
        },
    )


@login_required
@require_POST
def import_commit(request, pk):
    _bureau(request.user)
    record = get_object_for_user(request.user, ImportRecord.objects.all(), "imports.commit_importrecord", pk=pk)
    try:
        outcome = service.commit(record, user=request.user)
    except service.AlreadyHandled as handled:
        messages.error(request, handled.message)
        return redirect("imports:detail", pk=record.pk)
    if outcome is None:
        record.refresh_from_db()
        if record.status == ImportRecord.Status.COMMITTING:
            messages.info(request, "文件较大，正在后台导入：本页会显示进度，完成后显示导入结果。")
        elif record.status == ImportRecord.Status.COMMITTED:
            messages.success(request, "已导入。")
        else:
            messages.error(request, record.result.get("interrupted") or "导入未完成，没有写入任何数据。")
    elif outcome.committed:
        messages.success(request, f"已导入：新增 {outcome.count(CREATED)} 条，更新 {outcome.count(UPDATED)} 条。")
    else:
        messages.error(request, "导入未完成，没有写入任何数据：" + "；".join(p.message for p in outcome.errors[:3]))
    return redirect("imports:detail", pk=record.pk)


@login_required
def template_download(request, profile):
    bureau = _bureau(request.user)
    from imports.readers.flat_template import flat_template_xlsx

    chosen = rule_profiles_for(request.user).filter(code=profile).first()
    if chosen is None:
        latest = FiscalYear.objects.filter(finance_bureau=bureau).order_by("-year").first()
        chosen = latest.profile if latest else RuleProfile.objects.get(code="national")
    response = HttpResponse(
        flat_template_xlsx(chosen),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"绩效自评导入模板（{chosen.name}）.xlsx"
    )
    return response
