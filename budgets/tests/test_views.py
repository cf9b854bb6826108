"""The project pages as their users drive them: the list, a new project, the one-page form, its live preview,
copying last year's projects, the 指标库 picker, the read-only table, and who may open which of them.

Forms are posted the way a browser posts them: the helper below reads the rendered page (inputs, selects,
textareas, checked boxes; not the hidden row template) and the tests change only what a person would type.
"""

import json
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from evaluations.filling.services import project_create
from evaluations.models import EvaluationTransition, ProjectEvaluation
from evaluations.tests.factories import FiscalYearFactory, IndicatorFactory, ProjectFactory
from evaluations.workflow.services import evaluation_recalculate, evaluation_return, evaluation_submit
from indicators.models import Indicator, LibraryIndicator

Status = ProjectEvaluation.Status

# --- reading pages the way a browser does -------------------------------------------------------------------

_SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


class _PageReader(HTMLParser):
    """Collects what a browser would post from one form, and the errors and problems shown beside each field.

    A "place" is a table cell or a ``div.field``: the field names inside it, Django's error list items and the
    ``p.problem`` messages of the quality checks shown in it.
    """

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.template_depth = 0
        self.fields = {}
        self.places = []
        self._stack = []
        self._select = None
        self._textarea = None
        self._text = None
        self._text_kind = None
        self._in_errorlist = False

    def _place(self):
        return next((place for place in reversed(self._stack) if place is not None), None)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = True
        elif tag == "template":
            self.template_depth += 1
        elif tag in ("td", "div"):
            is_place = tag == "td" or "field" in classes
            self._stack.append({"attrs": attrs, "fields": [], "errors": [], "problems": []} if is_place else None)
        elif tag == "ul" and "errorlist" in classes:
            self._in_errorlist = True
        elif (tag == "li" and self._in_errorlist) or (tag == "p" and "problem" in classes):
            self._text, self._text_kind = [], "errors" if tag == "li" else "problems"

        name = attrs.get("name")
        if tag in ("input", "select", "textarea") and name:
            place = self._place()
            if place is not None:
                place["fields"].append(name)
        if not (self.in_form and self.template_depth == 0):
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value") or "on"
            elif kind not in _SKIPPED_INPUTS:
                self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value") or ""
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["selected"] = value
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": []}

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "template":
            self.template_depth -= 1
        elif tag in ("td", "div") and self._stack:
            place = self._stack.pop()
            if place is not None:
                self.places.append(place)
        elif tag == "ul":
            self._in_errorlist = False
        elif tag in ("li", "p") and self._text is not None:
            place = self._place()
            if place is not None:
                place[self._text_kind].append("".join(self._text).strip())
            self._text = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["selected"] if self._select["selected"] is not None else self._select["first"]
            self.fields[self._select["name"]] = chosen or ""
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._textarea["text"])
            # Browsers drop the newline that opens a textarea's content.
            self.fields[self._textarea["name"]] = text.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"].append(data)
        if self._text is not None:
            self._text.append(data)

    def beside(self, name):
        """Errors and problems shown in the place that holds the field ``name``."""
        place = next(place for place in self.places if name in place["fields"])
        return {"errors": place["errors"], "problems": place["problems"]}

    def in_cell(self, **attrs):
        """Problems shown in the cell with these attributes (e.g. ``data_total="adjusted"``)."""
        wanted = {key.replace("_", "-"): value for key, value in attrs.items()}
        place = next(p for p in self.places if all(p["attrs"].get(k) == v for k, v in wanted.items()))
        return place["problems"]


def read_page(response, form_id="project-form"):
    reader = _PageReader(form_id)
    reader.feed(response.content.decode())
    reader.close()
    return reader


def posted_data(response, changes=None):
    """The form on the page as a browser would post it, with ``changes`` typed in (None unchecks or clears)."""
    data = dict(read_page(response).fields)
    for name, value in (changes or {}).items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def typed(data):
    """What the user typed or picked: everything but the per-render CSRF token."""
    return {name: value for name, value in data.items() if name != "csrfmiddlewaretoken"}


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def table_rows(response, table_class="grid"):
    """The body rows of the first ``<table class="…">`` on the page, as lists of cell texts."""
    content = response.content.decode()
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', content, flags=re.DOTALL).group(1)
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", table, flags=re.DOTALL).group(1)
    return [
        [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.DOTALL)
    ]


def shown(response):
    """Names and years of the projects on the list page, in the order shown."""
    return [(row.record.name, row.record.fiscal_year.year) for row in response.context["table"].page.object_list]


def edit_url(project, query=""):
    return reverse("budgets:project_edit", args=[project.pk]) + query


def indicator_rows(project):
    return list(
        Indicator.objects.filter(project=project)
        .order_by("order")
        .values_list("order", "name", "sign", "target_text", "target_value", "unit", "weight", "claimed_score")
    )


def snapshot(project):
    """Everything an outsider's request could have changed."""
    project.refresh_from_db()
    evaluation = ProjectEvaluation.objects.get(project=project)
    return {
        "project": (project.name, project.goal_expected, project.version),
        "evaluation": (evaluation.status, evaluation.return_reason),
        "transitions": EvaluationTransition.objects.filter(evaluation=evaluation).count(),
        "budget": list(project.budget_lines.values_list("fund_source", "adjusted_wan", "executed_wan")),
        "indicators": list(project.indicators.values_list("name", "claimed_score")),
    }


@pytest.fixture
def filled_evaluation(submittable_evaluation):
    """The submittable draft with its actuals written into the cells, as a unit would have typed them."""
    project = submittable_evaluation.project
    Indicator.objects.filter(project=project, name="培训人数").update(actual_text="100")
    Indicator.objects.filter(project=project, name="学员满意度").update(actual_text="95")
    return submittable_evaluation


def _submitted(evaluation, cast):
    return evaluation_submit(evaluation=evaluation, actor=cast.unit_filler)


# --- the project list ---------------------------------------------------------------------------------------


@pytest.fixture
def spread(org, year):
    """One project in each corner of the tree, and one of another finance bureau."""
    other_year = FiscalYearFactory(finance_bureau=org.other_bureau, year=2024)
    project_create(fiscal_year=year, unit=org.unit, name="技师学院培训经费")
    project_create(fiscal_year=year, unit=org.other_unit, name="社保经办经费")
    project_create(fiscal_year=year, unit=org.department, name="人社局信息化经费")
    project_create(fiscal_year=year, unit=org.foreign_unit, name="实验中学校舍维修")
    project_create(fiscal_year=other_year, unit=org.other_bureau_department, name="烈山区就业补助")


