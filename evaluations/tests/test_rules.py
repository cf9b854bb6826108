"""The budgets and evaluations permissions of policy/rules.py, asked through ``policy.access.can``.

Every test is a sentence over the cast of conftest.py: who may see, edit and move which record (SPEC §1), and
what the year's state allows (SPEC §13).
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from rules.permissions import permissions as registered_permissions

from budgets.models import FiscalYear, Project
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation
from evaluations.tests.factories import (
    CAST_NAMES,
    DepartmentEvaluationFactory,
    FiscalYearFactory,
    ProjectEvaluationFactory,
    ProjectFactory,
)
from policy.access import can
from policy.locks import year_unlocked

Status = ProjectEvaluation.Status

PROJECT_PERMS = ("budgets.view_project", "budgets.change_project")
EVALUATION_PERMS = (
    "evaluations.view_projectevaluation",
    "evaluations.submit_projectevaluation",
    "evaluations.approve_projectevaluation",
    "evaluations.return_projectevaluation",
    "evaluations.review_projectevaluation",
    "evaluations.publish_projectevaluation",
)
DEPARTMENT_EVALUATION_PERMS = ("evaluations.view_departmentevaluation", "evaluations.change_departmentevaluation")
# The department-wide workflow: who may act, and what may be done in the evaluation's current state.
DEPARTMENT_WORKFLOW_PERMS = (
    "evaluations.edit_departmentevaluation",
    "evaluations.submit_departmentevaluation",
    "evaluations.review_departmentevaluation",
    "evaluations.return_departmentevaluation",
    "evaluations.approve_departmentevaluation",
)
# Asked without an object: the role alone decides (the pages and menu entries of each role).
PAGE_PERMS = (
    "budgets.add_project",
    "evaluations.manage_data",
    "evaluations.review_queue",
    "evaluations.department_list",
    "evaluations.finance_board",
    "evaluations.view_dashboard",
    "evaluations.view_quality",
    "evaluations.view_exports",
)
# Asked of a fiscal year: the role, the bureau and the year's state decide.
YEAR_PERMS = (
    "budgets.view_fiscalyear",
    "budgets.add_project_to_year",
    "evaluations.add_departmentevaluation",
    "evaluations.view_summary",
    "evaluations.view_finance_results",
)
# The year's lifecycle (SPEC §13), asked of a fiscal year.
LIFECYCLE_PERMS = (
    "evaluations.act_for_year",
    "evaluations.close_fiscalyear",
    "evaluations.finalise_fiscalyear",
    "evaluations.publish_fiscalyear",
    "evaluations.reopen_fiscalyear",
)
MODEL_PERMS = PAGE_PERMS + YEAR_PERMS + LIFECYCLE_PERMS
# The finance review's permissions; their holders are also tested in evaluations/tests/test_review.py.
FINANCE_REVIEW_PERMS = (
    "evaluations.draw_sample",
    "evaluations.review_financereview",
    "evaluations.view_financereview",
)
ALL_PERMS = (
    PROJECT_PERMS
    + EVALUATION_PERMS
    + DEPARTMENT_EVALUATION_PERMS
    + DEPARTMENT_WORKFLOW_PERMS
    + MODEL_PERMS
    + FINANCE_REVIEW_PERMS
)
BUREAU = [
    "unit_filler",
    "other_unit_filler",
    "foreign_unit_filler",
    "department_reviewer",
    "other_department_reviewer",
    "finance_reviewer",
    "admin",
]


class World:
    """One draft project (with its evaluation) at every place of the organisation tree, and department records."""

    def __init__(self, org, year):
        other_year = FiscalYearFactory(finance_bureau=org.other_bureau, year=2024)
        self.year = year
        self.unit = self._evaluation(year, org.unit, "日常办学经费")
        self.other_unit = self._evaluation(year, org.other_unit, "社保基金管理经费")
        self.department = self._evaluation(year, org.department, "人才发展资金")
        self.foreign_unit = self._evaluation(year, org.foreign_unit, "校舍维修")
        self.other_bureau = self._evaluation(other_year, org.other_bureau_department, "就业补助资金")
        self.department_evaluation = DepartmentEvaluationFactory(fiscal_year=year, department=org.department)
        self.other_department_evaluation = DepartmentEvaluationFactory(
            fiscal_year=year, department=org.other_department
        )
        self.other_bureau_department_evaluation = DepartmentEvaluationFactory(
            fiscal_year=other_year, department=org.other_bureau_department
        )

    @staticmethod
    def _evaluation(year, unit, name):
        return ProjectEvaluationFactory(project=ProjectFactory(fiscal_year=year, unit=unit, name=name))

    def object_for(self, perm):
        """What ``perm`` is asked about in these tests: the unit's own records by default."""
        if perm in PROJECT_PERMS:
            return self.unit.project
        if perm in EVALUATION_PERMS:
            return self.unit
        if perm in DEPARTMENT_EVALUATION_PERMS + DEPARTMENT_WORKFLOW_PERMS:
            return self.department_evaluation
        if perm in (*YEAR_PERMS, *LIFECYCLE_PERMS, "evaluations.draw_sample"):
            return self.year
        return None


