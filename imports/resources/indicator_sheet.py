"""The resource of a flat template's 绩效指标 sheet: one row per 三级 indicator, matched to its project and to the
project's stored indicator at the same position; surplus stored indicators of a listed project are deleted."""

from collections import defaultdict
from decimal import Decimal

from import_export.fields import Field

from budgets.models import Project
from domain import signs
from imports.records import CREATED, UPDATED
from imports.resources.base import FlatResource
from imports.resources.cells import TextWidget, cell_text, fit_decimal, points
from imports.resources.columns import (
    ACTUAL,
    DEPARTMENT,
    LEVEL1,
    LEVEL2,
    LEVEL3,
    MEASURE_UNIT,
    PROJECT_CODE,
    PROJECT_NAME,
    REASON,
    SCORE,
    SIGN,
    TARGET,
    UNIT,
    WEIGHT,
)
from imports.resources.rows import STATE, RowState, chunks
from imports.wording import fold
from indicators.models import Indicator
from indicators.parsing import clean_text, is_placeholder, parse_measure, qualitative_label_from_text


class IndicatorResource(FlatResource):
    """The 绩效指标 sheet: one row per 三级 indicator, matched to its project by 年度 + 预算单位 + 项目名称 (or
    项目编码) and to a stored indicator by its position among the project's rows on the sheet.

    The sheet is the indicator table of every project it names: a blank cell is blank, and stored indicators of
    such a project beyond the rows on the sheet are deleted (listed as a warning in the preview). Projects the
    sheet does not name keep their indicators."""

    level1 = Field(attribute="level1", column_name=LEVEL1, widget=TextWidget(max_length=50, blank=""))
    level2 = Field(attribute="level2", column_name=LEVEL2, widget=TextWidget(max_length=50, blank=""))
    name = Field(attribute="name", column_name=LEVEL3, widget=TextWidget(max_length=200, blank=""))
    weight = Field(attribute="weight", column_name=WEIGHT, widget=points())
    claimed_score = Field(attribute="claimed_score", column_name=SCORE, widget=points())
    deviation_reason = Field(attribute="deviation_reason", column_name=REASON, widget=TextWidget(blank=""))

    tracked = {
        "order": "顺序",
        "level1": LEVEL1,
        "level2": LEVEL2,
        "name": LEVEL3,
        "sign": SIGN,
        "target_text": TARGET,
        "target_value": TARGET,
        "unit": MEASURE_UNIT,
        "actual_text": ACTUAL,
        "actual_value": ACTUAL,
        "actual_label": ACTUAL,
        "weight": WEIGHT,
        "claimed_score": SCORE,
        "deviation_reason": REASON,
    }
    bulk_update_fields = tuple(tracked)

    class Meta(FlatResource.Meta):
        model = Indicator
        fields = ("level1", "level2", "name", "weight", "claimed_score", "deviation_reason")

    def __init__(self, *, pending_keys=frozenset(), **kwargs):
        super().__init__(**kwargs)
        self.pending_keys = set(pending_keys)
        self.surplus: dict[int, list[Indicator]] = {}

    def before_import(self, dataset, **kwargs):
        ctx = self.context
        ctx.load_organisations()
        pairs = self._new_states(dataset)
        for state, row in pairs:
            state.fiscal_year = self._row_year(state, row)
        years = {s.fiscal_year.pk for s in self.states if s.fiscal_year}
        by_code, by_unit, by_name = {}, {}, defaultdict(list)
        for project in Project.objects.filter(fiscal_year__in=years).order_by("pk"):
            project.unit = ctx.organisations.get(project.unit_id) or project.unit
            if project.code:
                by_code[(project.fiscal_year_id, project.code)] = project
            by_unit.setdefault((project.fiscal_year_id, project.unit_id, fold(project.name)), project)
            by_name[(project.fiscal_year_id, fold(project.name))].append(project)
        positions: dict[int, int] = defaultdict(int)
        for state, row in pairs:
            if state.fiscal_year is None:
                continue
            project = self._find_project(state, row, by_code, by_unit, by_name)
            if project is None:
                continue
            state.project = project
            state.position = positions[project.pk]
            positions[project.pk] += 1
        stored: dict[int, list[Indicator]] = defaultdict(list)
        for chunk in chunks(positions):
            for indicator in Indicator.objects.filter(project__in=chunk).order_by("project", "order", "pk"):
                stored[indicator.project_id].append(indicator)
        for state in self.states:
            if state.project is not None:
                existing = stored.get(state.project.pk, [])
                state.existing = existing[state.position] if state.position < len(existing) else None
        self.surplus = {pk: stored[pk][count:] for pk, count in positions.items() if len(stored[pk]) > count}

    def _find_project(self, state: RowState, row, by_code, by_unit, by_name) -> Project | None:
        year = state.fiscal_year
        name = self._text(row, PROJECT_NAME)
        code = clean_text(self._text(row, PROJECT_CODE))
        department, unit_text = cell_text(row.get(DEPARTMENT)), cell_text(row.get(UNIT))
        if code and (year.pk, code) in by_code:
            return by_code[(year.pk, code)]
        if not name and not code:
            state.error(PROJECT_NAME, f"没有填写“{self.label(PROJECT_NAME)}”")
            return None
        project = None
        if name:
            if department or unit_text:
                unit, _problem = self.context.unit(department, unit_text, create=False)
                project = by_unit.get((year.pk, unit.pk, fold(name))) if unit else None
            else:
                candidates = by_name.get((year.pk, fold(name)), [])
                project = candidates[0] if len(candidates) == 1 else None
        if project is not None:
            return project
        unit_name = unit_text or department
        keys = {("name", year.year, fold(unit_name), fold(name)), ("code", year.year, code)}
        if keys & self.pending_keys:
            state.pending = True
            return None
        if name:
            who = f"“{unit_name}”的项目“{name}”" if unit_name else f"项目“{name}”"
        else:
            who = f"项目编码为“{code}”的项目"
        state.error(
            PROJECT_NAME if name else PROJECT_CODE,
            f"第 {state.excel_row} 行：找不到 {year.year} 年度{who}（请先在“项目”表中列出）",
        )
        return None

    def init_instance(self, row=None):
        state = row[STATE]
        return Indicator(project=state.project, order=state.position or 0)

    def import_extra(self, instance, row, state: RowState):
        if state.position is not None:
            instance.order = state.position
        for attribute, column in ((instance.level1, LEVEL1), (instance.level2, LEVEL2)):
            if not attribute and column not in state.errors:
                state.error(column, f"没有填写“{self.label(column)}”")
        self._import_measures(instance, row, state)

    def _import_measures(self, instance, row, state: RowState):
        """指标性质, 年度指标值, 度量单位 and 实际完成值 together: "≥95%" gives sign, number and unit."""
        warn = lambda message: state.warn(TARGET, message)  # noqa: E731
        sign_text = self._text(row, SIGN)
        sign = ""
        if sign_text and not is_placeholder(sign_text):
            try:
                sign = signs.normalise_sign(clean_text(sign_text)) or ""
            except ValueError:
                state.error(SIGN, f"“{self.label(SIGN)}”列的“{sign_text}”无法识别，应为 ≥、>、=、≤、< 或 定性")
        target_raw = self._text(row, TARGET)
        target = parse_measure(target_raw)
        if target.sign:
            if not sign:
                sign = target.sign
            elif target.sign != sign and SIGN not in state.errors:
                warn(
                    f"“{self.label(TARGET)}”的“{target_raw}”与“{self.label(SIGN)}”“{sign_text}”不一致，"
                    f"按“{self.label(SIGN)}”导入"
                )
        qualitative = sign == signs.SIGN_QUALITATIVE
        unit = self._text(row, MEASURE_UNIT)
        unit = "" if is_placeholder(unit) else unit
        instance.sign = sign
        instance.unit = unit or target.unit
        instance.target_text = (
            target.text if target.number is not None else ("" if is_placeholder(target_raw) else target_raw)
        )
        instance.target_value = None
        if target.number is not None and not qualitative:
            instance.target_value = self._measure_number(target.number, target_raw, TARGET, state)
        actual_raw = self._text(row, ACTUAL)
        actual = parse_measure(actual_raw)
        instance.actual_text = (
            actual.text if actual.number is not None else ("" if is_placeholder(actual_raw) else actual_raw)
        )
        instance.actual_value = None
        instance.actual_label = ""
        if qualitative:
            instance.actual_label = qualitative_label_from_text(instance.actual_text)
            if instance.actual_text and not instance.actual_label:
                state.warn(
                    ACTUAL,
                    f"定性指标的“{self.label(ACTUAL)}”“{instance.actual_text}”不是标准的完成情况"
                    f"（{signs.LABEL_ACHIEVED} / {signs.LABEL_PARTIAL} / {signs.LABEL_NOT_ACHIEVED}），"
                    "按原文保留，请在系统中选择完成情况",
                )
        elif actual.number is not None:
            instance.actual_value = self._measure_number(actual.number, actual_raw, ACTUAL, state)
        for attribute, column, limit in (("target_text", TARGET, 200), ("unit", MEASURE_UNIT, 30)):
            value = getattr(instance, attribute)
            if len(value) > limit:
                state.error(column, f"“{self.label(column)}”列的内容有 {len(value)} 个字，超过了 {limit} 个字的上限")

    def _measure_number(self, number: Decimal, text: str, column: str, state: RowState) -> Decimal | None:
        try:
            return fit_decimal(
                number,
                label=self.label(column),
                text=text,
                places=6,
                digits=20,
                warn=lambda message: state.warn(column, message),
            )
        except ValueError as exc:
            state.error(column, str(exc))
            return None

    def after_import(self, dataset, result, **kwargs):
        """Delete the stored indicators of the sheet's projects beyond the rows given for them."""
        super().after_import(dataset, result, **kwargs)
        doomed = []
        for project_pk, indicators in self.surplus.items():
            doomed.extend(i.pk for i in indicators)
            state = next(s for s in self.states if s.project is not None and s.project.pk == project_pk)
            names = "、".join(f"“{i.name or '（空）'}”" for i in indicators[:5])
            more = f"等 {len(indicators)} 条" if len(indicators) > 5 else ""
            state.warnings.append(
                (
                    "",
                    f"项目“{state.project.name}”在系统中还有 {len(indicators)} 条指标不在本表中（{names}{more}），"
                    "导入后将删除",
                )
            )
        for chunk in chunks(doomed):
            Indicator.objects.filter(pk__in=chunk).delete()

    def touched_projects(self) -> set[int]:
        """Projects whose indicators this import creates, changes or deletes."""
        touched = {s.project.pk for s in self.states if s.action in (CREATED, UPDATED)}
        return touched | set(self.surplus)