DONGGUAN = ["人社局信息化经费", "实验中学校舍维修", "技师学院培训经费", "社保经办经费"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("unit_filler", ["技师学院培训经费"]),
        ("other_unit_filler", ["社保经办经费"]),
        ("foreign_unit_filler", ["实验中学校舍维修"]),
        ("department_reviewer", ["人社局信息化经费", "技师学院培训经费", "社保经办经费"]),
        ("other_department_reviewer", ["实验中学校舍维修"]),
        ("finance_reviewer", DONGGUAN),
        ("other_bureau_finance_reviewer", ["烈山区就业补助"]),
        ("admin", DONGGUAN),
        ("no_organisation", []),
    ],
)
def test_the_project_list_shows_each_user_only_the_projects_of_their_part_of_the_tree(
    client, cast, spread, name, expected
):
    client.force_login(getattr(cast, name))

    response = client.get(reverse("budgets:project_list"))

    assert (response.status_code, sorted(name for name, _ in shown(response))) == (200, expected)


@pytest.fixture
def filterable(org, year):
    """Four projects the department reviewer sees, differing in year, unit, status, grade and code."""
    last_year = FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.CLOSED)
    rows = [
        (year, org.unit, "技师学院培训经费", "44190024T000001", Status.DRAFT, "优"),
        (year, org.unit, "技师学院设备购置", "44190024T000002", Status.SUBMITTED, "良"),
        (year, org.other_unit, "社保经办经费", "", Status.APPROVED, "优"),
        (last_year, org.unit, "技师学院培训经费", "44190023T000001", Status.PUBLISHED, "中"),
    ]
    for fiscal_year, unit, name, code, status, grade in rows:
        project = project_create(fiscal_year=fiscal_year, unit=unit, name=name, code=code)
        ProjectEvaluation.objects.filter(project=project).update(status=status, computed_grade=grade)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            {},
            [
                ("技师学院培训经费", 2023),
                ("技师学院培训经费", 2024),
                ("技师学院设备购置", 2024),
                ("社保经办经费", 2024),
            ],
            id="no-filter",
        ),
        pytest.param({"year": "2023"}, [("技师学院培训经费", 2023)], id="year"),
        pytest.param({"unit": "other_unit"}, [("社保经办经费", 2024)], id="unit"),
        pytest.param({"status": "submitted"}, [("技师学院设备购置", 2024)], id="status"),
        pytest.param({"grade": "优"}, [("技师学院培训经费", 2024), ("社保经办经费", 2024)], id="grade"),
        pytest.param({"q": "设备"}, [("技师学院设备购置", 2024)], id="name"),
        pytest.param({"q": "T000001"}, [("技师学院培训经费", 2023), ("技师学院培训经费", 2024)], id="code"),
        pytest.param({"q": "24T000002"}, [("技师学院设备购置", 2024)], id="code-of-one-year"),
        pytest.param({"year": "2024", "unit": "unit", "grade": "优"}, [("技师学院培训经费", 2024)], id="combined"),
        pytest.param({"q": "不存在的项目"}, [], id="nothing"),
    ],
)
def test_the_list_filters_narrow_the_rows(client, cast, org, filterable, query, expected):
    client.force_login(cast.department_reviewer)
    params = {key: getattr(org, value).pk if key == "unit" else value for key, value in query.items()}

    response = client.get(reverse("budgets:project_list"), params)

    assert sorted(shown(response)) == expected


def test_the_unit_filter_offers_only_the_units_the_user_may_see(client, cast, org, spread):
    client.force_login(cast.department_reviewer)

    response = client.get(reverse("budgets:project_list"))

    choices = [label for _, label in response.context["filter"].form.fields["unit"].choices]
    assert choices == ["全部单位", "东莞市人力资源和社会保障局", "东莞市技师学院", "东莞市社会保险基金管理中心"]


@pytest.fixture
def two_fund_rows(org, year):
    """A project with two fund rows (A 1,500.75, B 1,350.25: 89.97%) and indicators summing to 90 points."""
    project = project_create(fiscal_year=year, unit=org.unit, name="技能人才培训", code="44190024T000009")
    BudgetLine.objects.filter(project=project, fund_source="本年财政拨款").update(
        initial_wan=Decimal("1200.5"), adjusted_wan=Decimal("1200.5"), executed_wan=Decimal("1100.25")
    )
    BudgetLine.objects.filter(project=project, fund_source="上年结转资金").update(
        initial_wan=Decimal("300.25"), adjusted_wan=Decimal("300.25"), executed_wan=Decimal("250")
    )
    IndicatorFactory(project=project, order=0, weight=Decimal(50), claimed_score=Decimal(50))
    IndicatorFactory(
        project=project,
        order=1,
        level1="效益指标",
        level2="社会效益指标",
        weight=Decimal(30),
        claimed_score=Decimal(30),
    )
    IndicatorFactory(
        project=project,
        order=2,
        level1="满意度指标",
        level2="服务对象满意度指标",
        weight=Decimal(10),
        claimed_score=Decimal(10),
    )
    evaluation_recalculate(evaluation=project.evaluation)
    return project


def test_the_list_shows_totals_rate_and_score_of_a_project_with_two_fund_rows(client, cast, two_fund_rows):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_list"))

    assert table_rows(response) == [
        [
            "技能人才培训 44190024T000009",
            "东莞市技师学院",
            "2024",
            "1,500.75",
            "1,350.25",
            "89.97%",
            "99.00",
            "优",
            "草稿",
        ]
    ]


def test_a_stated_total_that_differs_from_the_computed_one_shows_both(client, cast, two_fund_rows):
    ProjectEvaluation.objects.filter(project=two_fund_rows).update(claimed_total=Decimal("95"))
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_list"))

    assert [row[6] for row in table_rows(response)] == ["95.00 （计算 99.00）"]


def test_the_execution_rate_of_whole_number_amounts_is_not_truncated(client, cast, submittable_evaluation):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_list"))

    assert [row[3:6] for row in table_rows(response)] == [["100.00", "95.00", "95.00%"]]


def test_an_empty_list_says_so(client, cast, year):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_list"))

    assert table_rows(response) == [["没有符合条件的项目。"]]


def _list_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("budgets:project_list"), params)
    return len(queries), len(shown(response))


def _listed_project(year, unit, name):
    """A project as the list shows most of them: amounts typed, indicators scored, totals computed."""
    project = project_create(fiscal_year=year, unit=unit, name=name)
    BudgetLine.objects.filter(project=project, fund_source="本年财政拨款").update(
        initial_wan=Decimal("100.5"), adjusted_wan=Decimal("100.5"), executed_wan=Decimal("95.5")
    )
    IndicatorFactory(project=project, order=0, weight=Decimal(50), claimed_score=Decimal(45))
    evaluation_recalculate(evaluation=project.evaluation)
    return project


def test_the_list_takes_the_same_number_of_queries_for_one_and_three_projects(client, cast, org, year):
    client.force_login(cast.finance_reviewer)
    _listed_project(year, org.unit, "项目一")
    client.get(reverse("budgets:project_list"))
    one = _list_queries(client)
    for name, unit in [("项目二", org.other_unit), ("项目三", org.foreign_unit)]:
        _listed_project(year, unit, name)

    three = _list_queries(client)

    assert [one, three] == [(one[0], 1), (one[0], 3)]