@pytest.fixture
def world(org, year):
    return World(org, year)


def _holders(cast, perm, obj):
    return [name for name in CAST_NAMES if can(getattr(cast, name), perm, obj)]


def _deactivated(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def _object_at(world, place, perm):
    evaluation = getattr(world, place)
    if perm in PROJECT_PERMS:
        return evaluation.project
    if perm in DEPARTMENT_EVALUATION_PERMS + DEPARTMENT_WORKFLOW_PERMS:
        return world.department_evaluation
    return evaluation


def _fresh(evaluation):
    """The project re-read from the database, so its evaluation is not a cached object."""
    return Project.objects.get(pk=evaluation.project_id)


def test_these_tests_cover_every_permission_the_budgets_and_evaluations_rules_register():
    registered = sorted(name for name in registered_permissions if name.startswith(("budgets.", "evaluations.")))

    assert registered == sorted(ALL_PERMS)


# --- the whole table, one record at a time --------------------------------------------------------------


def test_who_holds_each_permission_on_a_draft_project_of_the_unit(cast, world):
    holders = {perm: _holders(cast, perm, world.object_for(perm)) for perm in PROJECT_PERMS + EVALUATION_PERMS}

    assert holders == {
        "budgets.view_project": ["unit_filler", "department_reviewer", "finance_reviewer", "admin"],
        "budgets.change_project": ["unit_filler"],
        "evaluations.view_projectevaluation": ["unit_filler", "department_reviewer", "finance_reviewer", "admin"],
        "evaluations.submit_projectevaluation": ["unit_filler"],
        "evaluations.approve_projectevaluation": ["department_reviewer"],
        "evaluations.return_projectevaluation": ["department_reviewer"],
        "evaluations.review_projectevaluation": ["finance_reviewer"],
        "evaluations.publish_projectevaluation": ["finance_reviewer"],
    }


def test_who_holds_each_permission_on_a_project_of_another_department(cast, world):
    foreign = world.foreign_unit
    holders = {perm: _holders(cast, perm, foreign.project) for perm in PROJECT_PERMS} | {
        perm: _holders(cast, perm, foreign) for perm in EVALUATION_PERMS
    }

    assert holders == {
        "budgets.view_project": ["foreign_unit_filler", "other_department_reviewer", "finance_reviewer", "admin"],
        "budgets.change_project": ["foreign_unit_filler"],
        "evaluations.view_projectevaluation": [
            "foreign_unit_filler",
            "other_department_reviewer",
            "finance_reviewer",
            "admin",
        ],
        "evaluations.submit_projectevaluation": ["foreign_unit_filler"],
        "evaluations.approve_projectevaluation": ["other_department_reviewer"],
        "evaluations.return_projectevaluation": ["other_department_reviewer"],
        "evaluations.review_projectevaluation": ["finance_reviewer"],
        "evaluations.publish_projectevaluation": ["finance_reviewer"],
    }


def test_only_the_other_bureaus_finance_reviewer_reaches_a_project_of_the_other_bureau(cast, world):
    foreign = world.other_bureau
    holders = {perm: _holders(cast, perm, foreign.project) for perm in PROJECT_PERMS} | {
        perm: _holders(cast, perm, foreign) for perm in EVALUATION_PERMS
    }

    assert holders == {
        "budgets.view_project": ["other_bureau_finance_reviewer"],
        "budgets.change_project": [],
        "evaluations.view_projectevaluation": ["other_bureau_finance_reviewer"],
        "evaluations.submit_projectevaluation": [],
        "evaluations.approve_projectevaluation": [],
        "evaluations.return_projectevaluation": [],
        "evaluations.review_projectevaluation": ["other_bureau_finance_reviewer"],
        "evaluations.publish_projectevaluation": ["other_bureau_finance_reviewer"],
    }


def test_who_holds_each_permission_on_the_department_wide_evaluation(cast, world):
    holders = {
        (perm, which): _holders(cast, perm, getattr(world, which))
        for perm in DEPARTMENT_EVALUATION_PERMS
        for which in ("department_evaluation", "other_department_evaluation", "other_bureau_department_evaluation")
    }

    assert holders == {
        ("evaluations.view_departmentevaluation", "department_evaluation"): [
            "department_reviewer",
            "finance_reviewer",
            "admin",
        ],
        ("evaluations.view_departmentevaluation", "other_department_evaluation"): [
            "other_department_reviewer",
            "finance_reviewer",
            "admin",
        ],
        ("evaluations.view_departmentevaluation", "other_bureau_department_evaluation"): [
            "other_bureau_finance_reviewer"
        ],
        ("evaluations.change_departmentevaluation", "department_evaluation"): ["department_reviewer"],
        ("evaluations.change_departmentevaluation", "other_department_evaluation"): ["other_department_reviewer"],
        ("evaluations.change_departmentevaluation", "other_bureau_department_evaluation"): [],
    }


def _in_state(department_evaluation, status):
    department_evaluation.status = status
    department_evaluation.return_reason = (
        "请补充预算调剂说明。" if status == DepartmentEvaluation.Status.RETURNED else ""
    )
    department_evaluation.save(update_fields=["status", "return_reason"])
    return department_evaluation


def test_who_may_do_what_with_the_department_wide_evaluation_in_each_state(cast, world):
    holders = {}

    for status in DepartmentEvaluation.Status.values:
        evaluation = _in_state(world.department_evaluation, status)
        holders[status] = {perm.split(".")[1]: _holders(cast, perm, evaluation) for perm in DEPARTMENT_WORKFLOW_PERMS}

    filling = {
        "edit_departmentevaluation": ["department_reviewer"],
        "submit_departmentevaluation": ["department_reviewer"],
        "review_departmentevaluation": ["finance_reviewer"],
        "return_departmentevaluation": [],
        "approve_departmentevaluation": [],
    }
    signed_off = filling | {"edit_departmentevaluation": [], "submit_departmentevaluation": []}
    assert holders == {
        "draft": filling,
        "submitted": {
            "edit_departmentevaluation": [],
            "submit_departmentevaluation": [],
            "review_departmentevaluation": ["finance_reviewer"],
            "return_departmentevaluation": ["finance_reviewer"],
            "approve_departmentevaluation": ["finance_reviewer"],
        },
        "returned": filling,
        "approved": signed_off,
        "published": signed_off,
        # The states finalising gives to what was still open (SPEC §13): nothing more is filled in.
        "unsubmitted": signed_off,
        "incomplete": signed_off,
    }


def test_only_the_other_departments_reviewer_fills_its_evaluation_and_only_this_bureau_reviews_it(cast, world):
    draft = world.other_department_evaluation
    submitted = _in_state(world.other_bureau_department_evaluation, DepartmentEvaluation.Status.SUBMITTED)

    holders = {
        ("other_department", perm.split(".")[1]): _holders(cast, perm, draft) for perm in DEPARTMENT_WORKFLOW_PERMS
    } | {("other_bureau", perm.split(".")[1]): _holders(cast, perm, submitted) for perm in DEPARTMENT_WORKFLOW_PERMS}

    assert holders == {
        ("other_department", "edit_departmentevaluation"): ["other_department_reviewer"],
        ("other_department", "submit_departmentevaluation"): ["other_department_reviewer"],
        ("other_department", "review_departmentevaluation"): ["finance_reviewer"],
        ("other_department", "return_departmentevaluation"): [],
        ("other_department", "approve_departmentevaluation"): [],
        ("other_bureau", "edit_departmentevaluation"): [],
        ("other_bureau", "submit_departmentevaluation"): [],
        ("other_bureau", "review_departmentevaluation"): ["other_bureau_finance_reviewer"],
        ("other_bureau", "return_departmentevaluation"): ["other_bureau_finance_reviewer"],
        ("other_bureau", "approve_departmentevaluation"): ["other_bureau_finance_reviewer"],
    }


def test_department_reviewers_of_the_bureau_may_start_a_department_wide_evaluation_only_in_an_open_year(
    cast, org, world
):
    closed = FiscalYearFactory(finance_bureau=org.bureau, year=2023, status="closed")
    published = FiscalYearFactory(finance_bureau=org.bureau, year=2022, status="published")
    other_bureaus = FiscalYearFactory(finance_bureau=org.other_bureau, year=2025)

    holders = {
        name: _holders(cast, "evaluations.add_departmentevaluation", year)
        for name, year in (("open", world.year), ("closed", closed), ("published", published), ("other", other_bureaus))
    }

    assert holders == {
        "open": ["department_reviewer", "other_department_reviewer"],
        "closed": [],
        "published": [],
        "other": [],
    }


def test_only_the_admin_role_manages_data(cast):
    assert _holders(cast, "evaluations.manage_data", None) == ["admin"]


def test_unit_fillers_may_add_projects_and_no_other_role_may(cast):
    # The filler without an organisation is the subject of its own (failing) test below.
    with_organisation = [name for name in CAST_NAMES if name != "no_organisation"]

    holders = [name for name in with_organisation if can(getattr(cast, name), "budgets.add_project", None)]

    assert holders == ["unit_filler", "other_unit_filler", "foreign_unit_filler"]


def test_every_role_of_the_bureau_may_see_its_fiscal_year(cast, world):
    # The orphan and the other bureau's reviewer are the subjects of their own (failing) tests below.
    of_the_bureau = [name for name in CAST_NAMES if name not in ("no_organisation", "other_bureau_finance_reviewer")]

    holders = [name for name in of_the_bureau if can(getattr(cast, name), "budgets.view_fiscalyear", world.year)]

    assert holders == [
        "unit_filler",
        "other_unit_filler",
        "foreign_unit_filler",
        "department_reviewer",
        "other_department_reviewer",
        "finance_reviewer",
        "admin",
    ]


# --- pages, the year and its lifecycle ------------------------------------------------------------------


def test_who_may_open_each_page_that_is_not_about_one_record(cast):
    holders = {perm: _holders(cast, perm, None) for perm in PAGE_PERMS}

    department_and_bureau = [
        "department_reviewer",
        "other_department_reviewer",
        "finance_reviewer",
        "other_bureau_finance_reviewer",
        "admin",
    ]
    assert holders == {
        "budgets.add_project": ["unit_filler", "other_unit_filler", "foreign_unit_filler"],
        "evaluations.manage_data": ["admin"],
        "evaluations.review_queue": ["department_reviewer", "other_department_reviewer"],
        "evaluations.department_list": department_and_bureau,
        "evaluations.finance_board": ["finance_reviewer", "other_bureau_finance_reviewer"],
        "evaluations.view_dashboard": department_and_bureau,
        "evaluations.view_quality": department_and_bureau,
        "evaluations.view_exports": department_and_bureau,
    }


def test_who_holds_each_permission_on_the_bureaus_open_year(cast, world):
    holders = {perm: _holders(cast, perm, world.year) for perm in YEAR_PERMS + LIFECYCLE_PERMS}

    assert holders == {
        "budgets.view_fiscalyear": BUREAU,
        "budgets.add_project_to_year": ["unit_filler", "other_unit_filler", "foreign_unit_filler"],
        "evaluations.add_departmentevaluation": ["department_reviewer", "other_department_reviewer"],
        "evaluations.view_summary": ["department_reviewer", "other_department_reviewer", "finance_reviewer", "admin"],
        "evaluations.view_finance_results": ["finance_reviewer", "admin"],
        "evaluations.act_for_year": ["finance_reviewer"],
        "evaluations.close_fiscalyear": ["finance_reviewer"],
        "evaluations.finalise_fiscalyear": ["finance_reviewer"],
        "evaluations.publish_fiscalyear": [],
        "evaluations.reopen_fiscalyear": [],
    }


def test_no_one_of_this_bureau_holds_a_year_permission_on_another_bureaus_year(cast, org):
    other_year = FiscalYearFactory(finance_bureau=org.other_bureau, year=2025)

    holders = {perm: _holders(cast, perm, other_year) for perm in YEAR_PERMS + LIFECYCLE_PERMS}

    assert holders == {
        "budgets.view_fiscalyear": ["other_bureau_finance_reviewer"],
        "budgets.add_project_to_year": [],
        "evaluations.add_departmentevaluation": [],
        "evaluations.view_summary": ["other_bureau_finance_reviewer"],
        "evaluations.view_finance_results": ["other_bureau_finance_reviewer"],
        "evaluations.act_for_year": ["other_bureau_finance_reviewer"],
        "evaluations.close_fiscalyear": ["other_bureau_finance_reviewer"],
        "evaluations.finalise_fiscalyear": ["other_bureau_finance_reviewer"],
        "evaluations.publish_fiscalyear": [],
        "evaluations.reopen_fiscalyear": [],
    }


def _year_in_state(year, status):
    """The year re-read after its status was set directly (a test's shortcut past the lifecycle services)."""
    with year_unlocked(year):
        FiscalYear.objects.filter(pk=year.pk).update(status=status)
    return FiscalYear.objects.get(pk=year.pk)


def test_what_the_bureaus_finance_reviewer_may_do_with_the_year_in_each_state(cast, world):
    allowed = {}

    for status in FiscalYear.Status.values:
        year = _year_in_state(world.year, status)
        allowed[status] = [
            perm.split(".")[1]
            for perm in (*LIFECYCLE_PERMS, "evaluations.draw_sample")
            if can(cast.finance_reviewer, perm, year)
        ]

    assert allowed == {
        "open": ["act_for_year", "close_fiscalyear", "finalise_fiscalyear", "draw_sample"],
        "closed": ["act_for_year", "finalise_fiscalyear", "draw_sample"],
        "finalised": ["act_for_year", "publish_fiscalyear", "reopen_fiscalyear"],
        "published": ["act_for_year", "reopen_fiscalyear"],
    }


def test_finance_results_are_the_bureaus_own_until_the_year_is_published(cast, world):
    holders = {
        status: _holders(cast, "evaluations.view_finance_results", _year_in_state(world.year, status))
        for status in FiscalYear.Status.values
    }

    assert holders == {
        "open": ["finance_reviewer", "admin"],
        "closed": ["finance_reviewer", "admin"],
        "finalised": ["finance_reviewer", "admin"],
        "published": BUREAU,
    }


@pytest.mark.parametrize("status", [FiscalYear.Status.FINALISED, FiscalYear.Status.PUBLISHED])
def test_nothing_in_a_locked_year_may_be_changed_by_anyone(cast, world, status):
    _in_state(world.other_department_evaluation, DepartmentEvaluation.Status.SUBMITTED)
    year = _year_in_state(world.year, status)
    # Every record re-read, so that none carries the year as it was before the lock.
    evaluation = ProjectEvaluation.objects.get(pk=world.unit.pk)
    draft_department = DepartmentEvaluation.objects.get(pk=world.department_evaluation.pk)
    submitted_department = DepartmentEvaluation.objects.get(pk=world.other_department_evaluation.pk)
    asked = (
        [(perm, evaluation.project) for perm in PROJECT_PERMS]
        + [(perm, evaluation) for perm in EVALUATION_PERMS]
        + [(perm, draft_department) for perm in DEPARTMENT_EVALUATION_PERMS + DEPARTMENT_WORKFLOW_PERMS[:3]]
        + [(perm, submitted_department) for perm in DEPARTMENT_WORKFLOW_PERMS[3:]]
        + [
            (perm, year)
            for perm in (
                "budgets.add_project_to_year",
                "evaluations.add_departmentevaluation",
                "evaluations.draw_sample",
            )
        ]
    )

    holders = {perm: _holders(cast, perm, obj) for perm, obj in asked}

    # Seeing is unaffected, and review_departmentevaluation names only who acts for the bureau: the services
    # behind it ask return/approve, which nobody holds in a locked year.
    assert holders == {
        "budgets.view_project": ["unit_filler", "department_reviewer", "finance_reviewer", "admin"],
        "budgets.change_project": [],
        "evaluations.view_projectevaluation": ["unit_filler", "department_reviewer", "finance_reviewer", "admin"],
        "evaluations.submit_projectevaluation": [],
        "evaluations.approve_projectevaluation": [],
        "evaluations.return_projectevaluation": [],
        "evaluations.review_projectevaluation": [],
        "evaluations.publish_projectevaluation": [],
        "evaluations.view_departmentevaluation": ["department_reviewer", "finance_reviewer", "admin"],
        "evaluations.change_departmentevaluation": [],
        "evaluations.edit_departmentevaluation": [],
        "evaluations.submit_departmentevaluation": [],
        "evaluations.review_departmentevaluation": ["finance_reviewer"],
        "evaluations.return_departmentevaluation": [],
        "evaluations.approve_departmentevaluation": [],
        "budgets.add_project_to_year": [],
        "evaluations.add_departmentevaluation": [],
        "evaluations.draw_sample": [],
    }


# --- the finance review ---------------------------------------------------------------------------------


def _review_of(evaluation):
    return FinanceReview.objects.create(evaluation=evaluation, selection=FinanceReview.Selection.MANUAL)


def test_only_the_bureaus_finance_reviewer_views_a_finance_review(cast, world):
    holders = {
        place: _holders(cast, "evaluations.view_financereview", _review_of(getattr(world, place)))
        for place in ("unit", "foreign_unit", "other_bureau")
    }

    assert holders == {
        "unit": ["finance_reviewer"],
        "foreign_unit": ["finance_reviewer"],
        "other_bureau": ["other_bureau_finance_reviewer"],
    }


def test_a_project_is_reviewed_only_once_its_department_approved_it(cast, world):
    review = _review_of(world.unit)
    reviewers = {}

    for status in Status.values:
        ProjectEvaluation.objects.filter(pk=world.unit.pk).update(
            status=status, return_reason="请补充佐证材料。" if status == Status.RETURNED else ""
        )
        reviewers[status] = _holders(cast, "evaluations.review_financereview", FinanceReview.objects.get(pk=review.pk))

    approved = ["finance_reviewer"]
    assert reviewers == {
        "draft": [],
        "submitted": [],
        "returned": [],
        "approved": approved,
        "spot_checked": approved,
        "published": approved,
        "unsubmitted": [],
        "incomplete": [],
    }


def test_a_department_wide_evaluation_is_reviewed_only_once_submitted(cast, world):
    review = FinanceReview.objects.create(
        department_evaluation=world.department_evaluation, selection=FinanceReview.Selection.MANUAL
    )
    reviewers = {}

    for status in DepartmentEvaluation.Status.values:
        _in_state(world.department_evaluation, status)
        reviewers[status] = _holders(cast, "evaluations.review_financereview", FinanceReview.objects.get(pk=review.pk))

    assert reviewers == {
        "draft": [],
        "submitted": ["finance_reviewer"],
        "returned": [],
        "approved": ["finance_reviewer"],
        "published": ["finance_reviewer"],
        "unsubmitted": [],
        "incomplete": [],
    }


@pytest.mark.parametrize("status", [FiscalYear.Status.FINALISED, FiscalYear.Status.PUBLISHED])
def test_no_review_is_changed_in_a_locked_year(cast, world, status):
    ProjectEvaluation.objects.filter(pk=world.unit.pk).update(status=Status.APPROVED)
    review = _review_of(world.unit)
    _year_in_state(world.year, status)

    fresh = FinanceReview.objects.get(pk=review.pk)
    holders = {perm: _holders(cast, perm, fresh) for perm in FINANCE_REVIEW_PERMS[1:]}

    assert holders == {"evaluations.review_financereview": [], "evaluations.view_financereview": ["finance_reviewer"]}


# --- the unit filler --------------------------------------------------------------------------------


def test_the_unit_filler_sees_and_edits_their_own_units_project(cast, world):
    project = world.unit.project

    answers = [can(cast.unit_filler, perm, project) for perm in PROJECT_PERMS]

    assert answers == [True, True]


def test_the_unit_filler_neither_sees_nor_edits_a_project_of_another_unit_of_the_same_department(cast, world):
    project = world.other_unit.project

    answers = [can(cast.unit_filler, perm, project) for perm in PROJECT_PERMS]

    assert answers == [False, False]


def test_the_unit_filler_may_not_submit_another_units_evaluation(cast, world):
    assert can(cast.unit_filler, "evaluations.submit_projectevaluation", world.other_unit) is False


def test_the_unit_may_edit_its_project_only_while_the_evaluation_is_a_draft_or_returned(cast, world):
    evaluation = world.unit
    editable = {}

    for status in Status.values:
        evaluation.status = status
        evaluation.return_reason = "请补充佐证材料。" if status == Status.RETURNED else ""
        evaluation.save(update_fields=["status", "return_reason"])
        editable[status] = can(cast.unit_filler, "budgets.change_project", _fresh(evaluation))

    assert editable == {
        "draft": True,
        "submitted": False,
        "returned": True,
        "approved": False,
        "spot_checked": False,
        "published": False,
        "unsubmitted": False,
        "incomplete": False,
    }


def test_a_submitted_project_is_still_visible_to_its_unit(cast, world):
    evaluation = world.unit
    evaluation.status = Status.SUBMITTED
    evaluation.save(update_fields=["status"])

    answers = [can(cast.unit_filler, perm, _fresh(evaluation)) for perm in PROJECT_PERMS]

    assert answers == [True, False]


def test_a_project_without_an_evaluation_record_yet_is_editable_by_its_unit(cast, org, year):
    project = ProjectFactory(fiscal_year=year, unit=org.unit, name="新建项目")

    assert can(cast.unit_filler, "budgets.change_project", project) is True


# --- the department reviewer ------------------------------------------------------------------------


def test_the_department_reviewer_sees_the_departments_own_projects_and_its_units_but_not_another_departments(
    cast, world
):
    places = ("department", "unit", "other_unit", "foreign_unit", "other_bureau")

    seen = {
        place: can(cast.department_reviewer, "budgets.view_project", getattr(world, place).project) for place in places
    }

    assert seen == {"department": True, "unit": True, "other_unit": True, "foreign_unit": False, "other_bureau": False}


def test_the_department_reviewer_edits_no_project_not_even_the_departments_own(cast, world):
    edits = [can(cast.department_reviewer, "budgets.change_project", world.department.project)]

    assert edits == [False]


# --- the finance reviewer ---------------------------------------------------------------------------


def test_the_finance_reviewer_sees_everything_of_their_bureau_and_nothing_of_another_bureau(cast, world):
    places = ("department", "unit", "other_unit", "foreign_unit", "other_bureau")

    seen = {
        place: (
            can(cast.finance_reviewer, "budgets.view_project", getattr(world, place).project),
            can(cast.finance_reviewer, "evaluations.view_projectevaluation", getattr(world, place)),
        )
        for place in places
    }

    assert seen == {
        "department": (True, True),
        "unit": (True, True),
        "other_unit": (True, True),
        "foreign_unit": (True, True),
        "other_bureau": (False, False),
    }


def test_the_finance_reviewer_of_another_bureau_may_not_see_this_bureaus_fiscal_year(cast, world):
    assert can(cast.other_bureau_finance_reviewer, "budgets.view_fiscalyear", world.year) is False


# --- the admin --------------------------------------------------------------------------------------


def test_an_admin_superuser_holds_only_the_object_permissions_the_rules_give_the_admin_role(cast, world):
    answers = {
        perm: (cast.admin.has_perm(perm, world.object_for(perm)), can(cast.admin, perm, world.object_for(perm)))
        for perm in ALL_PERMS
    }

    # Django's has_perm lets any active superuser pass; ``can`` asks the rules only.
    assert answers == {
        "budgets.view_project": (True, True),
        "budgets.change_project": (True, False),
        "evaluations.view_projectevaluation": (True, True),
        "evaluations.submit_projectevaluation": (True, False),
        "evaluations.approve_projectevaluation": (True, False),
        "evaluations.return_projectevaluation": (True, False),
        "evaluations.review_projectevaluation": (True, False),
        "evaluations.publish_projectevaluation": (True, False),
        "evaluations.view_departmentevaluation": (True, True),
        "evaluations.change_departmentevaluation": (True, False),
        "evaluations.edit_departmentevaluation": (True, False),
        "evaluations.submit_departmentevaluation": (True, False),
        "evaluations.review_departmentevaluation": (True, False),
        "evaluations.return_departmentevaluation": (True, False),
        "evaluations.approve_departmentevaluation": (True, False),
        "budgets.add_project": (True, False),
        "evaluations.manage_data": (True, True),
        "evaluations.review_queue": (True, False),
        "evaluations.department_list": (True, True),
        "evaluations.finance_board": (True, False),
        "evaluations.view_dashboard": (True, True),
        "evaluations.view_quality": (True, True),
        "evaluations.view_exports": (True, True),
        "budgets.view_fiscalyear": (True, True),
        "budgets.add_project_to_year": (True, False),
        "evaluations.add_departmentevaluation": (True, False),
        "evaluations.view_summary": (True, True),
        "evaluations.view_finance_results": (True, True),
        "evaluations.act_for_year": (True, False),
        "evaluations.close_fiscalyear": (True, False),
        "evaluations.finalise_fiscalyear": (True, False),
        "evaluations.publish_fiscalyear": (True, False),
        "evaluations.reopen_fiscalyear": (True, False),
        "evaluations.draw_sample": (True, False),
        "evaluations.review_financereview": (True, False),
        "evaluations.view_financereview": (True, False),
    }


def test_an_admin_superuser_sees_nothing_of_another_bureau(cast, world):
    seen = [
        can(cast.admin, "budgets.view_project", world.other_bureau.project),
        can(cast.admin, "evaluations.view_projectevaluation", world.other_bureau),
        can(cast.admin, "evaluations.view_departmentevaluation", world.other_bureau_department_evaluation),
    ]

    assert seen == [False, False, False]


# --- accounts that see nothing ----------------------------------------------------------------------


def test_a_user_without_an_organisation_sees_and_changes_no_record(cast, world):
    granted = [
        perm
        for perm in PROJECT_PERMS + EVALUATION_PERMS + DEPARTMENT_EVALUATION_PERMS + DEPARTMENT_WORKFLOW_PERMS
        for place in ("unit", "department", "foreign_unit", "other_bureau")
        if can(cast.no_organisation, perm, _object_at(world, place, perm))
    ]

    assert granted == []


def test_a_user_without_an_organisation_may_neither_add_projects_nor_see_a_fiscal_year(cast, world):
    answers = [
        can(cast.no_organisation, "budgets.add_project", None),
        can(cast.no_organisation, "budgets.view_fiscalyear", world.year),
    ]

    assert answers == [False, False]


ROLE_NAMES = ("unit_filler", "department_reviewer", "finance_reviewer", "admin")
VIEW_PERMS = (
    "budgets.view_project",
    "evaluations.view_projectevaluation",
    "evaluations.view_departmentevaluation",
)


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_a_deactivated_account_loses_every_role_permission(cast, world, name):
    user = _deactivated(getattr(cast, name))

    granted = [perm for perm in ALL_PERMS if perm not in VIEW_PERMS and can(user, perm, world.object_for(perm))]

    assert granted == []


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_a_deactivated_account_sees_nothing(cast, world, name):
    user = _deactivated(getattr(cast, name))

    granted = [perm for perm in VIEW_PERMS if can(user, perm, world.object_for(perm))]

    assert granted == []


def test_an_anonymous_visitor_holds_no_permission(world):
    granted = [perm for perm in ALL_PERMS if can(AnonymousUser(), perm, world.object_for(perm))]

    assert granted == []
