"""The auditor's export: every change in a year's scope, one row per changed field, as an Excel workbook.

The scope is the projects of the year the user may see (a department: its own units; finance bureau staff: the
whole bureau, or one department), including projects deleted since. Finance reviews, the spot-check sample,
the year's settings and — for admins — user accounts are added for bureau staff. History is read source by
source in one streaming query each, ordered by object so each change is compared with the snapshot before it;
rows are written by XlsxWriter in constant-memory mode, every text cell as a string (no formula, number or URL
is ever made of what a user typed) shown exactly, a formula-like one with the quote-prefix style.
"""

import tempfile
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation, User
from audit.records import (
    BUDGET_LINE,
    DEPARTMENT_EVALUATION,
    EVALUATION,
    FISCAL_YEAR,
    INDICATOR,
    ORGANISATION,
    PROJECT,
    REVIEW,
    SAMPLE,
    SCORE_ITEM,
    USER,
    may_see_reviews,
    review_score_source,
)
from audit.trail import Labels, entries
from budgets.models import BudgetLine, FiscalYear, Project
from evaluations.models import (
    DepartmentEvaluation,
    DepartmentScoreItem,
    FinanceReview,
    ProjectEvaluation,
    ReviewIndicatorScore,
    SpotCheckSample,
)
from evaluations.reports.excel import QuotedFormats
from indicators.models import Indicator
from policy.access import can, department_scope

# The last row an .xlsx sheet can hold, less the header.
MAX_ROWS = 1_048_575
COLUMNS = [
    ("时间", 17),
    ("操作人", 18),
    ("操作", 6),
    ("类别", 12),
    ("对象", 28),
    ("单位", 24),
    ("项目", 28),
    ("字段", 22),
    ("原值", 36),
    ("新值", 36),
    ("说明", 24),
    ("记录编号", 9),
]


class TooManyRows(Exception):
    """The scope holds more changes than one sheet can: the user should narrow it."""


@dataclass(frozen=True)
class Scope:
    fiscal_year: FiscalYear
    department: Organisation | None = None
    since: date | None = None
    until: date | None = None

    def units(self, user):
        """Budget units whose projects the export covers."""
        units = Organisation.objects.budget_units()
        confined_to = department_scope(user)
        if confined_to is not None:
            units = units.of_department(confined_to)
        if self.department is not None:
            units = units.of_department(self.department)
        return units

    def project_history(self, user):
        """History rows of the scope's projects, deleted ones included."""
        return Project.history.filter(fiscal_year_id=self.fiscal_year.pk, unit_id__in=self.units(user).values("pk"))

    def departments(self, user):
        departments = Organisation.objects.departments().filter(parent=self.fiscal_year.finance_bureau)
        confined_to = department_scope(user)
        if confined_to is not None:
            departments = departments.filter(pk=confined_to.pk)
        if self.department is not None:
            departments = departments.filter(pk=self.department.pk)
        return departments

    def contains(self, moment: datetime) -> bool:
        day = timezone.localtime(moment).date()
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