def test_the_list_takes_the_same_number_of_queries_for_page_sizes_10_and_25(client, cast, org, year):
    client.force_login(cast.finance_reviewer)
    for number in range(30):
        _listed_project(year, org.unit, f"项目{number:02d}")
    client.get(reverse("budgets:project_list"))

    sizes = [_list_queries(client, per_page=10), _list_queries(client, per_page=25)]

    assert sizes == [(sizes[0][0], 10), (sizes[0][0], 25)]


def test_an_unknown_page_size_falls_back_to_25(client, cast, org, year):
    client.force_login(cast.unit_filler)
    for number in range(30):
        project_create(fiscal_year=year, unit=org.unit, name=f"项目{number:02d}")

    response = client.get(reverse("budgets:project_list"), {"per_page": "7"})

    assert (response.context["per_page"], len(shown(response))) == (25, 25)


# --- a new project --------------------------------------------------------------------------------------------


def test_a_unit_filler_is_offered_only_the_open_years_of_their_bureau(client, cast, org, year):
    FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.CLOSED)
    FiscalYearFactory(finance_bureau=org.other_bureau, year=2024)
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_new"))

    choices = list(response.context["form"].fields["fiscal_year"].choices)
    assert [(value.value, label) for value, label in choices] == [(year.pk, "2024年度（东莞市财政局）")]


def test_a_unit_filler_creates_a_project_with_a_fund_row_per_source_and_a_draft_evaluation(client, cast, org, year):
    client.force_login(cast.unit_filler)

    response = client.post(
        reverse("budgets:project_new"), {"fiscal_year": year.pk, "name": "技能竞赛经费", "code": "44190024T000123"}
    )

    project = Project.objects.get(name="技能竞赛经费")
    assert (
        response.status_code,
        response["Location"],
        messages_of(response),
        (project.fiscal_year, project.unit, project.code, project.version),
        list(project.budget_lines.values_list("fund_source", "order", "initial_wan", "adjusted_wan", "executed_wan")),
        (project.evaluation.status, project.evaluation.profile.code),
    ) == (
        302,
        edit_url(project),
        ["已新建项目“技能竞赛经费”，请继续填写。"],
        (year, org.unit, "44190024T000123", 0),
        [
            ("本年财政拨款", 0, None, None, None),
            ("上年结转资金", 1, None, None, None),
            ("其他资金", 2, None, None, None),
        ],
        (Status.DRAFT, "national"),
    )


@pytest.mark.parametrize(
    "name",
    [
        "department_reviewer",
        "other_department_reviewer",
        "finance_reviewer",
        "other_bureau_finance_reviewer",
        "admin",
        "no_organisation",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_a_unit_filler_may_start_a_project(client, cast, year, name, method):
    client.force_login(getattr(cast, name))

    response = getattr(client, method)(reverse("budgets:project_new"), {"fiscal_year": year.pk, "name": "越权项目"})

    assert (response.status_code, Project.objects.count()) == (403, 0)


@pytest.mark.parametrize("which", ["closed", "other_bureau"])
def test_a_project_cannot_be_started_in_a_closed_year_or_another_bureaus_year(client, cast, org, year, which):
    bureau = org.bureau if which == "closed" else org.other_bureau
    status = FiscalYear.Status.CLOSED if which == "closed" else FiscalYear.Status.OPEN
    wrong_year = FiscalYearFactory(finance_bureau=bureau, year=2023, status=status)
    client.force_login(cast.unit_filler)

    response = client.post(reverse("budgets:project_new"), {"fiscal_year": wrong_year.pk, "name": "技能竞赛经费"})

    assert (response.status_code, response.context["form"].errors, Project.objects.count()) == (
        200,
        {"fiscal_year": ["选择一个有效的选项： 该选择不在可用的选项中。"]},
        0,
    )


def test_a_duplicate_name_in_the_same_unit_and_year_is_refused_and_the_typed_values_kept(
    client, cast, evaluation, year
):
    client.force_login(cast.unit_filler)

    response = client.post(
        reverse("budgets:project_new"), {"fiscal_year": year.pk, "name": "日常办学经费", "code": "44190024T000777"}
    )

    content = response.content.decode()
    assert (
        response.status_code,
        response.context["form"].errors,
        re.findall(r'<input type="text" name="(\w+)" value="([^"]*)"', content),
        Project.objects.filter(name="日常办学经费").count(),
    ) == (
        200,
        {"name": ["本单位该年度已有同名项目（或项目编码重复）。"]},
        [("name", "日常办学经费"), ("code", "44190024T000777")],
        1,
    )


def test_the_same_name_in_another_unit_is_accepted(client, cast, evaluation, year):
    client.force_login(cast.other_unit_filler)

    response = client.post(reverse("budgets:project_new"), {"fiscal_year": year.pk, "name": "日常办学经费"})

    assert (response.status_code, sorted(Project.objects.values_list("unit__name", flat=True))) == (
        302,
        ["东莞市技师学院", "东莞市社会保险基金管理中心"],
    )


# --- the edit form ----------------------------------------------------------------------------------------------


def test_the_edit_form_of_a_new_project_has_a_row_per_fund_source_and_one_spare_indicator_row(client, cast, org, year):
    project = project_create(fiscal_year=year, unit=org.unit, name="日常办学经费")
    client.force_login(cast.unit_filler)

    response = client.get(edit_url(project))

    fields = read_page(response).fields
    assert (
        response.status_code,
        [form.instance.fund_source for form in response.context["budget_formset"].forms],
        len(response.context["indicator_formset"].forms),
        {name: fields[name] for name in ("version", "spare_rows", "indicators-TOTAL_FORMS", "budget-TOTAL_FORMS")},
    ) == (
        200,
        ["本年财政拨款", "上年结转资金", "其他资金"],
        1,
        {"version": "0", "spare_rows": "1", "indicators-TOTAL_FORMS": "1", "budget-TOTAL_FORMS": "3"},
    )


def test_an_incomplete_draft_is_saved(client, cast, org, year):
    project = project_create(fiscal_year=year, unit=org.unit, name="日常办学经费")
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    data = posted_data(
        page,
        {
            "project-goal_expected": "完成年度培训任务",
            "budget-0-adjusted_wan": "80",
            "indicators-0-name": "培训人数",
            "indicators-0-weight": "50",
            "action": "save",
        },
    )

    response = client.post(edit_url(project), data)

    project.refresh_from_db()
    assert (
        response.status_code,
        response["Location"],
        messages_of(response),
        project.goal_expected,
        list(project.budget_lines.values_list("fund_source", "adjusted_wan")),
        indicator_rows(project),
        project.evaluation.status,
    ) == (
        302,
        edit_url(project),
        ["草稿已保存。"],
        "完成年度培训任务",
        [("本年财政拨款", Decimal(80)), ("上年结转资金", None), ("其他资金", None)],
        [(0, "培训人数", "", "", None, "", Decimal(50), None)],
        Status.DRAFT,
    )


def test_saving_the_page_unchanged_keeps_every_value(client, cast, filled_evaluation):
    project = filled_evaluation.project
    before = indicator_rows(project)
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))

    client.post(edit_url(project), posted_data(page, {"action": "save"}))

    again = client.get(edit_url(project))
    without_version = {name: value for name, value in typed(posted_data(page)).items() if name != "version"}
    assert (indicator_rows(project), {k: v for k, v in typed(posted_data(again)).items() if k != "version"}) == (
        before,
        without_version,
    )


