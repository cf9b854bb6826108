from django import forms

from imports.safety import UnusableWorkbook, check_size


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        allow_empty_file=True,  # refused below with the importer's own message
        help_text="导入模板、项目支出绩效自评表（全国或四川表样）或自评结果汇总表；系统按内容识别。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    year = forms.IntegerField(
        label="导入到年度",
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="留空则取文件标题中的年度（如“（2024年度）”）。",
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        try:
            check_size(uploaded.size)
        except UnusableWorkbook as refused:
            raise forms.ValidationError(refused.message) from None
        if not (uploaded.name or "").lower().endswith((".xlsx", ".xlsm")):
            raise forms.ValidationError("请上传 .xlsx 格式的 Excel 工作簿（旧版 .xls 请先另存为 .xlsx）。")
        return uploaded
