"""Two people saving the same record at the same moment: one save wins, the other is refused with 409 and its
input shown again, and nothing of the winner's is lost.

The sequential cases (a page older than the last save) are in test_views.py and the department tests; here the
two saves are real concurrent requests on two database connections. Both pages are read at version N, then the
test holds the row lock the save service takes first, starts both POSTs in threads, waits until PostgreSQL
shows both of them waiting for that lock, and lets them go at once. Covers both records with optimistic
locking: the project form (budgets) and the department-wide evaluation (部门整体支出绩效自评); the finance
review has none (its saves lock the row and the last one wins), so it is not here.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from budgets.tests.test_views import edit_url, filled_evaluation, messages_of, posted_data, read_page, typed
from evaluations.models import DepartmentEvaluation, ProjectEvaluation
from evaluations.tests.test_department_views import _form_data, _input_value, _textarea, draft, sichuan_year, url

__all__ = ["draft", "filled_evaluation", "sichuan_year"]  # fixtures used by the tests below

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two saves at once need two real database connections with row locks (PostgreSQL)")


def _waiting_for_a_lock() -> int:
    """How many other connections to the test database are blocked by a lock right now."""
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction unless the snapshot is dropped.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND cardinality(pg_blocking_pids(pid)) > 0"
        )
        return cursor.fetchone()[0]


def _post_at_once(locked_row, posts):
    """POST each (client, url, data) from its own thread, all released together once they wait on ``locked_row``.

    ``locked_row`` is a queryset of the row the save service locks first; the test holds that lock until every
    request is inside its save, so both have read the same version and neither has written yet.
    """
    responses = [None] * len(posts)

    def post(n, client, path, data):
        try:
            responses[n] = client.post(path, data)
        finally:
            connections.close_all()  # this thread's connection; the test database is dropped at the end

    threads = [threading.Thread(target=post, args=(n, *request)) for n, request in enumerate(posts)]
    with transaction.atomic():
        locked_row.select_for_update().get()
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while _waiting_for_a_lock() < len(posts):
            assert time.monotonic() < deadline, "the saves never reached the row lock"
            time.sleep(0.02)
    for thread in threads:
        thread.join(timeout=30)
    return responses


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_two_unit_fillers_saving_the_project_form_at_once_the_second_is_refused_and_keeps_its_input(
    cast, filled_evaluation
):
    project = filled_evaluation.project
    first, second = _logged_in(cast.unit_filler), _logged_in(cast.unit_filler)
    typed_by = {
        "甲": {"project-name": "甲保存的名称", "project-summary": "甲的综述", "action": "save"},
        "乙": {"project-name": "乙保存的名称", "project-summary": "乙的综述", "action": "save"},
    }
    posts = {
        "甲": posted_data(first.get(edit_url(project)), typed_by["甲"]),
        "乙": posted_data(second.get(edit_url(project)), typed_by["乙"]),
    }

    responses = dict(
        zip(
            posts,
            _post_at_once(
                ProjectEvaluation.objects.filter(pk=filled_evaluation.pk),
                [(first, edit_url(project), posts["甲"]), (second, edit_url(project), posts["乙"])],
            ),
            strict=True,
        )
    )

    winner = next(name for name, response in responses.items() if response.status_code == 302)
    loser = "乙" if winner == "甲" else "甲"
    refused = responses[loser]
    shown_again = typed(read_page(refused).fields)
    project.refresh_from_db()
    assert (
        sorted(response.status_code for response in responses.values()),
        [message.startswith("保存失败：该项目已于 ") for message in messages_of(refused)],
        {name: value for name, value in shown_again.items() if name != "version"},
        (project.name, project.summary, project.version),
    ) == (
        [302, 409],
        [True],
        {name: value for name, value in typed(posts[loser]).items() if name not in ("version", "action")},
        (typed_by[winner]["project-name"], typed_by[winner]["project-summary"], 1),
    )


def test_two_department_reviewers_saving_the_department_evaluation_at_once_the_second_is_refused_and_keeps_its_input(
    cast, draft
):
    first, second = _logged_in(cast.department_reviewer), _logged_in(cast.department_reviewer)
    typed_by = {
        "甲": {"goal": "甲填写的年度总体目标", "progress_june": "41", "action": "save"},
        "乙": {"goal": "乙填写的年度总体目标", "progress_june": "52", "action": "save"},
    }
    posts = {
        "甲": _form_data(first.get(url("edit", draft))) | typed_by["甲"],
        "乙": _form_data(second.get(url("edit", draft))) | typed_by["乙"],
    }

    responses = dict(
        zip(
            posts,
            _post_at_once(
                DepartmentEvaluation.objects.filter(pk=draft.pk),
                [(first, url("edit", draft), posts["甲"]), (second, url("edit", draft), posts["乙"])],
            ),
            strict=True,
        )
    )

    winner = next(name for name, response in responses.items() if response.status_code == 302)
    loser = "乙" if winner == "甲" else "甲"
    content = responses[loser].content.decode()
    stored = DepartmentEvaluation.objects.get(pk=draft.pk)
    assert (
        sorted(response.status_code for response in responses.values()),
        responses[loser].context["conflict"]["message"].startswith("未保存：在您编辑期间，reviewer于"),
        (_textarea(content, "goal"), _input_value(content, "progress_june")),
        (stored.goal, stored.progress_june * 100, stored.version),
    ) == (
        [302, 409],
        True,
        (typed_by[loser]["goal"], typed_by[loser]["progress_june"]),
        (typed_by[winner]["goal"], int(typed_by[winner]["progress_june"]), 1),
    )