def test_a_negative_amount_is_refused_next_to_the_field_and_every_typed_value_is_shown_again(
    client, cast, filled_evaluation
):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    data = posted_data(
        page,
        {
            "project-name": "日常办学经费（调整）",
            "project-goal_actual": "已完成 1,200 人次培训",
            "budget-0-executed_wan": "-5",
            "indicators-0-claimed_score": "45",
            "indicators-3-category": "产出指标|时效指标",
            "indicators-3-name": "按时完成率",
            "action": "save",
        },
    )

    response = client.post(edit_url(project), data)

    page_again = read_page(response)
    project.refresh_from_db()
    assert (
        response.status_code,
        messages_of(response),
        page_again.beside("budget-0-executed_wan"),
        typed(page_again.fields),
        (project.name, project.version, project.budget_lines.get().executed_wan),
    ) == (
        422,
        ["有内容未能保存，请按标出的提示修改后再保存。"],
        {"errors": ["金额不能为负数。"], "problems": []},
        {name: value for name, value in typed(data).items() if name != "action"},
        ("日常办学经费", 0, Decimal(95)),
    )


def _saved_elsewhere(project, **changes):
    """Someone else's save between this page's GET and POST: what project_save leaves behind (version + 1)."""
    project.refresh_from_db()
    for name, value in changes.items():
        setattr(project, name, value)
    project.version += 1
    project.save()


def test_a_save_from_a_stale_page_is_refused_with_409_and_the_typed_values_kept(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    _saved_elsewhere(project, name="先保存的名称")
    stale = posted_data(page, {"project-name": "后保存的名称", "project-summary": "我的综述", "action": "save"})

    response = client.post(edit_url(project), stale)

    page_again = typed(read_page(response).fields)
    project.refresh_from_db()
    assert (
        response.status_code,
        [message.startswith("保存失败：该项目已于 ") for message in messages_of(response)],
        {name: page_again[name] for name in ("project-name", "project-summary")},
        {name: value for name, value in page_again.items() if name != "version"},
        (project.name, project.summary, project.version),
    ) == (
        409,
        [True],
        {"project-name": "后保存的名称", "project-summary": "我的综述"},
        {name: value for name, value in typed(stale).items() if name not in ("version", "action")},
        ("先保存的名称", "", 1),
    )


def test_each_save_through_the_form_raises_the_version(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    client.post(edit_url(project), posted_data(client.get(edit_url(project)), {"action": "save"}))

    client.post(edit_url(project), posted_data(client.get(edit_url(project)), {"action": "save"}))

    project.refresh_from_db()
    assert project.version == 2


def test_two_people_saving_from_the_same_page_the_second_is_refused(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    client.post(edit_url(project), posted_data(page, {"project-name": "先保存的名称", "action": "save"}))

    response = client.post(edit_url(project), posted_data(page, {"project-name": "后保存的名称", "action": "save"}))

    project.refresh_from_db()
    assert (response.status_code, project.name) == (409, "先保存的名称")


def test_the_stale_save_message_names_the_other_save_in_local_time(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    _saved_elsewhere(project, name="先保存的名称")

    response = client.post(edit_url(project), posted_data(page, {"action": "save"}))

    project.refresh_from_db()
    local = timezone.localtime(project.updated_at)
    assert messages_of(response) == [
        f"保存失败：该项目已于 {local:%Y-%m-%d %H:%M} 被他人修改。您填写的内容仍保留在页面上，"
        "请打开新窗口查看最新内容，核对后再保存。"
    ]


def test_adding_a_row_saves_the_draft_and_reopens_the_form_with_two_spare_rows(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))

    response = client.post(edit_url(project), posted_data(page, {"project-summary": "综述", "action": "add_row"}))
    reopened = client.get(response["Location"])

    formset = reopened.context["indicator_formset"]
    project.refresh_from_db()
    assert (
        response["Location"],
        project.summary,
        formset.extra,
        [form.instance.pk is None for form in formset.forms],
        read_page(reopened).fields["spare_rows"],
    ) == (edit_url(project, "?rows=2#indicator-grid"), "综述", 2, [False, False, False, True, True], "2")


def test_adding_a_row_again_asks_for_three_spare_rows(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project, "?rows=2"))

    response = client.post(edit_url(project), posted_data(page, {"action": "add_row"}))

    assert response["Location"] == edit_url(project, "?rows=3#indicator-grid")


def test_a_row_marked_for_deletion_is_removed(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))

    client.post(edit_url(project), posted_data(page, {"indicators-1-DELETE": "on", "action": "save"}))

    assert [name for _, name, *_ in indicator_rows(project)] == ["培训人数", "学员满意度"]


def test_the_order_field_reorders_the_rows(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))

    client.post(
        edit_url(project),
        posted_data(
            page, {"indicators-0-ORDER": "3", "indicators-1-ORDER": "1", "indicators-2-ORDER": "2", "action": "save"}
        ),
    )

    assert [(order, name) for order, name, *_ in indicator_rows(project)] == [
        (0, "就业质量提升"),
        (1, "学员满意度"),
        (2, "培训人数"),
    ]


def test_a_target_typed_with_its_sign_and_unit_fills_the_empty_sign_and_unit(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))

    client.post(
        edit_url(project),
        posted_data(
            page,
            {
                "indicators-3-category": "产出指标|质量指标",
                "indicators-3-name": "培训合格率",
                "indicators-3-target_text": "≥95%",
                "indicators-3-weight": "5",
                "action": "save",
            },
        ),
    )

    assert indicator_rows(project)[-1] == (3, "培训合格率", "≥", "≥95%", Decimal(95), "%", Decimal(5), None)


def test_a_qualitative_label_on_a_quantitative_row_is_refused(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))

    response = client.post(
        edit_url(project), posted_data(page, {"indicators-0-actual_label": "达成年度指标", "action": "save"})
    )

    assert (
        response.status_code,
        read_page(response).beside("indicators-0-actual_label"),
        Indicator.objects.get(project=project, name="培训人数").actual_label,
    ) == (422, {"errors": ["只有定性指标才选择完成情况。"], "problems": []}, "")


def _weight_problems(response):
    """The callout above the form: the count, then the problems that belong to no single field."""
    callout = re.search(r'<div class="callout error" id="problems">(.*?)</div>', response.content.decode(), re.DOTALL)
    head, *problems = re.split(r'<p class="problem">', callout.group(1))
    return [text_of(head), *(text_of(problem) for problem in problems)]


