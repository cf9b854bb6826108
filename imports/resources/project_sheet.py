"""The resource of a flat template's 项目 sheet: one row per project, its fund rows and its stated claims."""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import F
from django.utils import timezone
from import_export.fields import Field

from budgets.models import BudgetLine, Project
from evaluations.models import ProjectEvaluation
from imports.resources.base import FlatResource
from imports.resources.cells import ChoiceWidget, TextWidget, amount, cell_text, points
from imports.resources.columns import (
    DEPARTMENT,
    FUND_MEASURES,
    GRADE,
    PROJECT_CODE,
    PROJECT_NAME,
    TOTAL,
    UNIT,
    is_fund_header,
    parse_fund_header,
)
from imports.resources.rows import BATCH_SIZE, STATE, RowState, chunks
from imports.wording import GRADE_CHOICES, PROJECT_TYPES, TEMPLATE_GRADE_WORDINGS, fold
from indicators.parsing import clean_text


class ProjectResource(FlatResource):
    """The 项目 sheet: one row per project with its fund rows (three columns per fund source of the year's profile)
    and the claims of its self-evaluation (总分, 自评等级).

    A blank cell means "not stated" and keeps what is stored; a dash ("/") clears it. Fund rows: when a row states
    any amount, its fund sources are the budget block (a source left blank is removed); when it states none, the
    stored budget lines stay."""

    name = Field(attribute="name", column_name=PROJECT_NAME, widget=TextWidget(max_length=200))
    code = Field(
        attribute="code",
        column_name=PROJECT_CODE,
        widget=TextWidget(max_length=60, normalise=True),
        saves_null_values=False,
    )
    project_type = Field(
        attribute="project_type",
        column_name="项目类型",
        widget=ChoiceWidget(PROJECT_TYPES, "常年项目 或 一次性项目"),
        saves_null_values=False,
    )
    manager = Field(
        attribute="manager", column_name="项目负责人", widget=TextWidget(max_length=50), saves_null_values=False
    )
    finance_manager = Field(
        attribute="finance_manager", column_name="财务负责人", widget=TextWidget(max_length=50), saves_null_values=False
    )
    phone = Field(
        attribute="phone",
        column_name="联系电话",
        widget=TextWidget(max_length=30, normalise=True),
        saves_null_values=False,
    )
    background = Field(attribute="background", column_name="设立背景", widget=TextWidget(), saves_null_values=False)
    content = Field(attribute="content", column_name="项目概况/实施内容", widget=TextWidget(), saves_null_values=False)
    goal_expected = Field(
        attribute="goal_expected", column_name="预期目标", widget=TextWidget(), saves_null_values=False
    )
    goal_actual = Field(
        attribute="goal_actual", column_name="实际完成情况", widget=TextWidget(), saves_null_values=False
    )
    execution_reason = Field(
        attribute="execution_reason", column_name="执行率偏低原因", widget=TextWidget(), saves_null_values=False
    )
    adjustment_reason = Field(
        attribute="adjustment_reason", column_name="预算调整理由", widget=TextWidget(), saves_null_values=False
    )
    conclusion = Field(attribute="conclusion", column_name="评价结论", widget=TextWidget(), saves_null_values=False)
    problems = Field(attribute="problems", column_name="存在问题", widget=TextWidget(), saves_null_values=False)
    improvements = Field(attribute="improvements", column_name="改进措施", widget=TextWidget(), saves_null_values=False)
    summary = Field(attribute="summary", column_name="绩效自评综述", widget=TextWidget(), saves_null_values=False)

    tracked = {
        "name": "项目名称",
        "unit_id": "预算单位",
        "code": "项目编码",
        "project_type": "项目类型",
        "manager": "项目负责人",
        "finance_manager": "财务负责人",
        "phone": "联系电话",
        "background": "设立背景",
        "content": "项目概况/实施内容",
        "goal_expected": "预期目标",
        "goal_actual": "实际完成情况",
        "execution_reason": "执行率偏低原因",
        "adjustment_reason": "预算调整理由",
        "conclusion": "评价结论",
        "problems": "存在问题",
        "improvements": "改进措施",
        "summary": "绩效自评综述",
    }
    bulk_update_fields = (*(n.removesuffix("_id") for n in tracked), "version", "updated_at")

    class Meta(FlatResource.Meta):
        model = Project
        fields = Project.HEADER_FIELDS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._total = points()
        self._grade = ChoiceWidget(TEMPLATE_GRADE_WORDINGS, GRADE_CHOICES)
        self._amount = amount()
        self.fund_columns: dict[str, tuple[str, str]] = {}

    def before_import(self, dataset, **kwargs):
        """Resolve every row's year, unit (creating new organisations) and existing project from cached lookups."""
        self.context.load_organisations()
        self.fund_columns = {
            header: parse_fund_header(header) for header in dataset.headers or () if is_fund_header(header)
        }
        pairs = self._new_states(dataset)
        for state, row in pairs:
            self._resolve_row(state, row)
        self._match_projects([state for state, _row in pairs])

    def _resolve_row(self, state: RowState, row: dict):
        """The row's year, name, code and unit, and the keys by which indicator rows may name its project."""
        state.fiscal_year = self._row_year(state, row)
        state.name = self._text(row, PROJECT_NAME)
        state.code = clean_text(self._text(row, PROJECT_CODE))
        if not state.name:
            state.error(PROJECT_NAME, f"没有填写“{self.label(PROJECT_NAME)}”")
        state.unit, problem = self.context.unit(row.get(DEPARTMENT), row.get(UNIT), create=True)
        if problem:
            state.error(UNIT if row.get(UNIT) else DEPARTMENT, problem)
        unit_name = cell_text(row.get(UNIT)) or cell_text(row.get(DEPARTMENT))
        number = state.fiscal_year.year if state.fiscal_year else None
        state.keys = (("name", number, fold(unit_name), fold(state.name)),) + (
            (("code", number, state.code),) if state.code else ()
        )

    def _match_projects(self, states: list[RowState]):
        """Each row's stored project (by code, else by unit and name), refusing rows that name one project twice
        and a code whose project the row would rename onto another's name."""
        years = {s.fiscal_year.pk for s in states if s.fiscal_year}
        by_code, by_name = {}, {}
        for project in Project.objects.filter(fiscal_year__in=years):
            if project.code:
                by_code[(project.fiscal_year_id, project.code)] = project
            by_name.setdefault((project.fiscal_year_id, project.unit_id, project.name), project)
            by_name.setdefault((project.fiscal_year_id, project.unit_id, fold(project.name)), project)
        seen: dict[tuple, int] = {}
        for state in states:
            if state.fiscal_year is None or state.unit is None or not state.name:
                continue
            year_pk = state.fiscal_year.pk
            found = by_code.get((year_pk, state.code)) if state.code else None
            if found is None:
                found = by_name.get((year_pk, state.unit.pk, state.name)) or by_name.get(
                    (year_pk, state.unit.pk, fold(state.name))
                )
                if found is not None and found.name != state.name:
                    state.kept_name = found.name
            elif found.unit_id != state.unit.pk or fold(found.name) != fold(state.name):
                clash = by_name.get((year_pk, state.unit.pk, fold(state.name)))
                if clash is not None and clash.pk != found.pk:
                    state.error(
                        PROJECT_CODE,
                        f"项目编码“{state.code}”属于项目“{found.name}”，按本行改名后会与已有项目“{clash.name}”重名",
                    )
            state.existing = found
            self._refuse_repeated(state, seen)

    def _refuse_repeated(self, state: RowState, seen: dict[tuple, int]):
        """An error when an earlier row names the same project (by name, code or the project it matched)."""
        year_pk = state.fiscal_year.pk
        keys = [("name", year_pk, state.unit.pk, fold(state.name))]
        if state.code:
            keys.append(("code", year_pk, state.code))
        if state.existing is not None:
            keys.append(("pk", state.existing.pk))
        for key in keys:
            if key in seen:
                state.error(NON_FIELD_ERRORS, f"与第 {seen[key]} 行是同一个项目（重复的行）")
                break
        for key in keys:
            seen.setdefault(key, state.excel_row)

    def init_instance(self, row=None):
        state = row[STATE]
        return Project(fiscal_year=state.fiscal_year, unit=state.unit)

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        state = row[STATE]
        if state.unit is not None:
            instance.unit = state.unit

    def import_extra(self, instance, row, state: RowState):
        if state.kept_name:
            instance.name = state.kept_name
        if instance.name is None:
            instance.name = ""
        self._import_claims(row, state)
        if state.fiscal_year is not None:
            self._import_funds(row, state)

    def _import_claims(self, row, state: RowState):
        for column, widget, attribute in ((TOTAL, self._total, "claimed_total"), (GRADE, self._grade, "claimed_grade")):
            if column not in row:
                continue
            widget.column, widget.label = column, self.label(column)
            try:
                value = widget.clean(row[column], row=row)
            except ValueError as exc:
                state.error(column, str(exc))
                continue
            if value is not None:
                state.claims[attribute] = value

    def _import_funds(self, row, state: RowState):
        sources = self.context.fund_sources(state.fiscal_year)
        funds: dict[str, dict[str, Decimal]] = {}
        stated = False
        for column, (source, measure) in self.fund_columns.items():
            widget = self._amount
            widget.column, widget.label = column, self.label(column)
            try:
                number = widget.clean(row.get(column), row=row)
            except ValueError as exc:
                state.error(column, str(exc))
                stated = True
                continue
            if number is None:
                continue
            stated = True
            source = source or (sources[0] if sources else "")
            if source not in sources:
                state.error(
                    column,
                    f"“{self.label(column)}”列的资金来源“{source}”不在 {state.fiscal_year.year} 年度的规则方案"
                    f"“{state.fiscal_year.profile}”中（应为 {'、'.join(sources)}）",
                )
                continue
            funds.setdefault(source, {})[FUND_MEASURES[measure]] = number
        state.funds = funds if stated else None

    def before_save_instance(self, instance, row, **kwargs):
        # bulk_update bypasses save(): do what it would (auto_now) and raise the optimistic-lock version.
        row[STATE].saved = True
        if instance.pk is not None:
            instance.version += 1
            instance.updated_at = timezone.now()

    def after_import(self, dataset, result, **kwargs):
        """Once the projects are written: sync their fund rows and compare the stated claims."""
        super().after_import(dataset, result, **kwargs)
        states = [s for s in self.states if s.action is not None]
        self._ensure_pks(states)
        states = [s for s in states if s.instance.pk is not None]
        funds_changed = self._sync_funds(states)
        self._compare_claims(states)
        # A project whose row was skipped but whose budget lines changed still moves on a version.
        bumped = [s.instance.pk for s in states if s.instance.pk in funds_changed and not s.saved]
        for chunk in chunks(bumped):
            Project.objects.filter(pk__in=chunk).update(version=F("version") + 1, updated_at=timezone.now())

    def _ensure_pks(self, states):
        """Backends that cannot return ids from bulk_create leave new projects without a pk: look them up."""
        missing = [s for s in states if s.instance.pk is None]
        if not missing:
            return
        years = {s.fiscal_year.pk for s in missing}
        stored = {(p.fiscal_year_id, p.unit_id, p.name): p.pk for p in Project.objects.filter(fiscal_year__in=years)}
        for s in missing:
            s.instance.pk = stored.get((s.instance.fiscal_year_id, s.instance.unit_id, s.instance.name))

    def _sync_funds(self, states) -> set[int]:
        stated = [s for s in states if s.funds is not None]
        if not stated:
            return set()
        years = {s.fiscal_year.pk for s in stated}
        wanted_projects = {s.instance.pk for s in stated}
        stored: dict[int, dict[str, BudgetLine]] = defaultdict(dict)
        for line in BudgetLine.objects.filter(project__fiscal_year__in=years).order_by("project", "order", "pk"):
            if line.project_id in wanted_projects:
                stored[line.project_id].setdefault(line.fund_source, line)
        create, update, delete, changed = [], [], [], set()
        for s in stated:
            sources = self.context.fund_sources(s.fiscal_year)
            lines = stored.get(s.instance.pk, {})
            for source, amounts in s.funds.items():
                order = sources.index(source)
                values = {name: amounts.get(name) for name in FUND_MEASURES.values()}
                line = lines.get(source)
                if line is None:
                    create.append(BudgetLine(project_id=s.instance.pk, fund_source=source, order=order, **values))
                    changed.add(s.instance.pk)
                elif line.order != order or any(getattr(line, k) != v for k, v in values.items()):
                    line.order = order
                    for name, value in values.items():
                        setattr(line, name, value)
                    update.append(line)
                    changed.add(s.instance.pk)
            for source, line in lines.items():
                if source not in s.funds:
                    delete.append(line.pk)
                    changed.add(s.instance.pk)
            if s.instance.pk in changed and not s.new:
                s.changed.append("项目资金")
        BudgetLine.objects.bulk_create(create, batch_size=BATCH_SIZE)
        BudgetLine.objects.bulk_update(update, ["order", *FUND_MEASURES.values()], batch_size=BATCH_SIZE)
        for chunk in chunks(delete):
            BudgetLine.objects.filter(pk__in=chunk).delete()
        return changed

    def _compare_claims(self, states):
        claimed = [s for s in states if s.claims and not s.new]
        if not claimed:
            return
        years = {s.fiscal_year.pk for s in claimed}
        evaluations = {
            e.project_id: e
            for e in ProjectEvaluation.objects.filter(project__fiscal_year__in=years).only(
                "project_id", "claimed_total", "claimed_grade"
            )
        }
        names = {"claimed_total": TOTAL, "claimed_grade": GRADE}
        for s in claimed:
            evaluation = evaluations.get(s.instance.pk)
            for attribute, value in s.claims.items():
                if evaluation is None or getattr(evaluation, attribute) != value:
                    s.changed.append(names[attribute])