def _sections(user, scope: Scope, labels: Labels):
    """(source, history queryset, project id of a row) for everything in scope."""
    fy = scope.fiscal_year
    project_history = scope.project_history(user)
    project_ids = project_history.values("id")
    evaluation_history = ProjectEvaluation.history.filter(project_id__in=project_ids)
    by_project = lambda row: row.project_id  # noqa: E731 - one-line key functions read best inline
    sections = [
        (PROJECT, project_history, lambda row: row.id),
        (BUDGET_LINE, BudgetLine.history.filter(project_id__in=project_ids), by_project),
        (INDICATOR, Indicator.history.filter(project_id__in=project_ids), by_project),
        (EVALUATION, evaluation_history, by_project),
    ]
    department_history = DepartmentEvaluation.history.filter(
        fiscal_year_id=fy.pk, department_id__in=scope.departments(user).values("pk")
    )
    sections += [
        (DEPARTMENT_EVALUATION, department_history, lambda row: None),
        (
            SCORE_ITEM,
            DepartmentScoreItem.history.filter(evaluation_id__in=department_history.values("id")),
            lambda row: None,
        ),
    ]
    if may_see_reviews(user, fy):
        evaluation_project = dict(evaluation_history.values_list("id", "project_id").distinct())
        reviews = FinanceReview.history.filter(
            Q(evaluation_id__in=evaluation_history.values("id"))
            | Q(department_evaluation_id__in=department_history.values("id"))
        )
        review_project = {
            review_id: evaluation_project.get(evaluation_id)
            for review_id, evaluation_id in reviews.values_list("id", "evaluation_id").distinct()
        }
        sections += [
            (REVIEW, reviews, lambda row: evaluation_project.get(row.evaluation_id)),
            (
                review_score_source(labels),
                ReviewIndicatorScore.history.filter(review_id__in=reviews.values("id")),
                lambda row: review_project.get(row.review_id),
            ),
        ]
        if scope.department is None:
            sections += [
                (SAMPLE, SpotCheckSample.history.filter(fiscal_year_id=fy.pk), lambda row: None),
                (FISCAL_YEAR, FiscalYear.history.filter(id=fy.pk), lambda row: None),
            ]
    if can(user, "audit.export_accounts") and scope.department is None:
        bureau = fy.finance_bureau
        organisations = Organisation.history.filter(
            Q(id=bureau.pk) | Q(parent_id=bureau.pk) | Q(parent_id__in=Organisation.objects.filter(parent=bureau))
        )
        sections += [
            (ORGANISATION, organisations, lambda row: None),
            (USER, User.history.filter(organisation_id__in=organisations.values("id")), lambda row: None),
        ]
    return sections


def _project_names(user, scope: Scope) -> dict[int, tuple[str, str]]:
    """project id → (unit, project name) as last recorded, deleted projects included."""
    names = {}
    rows = (
        scope.project_history(user).order_by("id", "history_date", "history_id").values_list("id", "unit__name", "name")
    )
    for pk, unit, name in rows.iterator(chunk_size=5000):
        names[pk] = (unit or "", name)
    return names


def audit_rows(user, scope: Scope):
    """Rows of the export: one per changed field (an entry that changed no field still gets a row)."""
    labels = Labels()
    names = _project_names(user, scope)
    for source, history, project_of in _sections(user, scope, labels):
        # Rows before the date range are read too: the first change in range is compared with the one before.
        for entry in entries(source, history, labels, project_of=project_of):
            if not scope.contains(entry.when):
                continue
            unit, project = names.get(entry.project_id, ("", ""))
            base = [
                timezone.localtime(entry.when).strftime("%Y-%m-%d %H:%M:%S"),
                entry.user,
                entry.action,
                entry.kind,
                entry.subject,
                unit,
                project,
            ]
            for change in entry.changes or [None]:
                yield [
                    *base,
                    change.field if change else "",
                    change.old if change else "",
                    change.new if change else "",
                    entry.reason,
                    entry.object_id,
                ]


def write_workbook(user, scope: Scope):
    """The export as an open temporary file (rewound), ready to stream."""
    import xlsxwriter

    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, closed by the response that streams it
    options = {
        "constant_memory": True,
        "tmpdir": tempfile.gettempdir(),
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    try:
        count = _write_rows(xlsxwriter.Workbook(handle, options), user, scope)
    except TooManyRows:
        # The workbook was closed into the file on the way out; the file is thrown away.
        handle.close()
        raise
    handle.seek(0)
    return handle, count


def _write_rows(workbook, user, scope: Scope) -> int:
    """Every row of the scope into ``workbook``, which is closed at the end; raises TooManyRows past the limit."""
    count = 0
    with workbook as wb:
        ws = wb.add_worksheet("变更记录")
        formats = QuotedFormats(wb)
        header = formats.add({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True})
        body = formats.add({"text_wrap": True, "valign": "top"})
        for column, (title, width) in enumerate(COLUMNS):
            ws.set_column(column, column, width)
            formats.write(ws, 0, column, title, header)
        ws.freeze_panes(1, 0)
        for count, row in enumerate(audit_rows(user, scope), start=1):
            if count > MAX_ROWS:
                raise TooManyRows
            for column, value in enumerate(row):
                if isinstance(value, int):
                    ws.write_number(count, column, value, body)
                else:
                    # What users typed, shown exactly: a formula-like text gets the quote-prefix style.
                    formats.write(ws, count, column, value, body)
        ws.autofilter(0, 0, max(count, 1), len(COLUMNS) - 1)
    return count