def test_submitting_an_incomplete_project_saves_the_draft_and_shows_the_problems_by_the_fields(client, cast, org, year):
    project = project_create(fiscal_year=year, unit=org.unit, name="日常办学经费")
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    data = posted_data(
        page,
        {
            "indicators-0-category": "产出指标|数量指标",
            "indicators-0-name": "培训人数",
            "indicators-0-sign": "≥",
            "indicators-0-target_text": "100",
            "indicators-0-unit": "人",
            "indicators-0-actual_text": "100",
            "indicators-0-weight": "50",
            "indicators-0-claimed_score": "60",
            "action": "submit",
        },
    )

    response = client.post(edit_url(project), data)
    checked = client.get(response["Location"])

    page_again = read_page(checked)
    project.refresh_from_db()
    assert (
        response["Location"],
        messages_of(response),
        page_again.beside("indicators-0-claimed_score")["problems"],
        page_again.beside("project-goal_expected")["problems"],
        page_again.beside("project-goal_actual")["problems"],
        page_again.in_cell(data_total="adjusted"),
        page_again.in_cell(data_total="executed"),
        _weight_problems(checked),
        indicator_rows(project),
        project.evaluation.status,
    ) == (
        edit_url(project, "?check=1"),
        ["草稿已保存。未能提交：发现 9 处需要修改的地方，已在表中标出。"],
        ["得分 60.00 分超出范围，应在 0 至 50.00 分之间"],
        ["请填写年度总体目标的预期目标。"],
        ["请填写年度总体目标的实际完成情况。"],
        ["全年预算数（A）为 0 或未填写，无法计算预算执行率。"],
        ["请填写全年执行数（B）。"],
        [
            "提交前须修改 9 处，已在下表中用红字标出。",
            "效益指标的三级指标分值合计 0.00 分，应为 30.00 分",
            "满意度指标的三级指标分值合计 0.00 分，应为 10.00 分",
            "缺少“效益指标”类指标，本年度规则要求填报。",
            "缺少“满意度指标”类指标，本年度规则要求填报。",
        ],
        [(0, "培训人数", "≥", "100", Decimal(100), "人", Decimal(50), Decimal(60))],
        Status.DRAFT,
    )


def test_submitting_a_complete_project_sends_it_to_the_department(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))

    response = client.post(edit_url(project), posted_data(page, {"action": "submit"}))

    evaluation = ProjectEvaluation.objects.get(project=project)
    assert (
        response["Location"],
        messages_of(response),
        (evaluation.status, evaluation.computed_total, evaluation.computed_grade),
        list(evaluation.transitions.values_list("from_status", "to_status", "actor__username")),
    ) == (
        reverse("budgets:project_detail", args=[project.pk]),
        ["已提交主管部门审核。"],
        (Status.SUBMITTED, Decimal("99.50"), "优"),
        [(Status.DRAFT, Status.SUBMITTED, "filler")],
    )


def test_a_submitted_project_opens_read_only_for_its_unit(client, cast, filled_evaluation):
    _submitted(filled_evaluation, cast)
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)

    response = client.get(edit_url(project))

    assert (response.status_code, response["Location"], messages_of(response)) == (
        302,
        reverse("budgets:project_detail", args=[project.pk]),
        ["该项目的自评当前为“已提交”，只能查看。"],
    )


def test_a_submitted_project_refuses_a_post_from_its_unit(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    _submitted(filled_evaluation, cast)
    before = snapshot(project)

    response = client.post(edit_url(project), posted_data(page, {"project-name": "提交后改名", "action": "save"}))

    assert (response.status_code, response["Location"], snapshot(project)) == (
        302,
        reverse("budgets:project_detail", args=[project.pk]),
        before,
    )


def test_a_returned_project_can_be_edited_again(client, cast, filled_evaluation):
    _submitted(filled_evaluation, cast)
    evaluation_return(evaluation=filled_evaluation, actor=cast.department_reviewer, reason="请补充满意度调查样本数。")
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))

    response = client.post(edit_url(project), posted_data(page, {"project-summary": "已补充", "action": "save"}))

    project.refresh_from_db()
    assert (page.status_code, response.status_code, project.summary) == (200, 302, "已补充")


def _grid_save_queries(client, cast, org, year, rows):
    project = project_create(fiscal_year=year, unit=org.unit, name=f"{rows}项指标")
    for number in range(rows):
        IndicatorFactory(project=project, order=number, name=f"指标{number}", weight=Decimal(1), claimed_score=None)
    page = client.get(edit_url(project))
    changes = {f"indicators-{number}-deviation_reason": f"说明{number}" for number in range(rows)}
    data = posted_data(page, {**changes, "action": "save"})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(edit_url(project), data)
    assert response.status_code == 302
    return len(queries)


def test_saving_30_indicators_takes_as_many_queries_as_saving_3(client, cast, org, year):
    client.force_login(cast.unit_filler)

    counts = [_grid_save_queries(client, cast, org, year, rows) for rows in (3, 30)]

    assert counts[1] == counts[0]


# --- the live preview -------------------------------------------------------------------------------------------


