"""Forms of the finance review: the draw, one review (grade, 核查分数 or a total, opinion), reasons."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import BigIntegerField

from accounts.models import Organisation
from evaluations.finance_review.services import RULE_AMOUNT_ABOVE, RULE_DEPARTMENT, RULE_EXCELLENT_LOW_EXECUTION
from evaluations.models import Grade
from evaluations.workflow.versions import whole_number

HUNDRED = Decimal(100)


class DepartmentChoices(forms.ModelMultipleChoiceField):
    """Departments by id. An id that is not a whole number the database can hold is refused before the query
    that checks the ids (issue 15: ``departments=99999999999999999999`` overflowed SQLite's integers, a 500)."""

    def _check_values(self, value):
        for pk in value:
            if whole_number(str(pk)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class DrawForm(forms.Form):
    ratio_percent = forms.DecimalField(
        label="抽查比例（%）", min_value=Decimal(0), max_value=HUNDRED, decimal_places=2, initial=Decimal(30)
    )
    amount_above = forms.DecimalField(
        label="全年预算数超过（万元）必抽",
        required=False,
        min_value=Decimal(0),
        decimal_places=6,
        help_text="留空则不按金额必抽。",
    )
    excellent_low_execution = forms.DecimalField(
        label="自评为优且执行率低于（%）必抽",
        required=False,
        min_value=Decimal(0),
        max_value=HUNDRED,
        decimal_places=2,
        initial=Decimal(90),
    )
    departments = DepartmentChoices(
        label="整个部门必抽",
        required=False,
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    seed = forms.IntegerField(
        label="随机种子",
        required=False,
        min_value=0,
        max_value=BigIntegerField.MAX_BIGINT,  # SpotCheckSample.random_seed
        help_text="留空则由系统生成并记录；填入上次的种子可复现同一抽样。",
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = departments

    def rules(self) -> list[dict]:
        data = self.cleaned_data
        rules = []
        if data.get("amount_above") is not None:
            rules.append({"rule": RULE_AMOUNT_ABOVE, "amount": str(data["amount_above"])})
        if data.get("excellent_low_execution") is not None:
            threshold = data["excellent_low_execution"] / HUNDRED
            rules.append({"rule": RULE_EXCELLENT_LOW_EXECUTION, "threshold": str(threshold)})
        rules += [
            {"rule": RULE_DEPARTMENT, "department_id": d.pk, "department_name": d.name}
            for d in data.get("departments") or []
        ]
        return rules


class ReviewForm(forms.Form):
    grade = forms.ChoiceField(
        label="财政抽查审核结果", choices=[("", "未定"), *Grade.choices], required=False, widget=forms.RadioSelect
    )
    reviewer_total = forms.DecimalField(
        label="核查总分",
        required=False,
        min_value=Decimal(0),
        max_value=HUNDRED,
        decimal_places=2,
        help_text="逐项填写核查分数时自动合计；也可只填总分。",
    )
    opinion_html = forms.CharField(
        label="财政抽查审核意见", required=False, widget=forms.Textarea(attrs={"rows": 12, "data-opinion-editor": ""})
    )


class IndicatorCheckForm(forms.Form):
    checked_score = forms.DecimalField(label="核查分数", required=False, min_value=Decimal(0), decimal_places=2)
    remark = forms.CharField(label="扣分说明", required=False, widget=forms.TextInput)

    def __init__(self, *args, indicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        if indicator.weight is not None:
            self.fields["checked_score"].validators.append(
                MaxValueValidator(indicator.weight, message=f"核查分数不能超过分值 {indicator.weight} 分。")
            )
        self.fields["checked_score"].validators.append(MinValueValidator(Decimal(0)))

    def clean(self):
        cleaned = super().clean()
        score, weight = cleaned.get("checked_score"), self.indicator.weight
        if score is not None and weight is not None and score < weight and not (cleaned.get("remark") or "").strip():
            self.add_error("remark", "核查分数低于分值时请写明扣分原因。")
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
