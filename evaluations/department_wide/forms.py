"""The department-wide self-evaluation form (SPEC §7): budget block, goal, narratives, formula inputs, score sheet.

Amounts are typed in 万元. Rates are typed as percentages ("96.92" means 96.92%) and stored as the fractions the
model holds (0.9692). A draft saves whatever is valid on its own; what must hold before submitting lives in
evaluations.department_wide.services.submission_problems, and its findings are shown next to the fields they concern.
"""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from evaluations.department_wide.sheet import (
    BUDGET_FIELDS,
    EDITABLE_FIELDS,
    FORMULA_INPUTS,
    INPUT_FIELDS,
    RATE_FIELDS,
    FieldProblem,
    Sheet,
    SheetLine,
    inputs_for,
)
from evaluations.models import DepartmentEvaluation

HUNDRED = Decimal(100)


def typed(value) -> str:
    """A stored number as a person would type it: 978.110000 → "978.11", 100 → "100", None → ""."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    return str(value)


def _number_widget(css_class: str) -> forms.TextInput:
    # A text box, not type=number: browsers reformat or reject "96.92" in some locales and spin on scroll.
    return forms.TextInput(attrs={"inputmode": "decimal", "class": css_class, "autocomplete": "off"})


class AmountField(forms.DecimalField):
    """An amount in 万元, exact to the 分 and beyond (6 decimals, as the model stores), never negative."""

    def __init__(self, **kwargs):
        super().__init__(
            max_digits=20,
            decimal_places=6,
            required=False,
            widget=_number_widget("dept-amount"),
            validators=[MinValueValidator(Decimal(0), message="金额不能为负数。")],
            **kwargs,
        )
        self.localize = False


class PercentField(forms.DecimalField):
    """A rate typed as a percentage ("96.92" = 96.92%) and cleaned to the fraction the model stores (0.9692)."""

    def __init__(self, *, low: Decimal | None = Decimal(0), high: Decimal | None = HUNDRED, **kwargs):
        # Validation messages are %-formatted by Django: a literal percent sign is written %%.
        validators = []
        if low is not None:
            validators.append(MinValueValidator(low, message=f"应不小于 {low}%%。"))
        if high is not None:
            validators.append(MaxValueValidator(high, message=f"应不大于 {high}%%。"))
        super().__init__(
            max_digits=10,
            decimal_places=4,
            required=False,
            widget=_number_widget("dept-rate"),
            validators=validators,
            **kwargs,
        )
        self.localize = False

    def clean(self, value):
        percent = super().clean(value)
        return None if percent is None else percent / HUNDRED


def _text(label: str, rows: int, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "class": "dept-text"}),
    )


class DepartmentEvaluationForm(forms.Form):
    """Everything of the evaluation outside the score sheet. Inputs no formula of the profile reads are left out."""

    # The version the page was read at: a save from an older version is refused (see department_evaluation_save).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    initial_wan = AmountField(label="年初预算数")
    adjusted_wan = AmountField(label="全年预算数")
    executed_wan = AmountField(label="全年执行数")
    basic_expenditure_wan = AmountField(label="其中：基本支出", help_text="全年执行数中的基本支出。")
    project_expenditure_wan = AmountField(label="其中：项目支出", help_text="全年执行数中的项目支出。")

    goal = _text("年度总体目标", 4, "部门整体支出绩效目标：本年度履职要达到的产出和效果。")
    performance_narrative = _text("履职效能", 10, "履行职能、完成重点工作任务的情况，可分段填写。")
    management_narrative = _text(
        "管理效率", 10, "预算编制、执行、信息公开、绩效管理、采购、资产、运行成本等方面的情况。"
    )
    conclusion = _text("评价结论", 3)
    problems = _text("存在问题", 3)
    improvements = _text("改进措施", 3)

    adjustment_amount_wan = AmountField(label="全年预算调剂金额", help_text="年度内部门预算调剂的金额合计。")
    expenditure_deviation = PercentField(
        label="公用经费预决算偏差率",
        low=Decimal(-100),
        high=Decimal(1000),
        help_text="日常公用经费及办公费、印刷费、水电费、物业管理费等科目决算数与年初预算数的偏差程度。",
    )
    monitoring_cancelled_wan = AmountField(label="绩效监控调整取消额")
    written_off_wan = AmountField(label="预算结余注销额")
    progress_june = PercentField(label="6月执行进度", help_text="截至6月底的支出占全年预算的比例。")
    progress_september = PercentField(label="9月执行进度", help_text="截至9月底。")
    progress_november = PercentField(label="11月执行进度", help_text="截至11月底。")
    progress_december = PercentField(label="12月执行进度", help_text="截至12月底，即全年执行进度。")
    violation_count = forms.IntegerField(
        label="审计、财政检查发现的问题数",
        required=False,
        min_value=0,
        max_value=32767,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "dept-count", "autocomplete": "off"}),
    )

    def __init__(self, data=None, *, evaluation: DepartmentEvaluation, indicators):
        initial = {"version": evaluation.version}
        for name in EDITABLE_FIELDS:
            value = getattr(evaluation, name)
            if name in RATE_FIELDS and value is not None:
                value = value * HUNDRED
            initial[name] = value if isinstance(value, str) else typed(value)
        super().__init__(data, initial=initial)
        needed = set(inputs_for(indicators))
        for name in INPUT_FIELDS:
            if name not in needed:
                del self.fields[name]
        # Say next to each input which items of the score sheet read it.
        for name in (*BUDGET_FIELDS, *INPUT_FIELDS):
            readers = [i.name for i in indicators if name in FORMULA_INPUTS.get(i.formula, ())]
            if name in self.fields and readers:
                self.fields[name].used_by = "、".join(readers)
        for name in INPUT_FIELDS:
            if name in RATE_FIELDS and name in self.fields:
                self.fields[name].unit = "%"
            elif name.endswith("_wan") and name in self.fields:
                self.fields[name].unit = "万元"
            elif name in self.fields:
                self.fields[name].unit = "个"

    @property
    def budget_fields(self):
        return [self[name] for name in BUDGET_FIELDS]

    @property
    def input_fields(self):
        return [self[name] for name in INPUT_FIELDS if name in self.fields]

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS if name in self.fields}


class ScoreItemForm(forms.Form):
    """The claimed score and note of one line of the sheet; no inputs for an item the department does not score."""

    claimed_score = forms.DecimalField(
        label="自评得分",
        required=False,
        max_digits=7,
        decimal_places=2,
        widget=_number_widget("dept-score"),
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "dept-note"}))

    def __init__(self, data=None, *, line: SheetLine):
        indicator = line.indicator
        super().__init__(
            data, prefix=f"item-{indicator.pk}", initial={"claimed_score": typed(line.claimed), "note": line.note}
        )
        self.indicator = indicator
        if not indicator.self_scored:
            self.fields = {}
            return
        score = self.fields["claimed_score"]
        score.localize = False
        points = typed(indicator.points)
        score.validators += [
            MinValueValidator(Decimal(0), message="得分不能为负数。"),
            MaxValueValidator(indicator.points, message=f"得分不能高于分值 {points} 分。"),
        ]
        if line.is_computable:
            score.label = "调整后得分"
            score.help_text = "留空即采用计算得分；填写与计算得分不同的分数时须在说明中写明理由。"
            self.fields["note"].label = "说明（扣分原因或调整理由）"
        else:
            score.help_text = f"0 至 {points} 分。"
            self.fields["note"].label = "扣分说明"

    def claim(self) -> tuple[Decimal | None, str]:
        return self.cleaned_data.get("claimed_score"), self.cleaned_data.get("note", "")


class DepartmentEditForm:
    """The evaluation form and one ScoreItemForm per line of the sheet, validated and shown as one page."""

    def __init__(self, *, evaluation: DepartmentEvaluation, sheet: Sheet, data=None):
        self.evaluation = evaluation
        self.main = DepartmentEvaluationForm(
            data, evaluation=evaluation, indicators=[ln.indicator for ln in sheet.lines]
        )
        self.items = [ScoreItemForm(data, line=line) for line in sheet.lines]
        self._by_indicator = {form.indicator.pk: form for form in self.items}

    def is_valid(self) -> bool:
        return all([self.main.is_valid(), *(form.is_valid() for form in self.items)])

    @property
    def error_count(self) -> int:
        forms_ = [self.main, *self.items]
        return sum(len(errors) for form in forms_ for errors in form.errors.values())

    @property
    def version(self) -> int:
        return self.main.cleaned_data["version"]

    def values(self) -> dict:
        return self.main.values()

    def claims(self) -> dict[int, tuple[Decimal | None, str]]:
        return {form.indicator.pk: form.claim() for form in self.items if form.fields}

    def rows(self, sheet: Sheet) -> list[tuple[SheetLine, ScoreItemForm]]:
        """Each line of ``sheet`` beside its form, for the template."""
        return [(line, self._by_indicator[line.indicator.pk]) for line in sheet.lines]

    def show_problems(self, problems: list[FieldProblem]) -> None:
        """Put each problem next to its field (on the page-level errors when the field is not on the page)."""
        for problem in problems:
            form = self._by_indicator.get(problem.indicator_id, self.main) if problem.indicator_id else self.main
            where = problem.field if problem.field in form.fields else None
            if where is None:
                form = self.main
            if not hasattr(form, "cleaned_data"):
                # add_error needs cleaned_data; an unbound form (checking the stored record) has none yet.
                form.cleaned_data = {}
            form.add_error(where, problem.message)

    def differences_from(self, evaluation: DepartmentEvaluation, sheet: Sheet) -> list[str]:
        """The fields where this form's valid input differs from ``evaluation`` and its ``sheet`` as stored."""
        labels = [
            str(self.main.fields[name].label)
            for name, value in self.values().items()
            if value != getattr(evaluation, name) and not (value == "" and getattr(evaluation, name) in ("", None))
        ]
        stored = {line.indicator.pk: line for line in sheet.lines}
        for indicator_id, (claimed, note) in self.claims().items():
            line = stored.get(indicator_id)
            if line is None:
                continue
            if claimed != line.claimed:
                labels.append(f"{line.indicator.name}（得分）")
            if (note or "").strip() != line.note.strip():
                labels.append(f"{line.indicator.name}（说明）")
        return labels