def test_the_preview_scores_the_form_as_typed_without_saving(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    data = posted_data(
        page,
        {
            "budget-0-initial_wan": "100",
            "budget-0-adjusted_wan": "120",
            "budget-0-executed_wan": "102",
            "indicators-0-actual_text": "150",
            "indicators-1-claimed_score": "20",
        },
    )

    response = client.post(reverse("budgets:project_preview", args=[project.pk]), data)

    payload = json.loads(response.content)
    findings = [(f["code"], f["target"]) for f in payload.pop("findings")]
    assert (response.status_code, payload, snapshot(project)["budget"]) == (
        200,
        {
            "totals": {"initial": "100.00", "adjusted": "120.00", "executed": "102.00"},
            "budget": {
                "rate": "85.00%",
                "score": "8.50",
                "flags": ["execution_reason_required", "adjustment_reason_required"],
            },
            "reasons": {"execution": True, "adjustment": True},
            "rows": [
                {
                    "prefix": "indicators-0",
                    "computed": "50.00",
                    "hint": "完成率 150.00%，高于指标值较多：须说明偏差原因，可适度调减分值",
                },
                {"prefix": "indicators-1", "computed": "", "hint": "应在 24.00 至 30.00 分之间"},
                {"prefix": "indicators-2", "computed": "10.00", "hint": ""},
            ],
            "level1": [
                {"name": "产出指标", "profile_weight": "50.00", "weight": "50.00", "score": "50.00", "ok": True},
                {"name": "效益指标", "profile_weight": "30.00", "weight": "30.00", "score": "20.00", "ok": True},
                {"name": "满意度指标", "profile_weight": "10.00", "weight": "10.00", "score": "10.00", "ok": True},
            ],
            "weight_total": "100.00",
            "total": "88.50",
            "grade": "良",
        },
        [("本年财政拨款", Decimal(100), Decimal(95))],
    )
    # The quality checks come with the scores, each placed at the input it concerns.
    assert findings == [
        ("low_execution_no_reason", "id_project-execution_reason"),
        ("adjustment_no_reason", "id_project-adjustment_reason"),
        ("qualitative_band", "id_indicators-1-claimed_score"),
        ("missing_deviation_reason", "id_indicators-0-deviation_reason"),
        ("missing_deviation_reason", "id_indicators-1-deviation_reason"),
        ("over_achievement", "id_indicators-0-actual_text"),
    ]


def test_the_preview_counts_a_typed_spare_row_and_flags_a_weight_mismatch(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    data = posted_data(
        page,
        {
            "indicators-3-category": "产出指标|质量指标",
            "indicators-3-name": "培训合格率",
            "indicators-3-target_text": "≥95%",
            "indicators-3-actual_text": "90",
            "indicators-3-weight": "10",
        },
    )

    response = client.post(reverse("budgets:project_preview", args=[project.pk]), data)

    payload = json.loads(response.content)
    assert (payload["rows"][3], payload["level1"][0], payload["weight_total"], payload["total"]) == (
        {"prefix": "indicators-3", "computed": "9.47", "hint": ""},
        {"name": "产出指标", "profile_weight": "50.00", "weight": "60.00", "score": "59.47", "ok": False},
        "110.00",
        "108.97",
    )


def test_the_preview_is_refused_for_another_units_project(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    data = posted_data(client.get(edit_url(project)))
    client.force_login(cast.other_unit_filler)

    response = client.post(reverse("budgets:project_preview", args=[project.pk]), data)

    assert response.status_code == 403


def test_the_preview_is_refused_for_a_submitted_project(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    data = posted_data(client.get(edit_url(project)))
    _submitted(filled_evaluation, cast)

    response = client.post(reverse("budgets:project_preview", args=[project.pk]), data)

    assert response.status_code == 403


def test_the_preview_does_not_answer_a_get(client, cast, evaluation):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_preview", args=[evaluation.project.pk]))

    assert response.status_code == 405


# --- copying last year's projects ---------------------------------------------------------------------------


@pytest.fixture
def last_year(org, year, evaluation):
    """2023 (closed) with two projects of 技师学院 — one already started in 2024 — and one of 社保中心."""
    fiscal_year = FiscalYearFactory(finance_bureau=org.bureau, year=2023, status=FiscalYear.Status.CLOSED)
    project_create(fiscal_year=fiscal_year, unit=org.unit, name="日常办学经费")
    source = project_create(
        fiscal_year=fiscal_year,
        unit=org.unit,
        name="技能竞赛经费",
        code="44190023T000042",
        project_type=Project.ProjectType.RECURRING,
        manager="李明",
        finance_manager="王芳",
        phone="0769-22220000",
        background="承办市级技能竞赛",
        content="组织竞赛与集训",
        goal_expected="举办竞赛 3 场",
        goal_actual="已举办 3 场",
        execution_reason="执行率偏低的原因",
        conclusion="完成良好",
        summary="2023 年综述",
    )
    BudgetLine.objects.filter(project=source, fund_source="本年财政拨款").update(
        initial_wan=Decimal("80"), adjusted_wan=Decimal("90"), executed_wan=Decimal("88")
    )
    IndicatorFactory(
        project=source,
        order=0,
        name="竞赛场次",
        target_text="≥3场",
        target_value=Decimal(3),
        unit="场",
        actual_text="3",
        actual_value=Decimal(3),
        weight=Decimal(50),
        claimed_score=Decimal(50),
        deviation_reason="无",
    )
    IndicatorFactory(
        project=source,
        order=1,
        level1="效益指标",
        level2="社会效益指标",
        name="技能水平提升",
        sign="定性",
        target_text="明显提升",
        target_value=None,
        unit="",
        actual_text="达成",
        actual_value=None,
        actual_label="达成年度指标",
        weight=Decimal(30),
        claimed_score=Decimal(28),
    )
    project_create(fiscal_year=fiscal_year, unit=org.other_unit, name="社保经办经费")
    return source


def test_the_copy_page_lists_the_units_earlier_projects_not_yet_in_the_open_year(client, cast, last_year):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_copy"))

    assert (
        response.context["target"].year,
        [(p.name, p.fiscal_year.year) for p in response.context["candidates"]],
    ) == (2024, [("技能竞赛经费", 2023)])


def test_copying_starts_the_project_with_its_header_budgets_and_targets_only(client, cast, year, last_year):
    client.force_login(cast.unit_filler)

    response = client.post(reverse("budgets:project_copy"), {"project": last_year.pk})

    copy = Project.objects.get(fiscal_year=year, name="技能竞赛经费")
    assert (
        response["Location"],
        messages_of(response),
        (copy.copied_from, copy.unit, copy.code, copy.project_type, copy.manager, copy.finance_manager, copy.phone),
        (copy.background, copy.content, copy.goal_expected, copy.goal_actual, copy.execution_reason),
        (copy.conclusion, copy.summary),
        list(copy.budget_lines.values_list("fund_source", "initial_wan", "adjusted_wan", "executed_wan")),
        list(
            copy.indicators.values_list(
                "name",
                "sign",
                "target_text",
                "target_value",
                "unit",
                "actual_text",
                "actual_value",
                "actual_label",
                "weight",
                "claimed_score",
                "deviation_reason",
            )
        ),
        copy.evaluation.status,
    ) == (
        edit_url(copy),
        ["已从2023年度复制“技能竞赛经费”，请填写本年度的预算和完成情况。"],
        (last_year, last_year.unit, "44190023T000042", "recurring", "李明", "王芳", "0769-22220000"),
        ("承办市级技能竞赛", "组织竞赛与集训", "举办竞赛 3 场", "", ""),
        ("", ""),
        [("本年财政拨款", Decimal(80), None, None), ("上年结转资金", None, None, None), ("其他资金", None, None, None)],
        [
            ("竞赛场次", "≥", "≥3场", Decimal(3), "场", "", None, "", Decimal(50), None, ""),
            ("技能水平提升", "定性", "明显提升", None, "", "", None, "", Decimal(30), None, ""),
        ],
        Status.DRAFT,
    )


def test_copying_the_same_project_twice_is_refused(client, cast, year, last_year):
    client.force_login(cast.unit_filler)
    first = client.post(reverse("budgets:project_copy"), {"project": last_year.pk})
    client.get(first["Location"])

    response = client.post(reverse("budgets:project_copy"), {"project": last_year.pk})

    assert (
        response["Location"],
        messages_of(response),
        Project.objects.filter(fiscal_year=year, name="技能竞赛经费").count(),
    ) == (reverse("budgets:project_copy"), ["2024年度已有同名项目“技能竞赛经费”。"], 1)


def test_copying_another_units_project_by_id_is_not_found(client, cast, year, last_year):
    other = Project.objects.get(name="社保经办经费")
    client.force_login(cast.unit_filler)

    response = client.post(reverse("budgets:project_copy"), {"project": other.pk})

    assert (response.status_code, Project.objects.filter(fiscal_year=year).count()) == (404, 1)


@pytest.mark.parametrize("name", ["department_reviewer", "finance_reviewer", "admin"])
def test_only_a_unit_filler_may_copy_projects(client, cast, last_year, name):
    client.force_login(getattr(cast, name))

    response = client.post(reverse("budgets:project_copy"), {"project": last_year.pk})

    assert (response.status_code, Project.objects.filter(copied_from__isnull=False).count()) == (403, 0)


# --- the 指标库 picker ---------------------------------------------------------------------------------------


@pytest.fixture
def library(db):
    entries = [
        ("产出指标", "数量指标", "培训人数", "≥", "人", "≥100"),
        ("产出指标", "质量指标", "培训合格率", "≥", "%", "≥95%"),
        ("满意度指标", "服务对象满意度指标", "学员满意度", "≥", "%", "≥90%"),
        ("满意度指标", "服务对象满意度指标", "用人单位满意度", "≥", "%", "≥85%"),
    ]
    created = {
        name: LibraryIndicator.objects.create(
            level1=level1, level2=level2, name=name, sign=sign, unit=unit, suggested_target=target
        )
        for level1, level2, name, sign, unit, target in entries
    }
    LibraryIndicator.objects.create(level1="满意度指标", level2="服务对象满意度指标", name="旧满意度", is_active=False)
    return created


def test_the_library_search_returns_matching_entries_as_json(client, cast, library):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:library_search"), {"q": "满意度"})

    assert json.loads(response.content) == {
        "results": [
            {
                "id": library[name].pk,
                "name": name,
                "level1": "满意度指标",
                "level2": "服务对象满意度指标",
                "sign": "≥",
                "unit": "%",
                "target": target,
            }
            for name, target in [("学员满意度", "≥90%"), ("用人单位满意度", "≥85%")]
        ]
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"level1": "产出指标"}, ["培训人数", "培训合格率"]),
        ({"level1": "产出指标", "level2": "质量指标"}, ["培训合格率"]),
        ({"q": "培训", "level2": "数量指标"}, ["培训人数"]),
        ({"q": "培训", "level1": "满意度指标"}, []),
    ],
)
def test_the_library_search_filters_by_category(client, cast, library, query, expected):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:library_search"), query)

    assert [entry["name"] for entry in json.loads(response.content)["results"]] == expected


@pytest.mark.parametrize("name", ["department_reviewer", "finance_reviewer", "admin", "no_organisation"])
def test_the_library_search_is_not_found_for_other_roles(client, cast, library, name):
    client.force_login(getattr(cast, name))

    response = client.get(reverse("budgets:library_search"), {"q": "培训"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "query", [{"q": "培训\x00"}, {"level1": "\x00"}, {"level2": "质量\x00指标"}, {"q": "培" * 300}]
)
def test_the_library_search_refuses_a_crafted_query(client, cast, library, query):
    """Issue 15 (the request fuzz): a NUL character went into the query, a 500 on PostgreSQL; the page's script
    shows no suggestions for an answer that is not ok."""
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:library_search"), query)

    assert (response.status_code, json.loads(response.content)["results"]) == (400, [])


# --- the read-only table ----------------------------------------------------------------------------------


def _indicator_headers(response):
    content = response.content.decode()
    head = re.search(r'<table class="grid sheet indicators">\s*<thead>(.*?)</thead>', content, re.DOTALL).group(1)
    return re.findall(r"<th>(.*?)</th>", head)


def _title(response):
    return text_of(re.search(r'<h2 class="table-title">(.*?)<small>', response.content.decode(), re.DOTALL).group(1))


def test_the_detail_page_shows_the_national_table(client, cast, filled_evaluation):
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_detail", args=[filled_evaluation.project.pk]))

    assert (_title(response), _indicator_headers(response), table_rows(response, "grid sheet indicators")) == (
        "项目支出绩效自评表",
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
            "计算得分",
            "偏差原因分析及改进措施",
        ],
        [
            ["产出指标", "数量指标", "培训人数", "≥100人", "100人", "50.00", "50.00", "50.00", ""],
            ["效益指标", "社会效益指标", "就业质量提升", "明显提升", "达成 达成年度指标", "30.00", "30.00", "", ""],
            ["满意度指标", "服务对象满意度指标", "学员满意度", "≥90%", "95%", "10.00", "10.00", "10.00", ""],
        ],
    )


def test_the_detail_page_shows_the_sichuan_table_with_sign_and_unit_columns(client, cast, org):
    sichuan = FiscalYearFactory(finance_bureau=org.bureau, year=2024, profile=RuleProfile.objects.get(code="sichuan"))
    project = project_create(fiscal_year=sichuan, unit=org.unit, name="人事考试考务费")
    IndicatorFactory(project=project, name="考试场次", target_text="≥10", target_value=Decimal(10), unit="场")
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_detail", args=[project.pk]))

    assert (
        _title(response),
        _indicator_headers(response),
        [row[:7] for row in table_rows(response, "grid sheet indicators")],
    ) == (
        "部门预算项目支出绩效自评表",
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "指标值",
            "度量单位",
            "完成值",
            "分值",
            "得分",
            "计算得分",
            "未完成原因分析",
        ],
        [["产出指标", "数量指标", "考试场次", "≥", "≥10", "场", ""]],
    )


