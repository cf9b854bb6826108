"""The project self-evaluation form: header, budget block, indicator grid, conclusion (SPEC §4).

Draft saves accept anything the models can hold; the rules of SPEC §5 are checked on submit
(evaluations/validation.py), so an incomplete form can always be saved.
"""

from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import BigIntegerField

from budgets.models import BudgetLine, Project
from domain import signs
from indicators.models import Indicator, LibraryIndicator, QualitativeLabel, Sign
from indicators.parsing import parse_measure
from policy.scopes import shared_or_own

TEXTAREA = {"rows": 3}


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = list(Project.HEADER_FIELDS)
        widgets = {name: forms.Textarea(attrs=TEXTAREA) for name in Project.NARRATIVE_FIELDS}


def plain_amount(value):
    """An amount as a person types it: 579.83 rather than the stored 579.830000 (at least two decimals)."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


class BudgetLineForm(forms.ModelForm):
    """One fund-source row; the source itself is fixed by the profile and only shown."""

    class Meta:
        model = BudgetLine
        fields = ["initial_wan", "adjusted_wan", "executed_wan"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.initial[name] = plain_amount(self.initial.get(name))
        for field in self.fields.values():
            field.validators.append(MinValueValidator(Decimal(0), message="金额不能为负数。"))
            field.widget.attrs.update({"inputmode": "decimal", "class": "amount"})
            field.localize = False


class FixedBudgetLines(forms.BaseInlineFormSet):
    """The year's profile fixes a project's fund rows: a posted row that is not one of them is refused.

    A forged row id (another project's line) or an extra row appended to the form would otherwise reach the
    save as a line without a primary key (issue 15: a server error from ``bulk_update``).
    """

    def clean(self):
        super().clean()
        if any(form.instance.pk is None and form.has_changed() for form in self.forms):
            raise forms.ValidationError("资金来源行由年度方案确定，不能增加或替换；请刷新页面后重新填写。")


BudgetLineFormSet = forms.inlineformset_factory(
    Project, BudgetLine, form=BudgetLineForm, formset=FixedBudgetLines, extra=0, can_delete=False
)

CATEGORY_SEPARATOR = "|"


def profile_categories(profile):
    """The profile's 一级/二级 taxonomy as (一级, [二级, …]) pairs, read in two queries."""
    return [
        (level1.name, [level2.name for level2 in level1.level2_categories.all()])
        for level1 in profile.level1_categories.prefetch_related("level2_categories")
    ]


def category_choices(categories, extra_values=()):
    """一级/二级 as a grouped select: the value carries both, so the two can never disagree."""
    groups = []
    known = set()
    for level1, level2_names in categories:
        options = []
        for level2 in level2_names:
            value = f"{level1}{CATEGORY_SEPARATOR}{level2}"
            options.append((value, level2))
            known.add(value)
        groups.append((level1, options))
    # Keep categories an import brought in that the profile does not list, so editing loses nothing.
    others = [(v, v.replace(CATEGORY_SEPARATOR, " / ")) for v in dict.fromkeys(extra_values) if v and v not in known]
    if others:
        groups.append(("其他（不在本年度规则中）", others))
    return [("", "请选择一级/二级指标"), *groups]


def _too_big(number: Decimal, text_field: str) -> str:
    """The error for a number read from ``text_field`` that does not fit its numeric column (target_value /
    actual_value) once rounded to the column's places, else "". PostgreSQL refuses a bigger one (issue 15: a
    500 on saving the draft); SQLite would store it."""
    column = Indicator._meta.get_field(text_field.replace("_text", "_value"))
    whole = column.max_digits - column.decimal_places
    limit = Decimal(10) ** whole
    if abs(number) < limit and abs(round(number, column.decimal_places)) < limit:
        return ""
    return f"数值过大，无法保存：整数部分最多 {whole} 位。"


class IndicatorForm(forms.ModelForm):
    category = forms.ChoiceField(label="一级 / 二级指标", required=False)
    # The 指标库 entry the name was picked from (set by the page's script); checked for the whole grid at once.
    library_ref = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Indicator
        fields = [
            "name",
            "library_indicator",
            "sign",
            "target_text",
            "unit",
            "actual_text",
            "actual_label",
            "weight",
            "claimed_score",
            "deviation_reason",
        ]
        widgets = {
            "deviation_reason": forms.Textarea(attrs={"rows": 2}),
            "actual_text": forms.TextInput(),
        }

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["library_ref"].initial = self.instance.library_indicator_id
        current = ""
        if self.instance.pk or self.instance.level1:
            current = f"{self.instance.level1}{CATEGORY_SEPARATOR}{self.instance.level2}"
        posted = self.data.get(self.add_prefix("category"), "") if self.is_bound else ""
        self.fields["category"].choices = category_choices(categories, extra_values=(current, posted))
        self.fields["category"].initial = current
        # The bare symbols fit the grid's narrow column; the select's title explains them.
        self.fields["sign"].choices = [("", "—"), *((value, value) for value in Sign.values)]
        self.fields["sign"].widget.attrs["title"] = "≥、> 正向（越大越好）；≤、< 反向（越小越好）；= 等于；定性"
        self.fields["actual_label"].choices = [("", "—"), *list(QualitativeLabel.choices)]
        for name in ("weight", "claimed_score"):
            self.fields[name].validators.append(MinValueValidator(Decimal(0), message="不能为负数。"))
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "class": "points"})
            self.fields[name].localize = False

    def clean(self):
        cleaned = super().clean()
        category = cleaned.get("category") or ""
        level1, _, level2 = category.partition(CATEGORY_SEPARATOR)
        cleaned["level1"], cleaned["level2"] = level1, level2
        sign = cleaned.get("sign") or ""
        target = parse_measure(cleaned.get("target_text"))
        actual = parse_measure(cleaned.get("actual_text"))
        # "≥95%" typed into the target brings its own sign and unit when the columns were left empty.
        if not sign and target.sign:
            sign = cleaned["sign"] = target.sign
        if not cleaned.get("unit") and target.unit and target.number is not None:
            cleaned["unit"] = target.unit
        if sign == signs.SIGN_QUALITATIVE:
            cleaned["target_value"] = cleaned["actual_value"] = None
        else:
            cleaned["target_value"], cleaned["actual_value"] = target.number, actual.number
            for name, measure in (("target_text", target), ("actual_text", actual)):
                if measure.number is not None and (error := _too_big(measure.number, name)):
                    self.add_error(name, error)
            if cleaned.get("actual_label"):
                self.add_error("actual_label", "只有定性指标才选择完成情况。")
        return cleaned

    def has_content(self) -> bool:
        data = self.cleaned_data
        return any(
            data.get(f) not in (None, "")
            for f in ("category", "name", "target_text", "actual_text", "weight", "claimed_score", "deviation_reason")
        )

    def save(self, commit=True):
        indicator = super().save(commit=False)
        data = self.cleaned_data
        indicator.level1, indicator.level2 = data["level1"], data["level2"]
        indicator.target_value, indicator.actual_value = data["target_value"], data["actual_value"]
        indicator.unit = data.get("unit") or ""
        indicator.library_indicator_id = data.get("library_ref")
        if commit:
            indicator.save()
        return indicator


