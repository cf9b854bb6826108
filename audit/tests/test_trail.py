"""The audit trail: every way our code writes an audited record leaves history with who, when and why, and the
record pages and the auditor's export show it to those allowed to see it."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.apps import apps
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django.urls import reverse
from openpyxl import load_workbook

from budgets.models import BudgetLine, Project
from budgets.tests.test_views import posted_data
from evaluations.department_wide.services import department_evaluation_save, department_evaluation_start
from evaluations.finance_review.services import review_save
from evaluations.models import FinanceReview, ProjectEvaluation, ReviewIndicatorScore
from evaluations.reports.project_table import project_table_xlsx
from evaluations.tests.factories import IndicatorFactory, ProjectEvaluationFactory, ProjectFactory
from history.context import acting_as
from history.records import AuditedQuerySet, is_audited
from imports import service
from imports.tests.test_flat import INDICATORS, PROJECT, flat
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

AUDITED = {
    "accounts.Organisation",
    "accounts.User",
    "budgets.FiscalYear",
    "budgets.Project",
    "budgets.BudgetLine",
    "indicators.Indicator",
    "evaluations.ProjectEvaluation",
    "evaluations.DepartmentEvaluation",
    "evaluations.DepartmentScoreItem",
    "evaluations.SpotCheckSample",
    "evaluations.FinanceReview",
    "evaluations.ReviewIndicatorScore",
}


def _history_rows(model, **lookup):
    return list(model.history.filter(**lookup).order_by("history_date", "history_id"))


def _trail(client, project):
    return client.get(reverse("audit:project", kwargs={"pk": project.pk}))


def test_exactly_the_records_named_by_the_issue_are_audited_and_all_bulk_writes_go_through_the_audited_queryset():
    audited = {model._meta.label for model in apps.get_models() if is_audited(model)}

    assert audited == AUDITED
    for label in AUDITED:
        model = apps.get_model(label)
        assert isinstance(model._default_manager.all(), AuditedQuerySet), label


def test_a_form_save_records_who_changed_which_indicator_from_what_to_what(client, cast, submittable_evaluation):
    project = submittable_evaluation.project
    client.force_login(cast.unit_filler)
    edit = client.get(reverse("budgets:project_edit", kwargs={"pk": project.pk}))
    data = posted_data(edit)
    row = next(k.split("-")[1] for k, v in data.items() if k.endswith("-name") and v == "培训人数")

    response = client.post(
        reverse("budgets:project_edit", kwargs={"pk": project.pk}), {**data, f"indicators-{row}-actual_text": "120"}
    )

    assert response.status_code == 302
    indicator = Indicator.objects.get(project=project, name="培训人数")
    last = indicator.history.latest()
    assert (last.history_type, last.history_user, last.actual_text) == ("~", cast.unit_filler, "120")
    page = _trail(client, project).content.decode()
    assert "绩效指标：培训人数" in page
    assert "实际完成值" in page and "120" in page
    assert cast.unit_filler.username in page


def test_a_save_that_changes_nothing_is_not_listed(client, cast, submittable_evaluation):
    project = submittable_evaluation.project
    client.force_login(cast.unit_filler)
    url = reverse("budgets:project_edit", kwargs={"pk": project.pk})
    client.post(url, posted_data(client.get(url)))  # the form's first save normalises the factory's values
    before = _trail(client, project).context["page"].paginator.count

    client.post(url, posted_data(client.get(url)))

    assert _trail(client, project).context["page"].paginator.count == before


def test_bulk_create_bulk_update_update_and_delete_all_leave_history(evaluation):
    project = evaluation.project
    with acting_as(reason="测试批量写入"):
        lines = BudgetLine.objects.bulk_create(
            [BudgetLine(project=project, fund_source="本年财政拨款", adjusted_wan=Decimal("10.5"))]
        )
        lines[0].executed_wan = Decimal("9.25")
        BudgetLine.objects.bulk_update(lines, ["executed_wan"])
        BudgetLine.objects.filter(project=project).update(initial_wan=Decimal(8))
        BudgetLine.objects.filter(project=project).delete()

    rows = _history_rows(BudgetLine, project_id=project.pk)
    assert [(r.history_type, r.adjusted_wan, r.executed_wan, r.initial_wan) for r in rows] == [
        ("+", Decimal("10.5"), None, None),
        ("~", Decimal("10.5"), Decimal("9.25"), None),
        ("~", Decimal("10.5"), Decimal("9.25"), Decimal(8)),
        ("-", Decimal("10.5"), Decimal("9.25"), Decimal(8)),
    ]
    assert {r.history_change_reason for r in rows} == {"测试批量写入"}


def test_bookkeeping_writes_leave_no_history(cast, evaluation):
    project = evaluation.project
    before = (Project.history.count(), ProjectEvaluation.history.count(), cast.unit_filler.history.count())

    Project.objects.filter(pk=project.pk).update(version=5)
    ProjectEvaluation.objects.filter(pk=evaluation.pk).update(computed_total=Decimal(90))
    evaluation.computed_grade = "优"
    evaluation.save(update_fields=["computed_grade", "updated_at"])
    user_logged_in.send(sender=type(cast.unit_filler), request=HttpRequest(), user=cast.unit_filler)

    assert (Project.history.count(), ProjectEvaluation.history.count(), cast.unit_filler.history.count()) == before


def test_the_password_hash_is_never_copied_into_history(cast):
    cast.unit_filler.set_password("a-new-Passw0rd")
    cast.unit_filler.save()

    fields = {f.name for f in cast.unit_filler.history.model._meta.fields}
    assert "password" not in fields and "last_login" not in fields


def test_an_import_is_attributed_to_its_admin_and_file_and_a_dry_run_leaves_nothing(cast, submittable_evaluation):
    project = submittable_evaluation.project
    exported = project_table_xlsx(project)
    Indicator.objects.filter(project=project, name="培训人数").update(actual_text="1")  # drift after the export
    before = Indicator.history.count()

    service.run(exported, filename="技师学院2024.xlsx", bureau=project.fiscal_year.finance_bureau, user=cast.admin)
    assert Indicator.history.count() == before

    service.run(
        exported, filename="技师学院2024.xlsx", bureau=project.fiscal_year.finance_bureau, user=cast.admin, commit=True
    )
    restored = Indicator.objects.get(project=project, name="培训人数").history.latest()
    assert (restored.history_user, restored.history_change_reason) == (cast.admin, "Excel 导入：技师学院2024.xlsx")
    assert restored.actual_text != "1"


def test_a_template_import_through_django_import_export_is_audited_row_by_row(cast, org, year):
    buffer = BytesIO()
    flat([PROJECT], INDICATORS).save(buffer)

    outcome = service.run(buffer.getvalue(), filename="模板.xlsx", bureau=org.bureau, user=cast.admin, commit=True)

    assert not outcome.errors
    project = Project.objects.get(name=PROJECT["项目名称"])
    created = Indicator.history.filter(project_id=project.pk, history_type="+")
    assert created.count() == len(INDICATORS)
    assert set(created.values_list("history_user__username", "history_change_reason")) == {
        ("admin", "Excel 导入：模板.xlsx")
    }
    assert BudgetLine.history.filter(project_id=project.pk, history_type="+").exists()
    assert project.history.filter(history_type="+").exists()


def test_a_deleted_indicator_stays_in_the_trail(client, cast, submittable_evaluation):
    project = submittable_evaluation.project
    client.force_login(cast.unit_filler)
    edit = client.get(reverse("budgets:project_edit", kwargs={"pk": project.pk}))
    data = posted_data(edit)
    row = next(k.split("-")[1] for k, v in data.items() if k.endswith("-name") and v == "就业质量提升")

    client.post(reverse("budgets:project_edit", kwargs={"pk": project.pk}), {**data, f"indicators-{row}-DELETE": "on"})

    entries = _trail(client, project).context["page"].object_list
    deleted = [e for e in entries if e.action == "删除"]
    assert [(e.kind, e.subject, e.user) for e in deleted] == [("绩效指标", "就业质量提升", cast.unit_filler.username)]


@pytest.fixture
def reviewed(cast, review):
    """The sampled evaluation reviewed with a 核查分数 on one indicator."""
    indicator = Indicator.objects.get(project=review.evaluation.project, name="培训人数")
    review_save(
        review=review,
        actor=cast.finance_reviewer,
        grade="良",
        opinion_html="<p>核查发现<strong>台账不全</strong>。</p>",
        reviewer_total=None,
        checked_scores={indicator.pk: (Decimal(45), "台账不全")},
    )
    return FinanceReview.objects.get(pk=review.pk)


def test_finance_review_history_is_for_bureau_staff_only(client, cast, reviewed):
    project = reviewed.evaluation.project
    assert ReviewIndicatorScore.history.filter(review_id=reviewed.pk).exists()

    seen = {}
    for user in (cast.unit_filler, cast.department_reviewer, cast.finance_reviewer, cast.admin):
        client.force_login(user)
        seen[user.username] = {e.kind for e in _trail(client, project).context["page"].object_list}

    assert {name: {"财政抽查审核", "核查分数"} <= kinds for name, kinds in seen.items()} == {
        "filler": False,
        "reviewer": False,
        "finance": True,
        "admin": True,
    }
    client.force_login(cast.finance_reviewer)
    page = _trail(client, project).content.decode()
    assert "核查发现台账不全。" in page  # the opinion's words, without its tags
    assert "<strong>台账不全</strong>" not in page


def test_other_units_and_other_bureaus_cannot_read_a_trail(client, cast, evaluation):
    for user in (cast.other_unit_filler, cast.foreign_unit_filler, cast.other_department_reviewer):
        client.force_login(user)
        assert _trail(client, evaluation.project).status_code == 403
    client.force_login(cast.other_bureau_finance_reviewer)
    assert _trail(client, evaluation.project).status_code == 403


def _export(client, **params):
    response = client.get(reverse("audit:export"), params)
    assert response.status_code == 200, response.content.decode()[:500]
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["变更记录"]
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


def test_the_export_lists_every_field_change_in_scope_and_nothing_outside_it(client, cast, org, year, reviewed):
    mine = reviewed.evaluation.project
    foreign = ProjectFactory(fiscal_year=year, unit=org.foreign_unit, name="实验中学项目")
    ProjectEvaluationFactory(project=foreign)
    IndicatorFactory(project=foreign, name="外部门指标")

    client.force_login(cast.department_reviewer)
    rows, _ = _export(client, year=year.year)
    header, body = rows[0], rows[1:]
    assert header[:8] == ["时间", "操作人", "操作", "类别", "对象", "单位", "项目", "字段"]
    projects = {row[6] for row in body}
    assert mine.name in projects and foreign.name not in projects
    assert not {"财政抽查审核", "核查分数", "用户"} & {row[3] for row in body}

    client.force_login(cast.finance_reviewer)
    rows, _ = _export(client, year=year.year)
    kinds = {row[3] for row in rows[1:]}
    assert {"项目", "绩效指标", "预算资金", "财政抽查审核", "核查分数", foreign.name} - kinds == {foreign.name}
    assert foreign.name in {row[6] for row in rows[1:]}
    assert "用户" not in kinds

    client.force_login(cast.admin)
    rows, _ = _export(client, year=year.year)
    assert "用户" in {row[3] for row in rows[1:]}


def test_the_export_never_makes_a_formula_of_what_a_user_typed(client, cast, evaluation):
    project = evaluation.project
    project.conclusion = '=HYPERLINK("http://evil.example","点我")'
    project.save()

    client.force_login(cast.finance_reviewer)
    _, sheet = _export(client, year=project.fiscal_year.year)

    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == project.conclusion]
    assert cells and all(c.data_type == "s" for c in cells)


def test_the_export_form_refuses_a_reversed_date_range_and_keeps_the_input(client, cast, year):
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("audit:export"), {"year": year.year, "since": "2024-05-01", "until": "2024-04-01"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "起始日期不能晚于截止日期。" in page
    assert 'value="2024-05-01"' in page and 'value="2024-04-01"' in page


def test_the_export_date_range_keeps_only_changes_inside_it(client, cast, evaluation):
    client.force_login(cast.finance_reviewer)

    rows, _ = _export(client, year=evaluation.project.fiscal_year.year, since="2000-01-01", until="2000-12-31")

    assert rows[1:] == []


def test_a_department_wide_evaluation_has_its_own_trail(client, cast, org, year):
    evaluation, _ = department_evaluation_start(fiscal_year=year, actor=cast.department_reviewer)
    with acting_as(cast.department_reviewer):
        department_evaluation_save(
            evaluation=evaluation,
            actor=cast.department_reviewer,
            version=evaluation.version,
            values={"goal": "全面完成年度目标"},
            claims={},
        )

    client.force_login(cast.finance_reviewer)
    response = client.get(reverse("audit:department", kwargs={"year": year.year, "department_pk": org.department.pk}))

    entry = next(e for e in response.context["page"].object_list if e.action == "修改")
    assert (entry.kind, entry.user) == ("部门整体自评", "reviewer")
    assert [(c.old, c.new) for c in entry.changes if c.new == "全面完成年度目标"] == [("", "全面完成年度目标")]


def test_an_export_beyond_one_sheet_is_refused_with_a_message_and_the_form_kept(client, cast, evaluation, monkeypatch):
    monkeypatch.setattr("audit.export.MAX_ROWS", 2)
    client.force_login(cast.finance_reviewer)

    response = client.get(reverse("audit:export"), {"year": evaluation.project.fiscal_year.year})

    assert response.status_code == 400
    assert "超过一张工作表的行数上限" in response.content.decode()