def test_the_detail_page_shows_the_history_of_the_record(client, cast, filled_evaluation):
    _submitted(filled_evaluation, cast)
    evaluation_return(evaluation=filled_evaluation, actor=cast.department_reviewer, reason="请补充满意度调查样本数。")
    client.force_login(cast.unit_filler)

    response = client.get(reverse("budgets:project_detail", args=[filled_evaluation.project.pk]))

    assert [row[1:] for row in table_rows(response, "grid compact history")] == [
        ["filler", "草稿", "已提交", ""],
        ["reviewer", "已提交", "已退回", "请补充满意度调查样本数。"],
    ]


@pytest.mark.parametrize(
    ("name", "status", "expected"),
    [
        ("department_reviewer", Status.SUBMITTED, (200, True)),
        ("department_reviewer", Status.DRAFT, (200, False)),
        ("unit_filler", Status.SUBMITTED, (200, False)),
        ("finance_reviewer", Status.SUBMITTED, (200, False)),
        ("admin", Status.SUBMITTED, (200, False)),
        ("other_department_reviewer", Status.SUBMITTED, (403, False)),
    ],
)
def test_the_approve_and_return_forms_show_only_for_the_department_reviewer_of_a_submitted_record(
    client, cast, filled_evaluation, name, status, expected
):
    if status == Status.SUBMITTED:
        _submitted(filled_evaluation, cast)
    client.force_login(getattr(cast, name))

    response = client.get(reverse("budgets:project_detail", args=[filled_evaluation.project.pk]))

    content = response.content.decode()
    approve = reverse("evaluations:evaluation_approve", args=[filled_evaluation.pk])
    return_ = reverse("evaluations:evaluation_return", args=[filled_evaluation.pk])
    shows = f'action="{approve}"' in content and f'action="{return_}"' in content
    assert (response.status_code, shows) == expected


# --- object-level access ----------------------------------------------------------------------------------

OUTSIDERS = [
    "other_unit_filler",
    "foreign_unit_filler",
    "other_department_reviewer",
    "other_bureau_finance_reviewer",
    "no_organisation",
]