class KnownRowField(forms.ModelChoiceField):
    """The hidden id of a formset row, resolved from the rows the formset already loaded.

    Django's own field runs one query per row to find the instance again; a 30-row grid would pay 30.
    An id that is not one of this project's rows is refused, as Django would refuse it.
    """

    def __init__(self, *args, rows, **kwargs):
        self.rows = rows
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.rows[int(value)]
        except (KeyError, TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class BaseIndicatorFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, profile, **kwargs):
        self.profile = profile
        # Read once for the whole grid: a 30-row form costs the same queries as a 3-row one.
        self.categories = profile_categories(profile)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "categories": self.categories}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        original = form.fields["id"]
        rows = {row.pk: row for row in self.get_queryset()}
        form.fields["id"] = KnownRowField(
            original.queryset, rows=rows, initial=original.initial, required=False, widget=original.widget
        )

    def clean(self):
        super().clean()
        refs = {f.cleaned_data.get("library_ref") for f in self.forms if getattr(f, "cleaned_data", None)} - {None}
        # An id past the database's integers cannot be one (and overflows the query: issue 15).
        refs = {ref for ref in refs if 0 < ref <= BigIntegerField.MAX_BIGINT}
        library = shared_or_own(LibraryIndicator.objects.all(), self.instance.fiscal_year.finance_bureau_id)
        known = set(library.filter(pk__in=refs).values_list("pk", flat=True)) if refs else set()
        for form in self.forms:
            # A stale or forged library reference is dropped, not an error: the typed name is what counts.
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("library_ref") not in known:
                form.cleaned_data["library_ref"] = None


def indicator_formset_class(extra: int):
    return forms.inlineformset_factory(
        Project,
        Indicator,
        form=IndicatorForm,
        formset=BaseIndicatorFormSet,
        extra=extra,
        can_delete=True,
        can_order=True,
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回原因", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class NewProjectForm(forms.Form):
    fiscal_year = forms.ModelChoiceField(queryset=None, label="年度", empty_label=None)
    name = forms.CharField(label="项目名称", max_length=200)
    code = forms.CharField(label="项目编码", max_length=60, required=False)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].queryset = years


class LibrarySearchForm(forms.Form):
    """The 指标库 picker's query string: what was typed, and the row's category. Text as long as the library's
    own (a longer query matches nothing) and without NUL characters (PostgreSQL refuses them: issue 15)."""

    q = forms.CharField(required=False, max_length=LibraryIndicator._meta.get_field("name").max_length)
    level1 = forms.CharField(required=False, max_length=LibraryIndicator._meta.get_field("level1").max_length)
    level2 = forms.CharField(required=False, max_length=LibraryIndicator._meta.get_field("level2").max_length)
