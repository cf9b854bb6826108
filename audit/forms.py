from django import forms

from accounts.models import Organisation
from accounts.scopes import departments_visible_to
from policy.access import sees_whole_bureau


class ExportForm(forms.Form):
    """The scope of an auditor's export: a year, optionally one department and a date range."""

    year = forms.ModelChoiceField(label="年度", queryset=None, empty_label=None, to_field_name="year")
    department = forms.ModelChoiceField(
        label="主管部门", queryset=Organisation.objects.none(), required=False, empty_label="全部"
    )
    since = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].queryset = years
        if not sees_whole_bureau(user):
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments_visible_to(user)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data