def _request(client, action, evaluation, data):
    project = evaluation.project
    if action == "detail":
        return client.get(reverse("budgets:project_detail", args=[project.pk]))
    if action == "edit_get":
        return client.get(edit_url(project))
    if action == "edit_post":
        return client.post(edit_url(project), data)
    if action == "preview":
        return client.post(reverse("budgets:project_preview", args=[project.pk]), data)
    if action == "approve":
        return client.post(reverse("evaluations:evaluation_approve", args=[evaluation.pk]), {"comment": "同意"})
    return client.post(reverse("evaluations:evaluation_return", args=[evaluation.pk]), {"reason": "越权退回"})


ACTIONS = ["detail", "edit_get", "edit_post", "preview", "approve", "return"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("name", OUTSIDERS)
def test_an_outsider_cannot_read_or_change_a_project_by_its_id(client, cast, filled_evaluation, action, name):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    data = posted_data(client.get(edit_url(project)), {"project-name": "越权修改", "action": "submit"})
    if action in ("approve", "return"):
        _submitted(filled_evaluation, cast)
    before = snapshot(project)
    client.force_login(getattr(cast, name))

    response = _request(client, action, filled_evaluation, data)

    # The record exists, so the answer is 403 (a missing id is 404, see below); never the page itself.
    assert (response.status_code, snapshot(project)) == (403, before)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("finance_reviewer", {"detail": 200, "edit_get": 403, "edit_post": 403, "preview": 403}),
        ("admin", {"detail": 200, "edit_get": 403, "edit_post": 403, "preview": 403}),
        ("department_reviewer", {"detail": 200, "edit_get": 403, "edit_post": 403, "preview": 403}),
    ],
)
def test_reviewers_of_the_project_may_read_it_but_not_edit_it(client, cast, filled_evaluation, name, expected):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    data = posted_data(client.get(edit_url(project)), {"project-name": "越权修改", "action": "save"})
    before = snapshot(project)
    client.force_login(getattr(cast, name))

    statuses = {action: _request(client, action, filled_evaluation, data).status_code for action in expected}

    assert (statuses, snapshot(project)) == (expected, before)


@pytest.mark.parametrize("name", ["finance_reviewer", "admin", "unit_filler"])
@pytest.mark.parametrize("action", ["approve", "return"])
def test_only_the_department_reviewer_may_approve_or_return(client, cast, filled_evaluation, name, action):
    _submitted(filled_evaluation, cast)
    before = snapshot(filled_evaluation.project)
    client.force_login(getattr(cast, name))

    response = _request(client, action, filled_evaluation, {})

    assert (response.status_code, snapshot(filled_evaluation.project)) == (403, before)


def test_a_missing_project_is_not_found(client, cast, evaluation):
    client.force_login(cast.unit_filler)
    missing = evaluation.project.pk + 1000

    statuses = [
        client.get(reverse("budgets:project_detail", args=[missing])).status_code,
        client.get(reverse("budgets:project_edit", args=[missing])).status_code,
        client.post(reverse("budgets:project_preview", args=[missing])).status_code,
    ]

    assert statuses == [404, 404, 404]


def test_the_edit_form_names_the_year_unit_rules_and_status(client, cast, evaluation):
    client.force_login(cast.unit_filler)

    response = client.get(edit_url(evaluation.project))

    head = re.search(r'<div class="page-head">(.*?)</div>', response.content.decode(), re.DOTALL).group(1)
    assert text_of(head) == (
        "项目支出绩效自评表 （2024年度） 东莞市技师学院 · 全国通用（财预〔2020〕10号） · 状态：草稿 · 查看表格"
    )


def test_a_garbled_spare_row_count_adds_one_row_instead_of_failing_after_the_save(client, cast, filled_evaluation):
    """Issue 15: ``spare_rows=abc`` (or "²") gave a 500 after the draft had already been saved."""
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)

    locations = []
    for garbled in ("abc", "²"):
        page = client.get(edit_url(project))  # each save moves the version on
        response = client.post(edit_url(project), posted_data(page, {"action": "add_row", "spare_rows": garbled}))
        locations.append(response["Location"])

    assert locations == [edit_url(project, "?rows=2#indicator-grid")] * 2


def _another_projects_line(org, year):
    other = ProjectFactory(fiscal_year=year, unit=org.other_unit, name="别人的项目")
    return BudgetLine.objects.create(project=other, fund_source="其他资金", order=9, initial_wan=Decimal("1.00"))


def test_a_forged_fund_row_id_is_refused_on_the_form_and_nothing_changes(client, cast, org, year, filled_evaluation):
    """Issue 15: a ``budget-0-id`` naming another project's line gave a 500 from bulk_update."""
    project = filled_evaluation.project
    foreign = _another_projects_line(org, year)
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    data = posted_data(page, {"budget-0-id": str(foreign.pk), "budget-0-initial_wan": "999"})

    response = client.post(edit_url(project), data)

    foreign.refresh_from_db()
    assert (response.status_code, foreign.initial_wan, foreign.project_id != project.pk) == (422, Decimal("1.00"), True)
    assert not project.budget_lines.filter(initial_wan=Decimal("999")).exists()


@pytest.mark.parametrize("forged", ["99999999999999999999", "9" * 40])
def test_a_library_reference_past_any_id_is_dropped_and_the_draft_saved(client, cast, filled_evaluation, forged):
    """Issue 15 (the request fuzz): a hidden ``library_ref`` past 64 bits reached the database in the grid's
    library check (OverflowError on SQLite, out of range on PostgreSQL): a 500. It is dropped like any forged one."""
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    data = posted_data(page, {"indicators-0-library_ref": forged})

    response = client.post(edit_url(project), data)

    assert (response.status_code, response["Location"]) == (302, edit_url(project))
    assert not project.indicators.filter(library_indicator__isnull=False).exists()


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("target_text", "99999999999999999999"),
        ("actual_text", "≥100000000000000"),
        ("target_text", "99999999999999.9999999"),
    ],
)
def test_a_number_too_big_to_store_is_refused_on_the_form_with_the_typing_kept(
    client, cast, filled_evaluation, field, typed
):
    """Issue 15 (the request fuzz): a target or actual past the column's 14 whole digits was a 500 on PostgreSQL
    (numeric field overflow) when the draft was saved; SQLite stored it."""
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    version = project.version

    response = client.post(edit_url(project), posted_data(page, {f"indicators-0-{field}": typed}))

    project.refresh_from_db()
    content = response.content.decode()
    assert (response.status_code, project.version) == (422, version)
    assert "数值过大，无法保存：整数部分最多 14 位。" in content and f'value="{typed}"' in content


def test_an_extra_fund_row_appended_to_the_form_is_refused_in_chinese(client, cast, filled_evaluation):
    project = filled_evaluation.project
    client.force_login(cast.unit_filler)
    page = client.get(edit_url(project))
    data = posted_data(page)
    extra = int(data["budget-TOTAL_FORMS"])
    data.update({"budget-TOTAL_FORMS": str(extra + 1), f"budget-{extra}-initial_wan": "5"})

    response = client.post(edit_url(project), data)

    assert response.status_code == 422
    assert "资金来源行由年度方案确定，不能增加或替换" in response.content.decode()
    assert project.budget_lines.count() == extra
