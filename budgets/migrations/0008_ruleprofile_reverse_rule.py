from django.db import migrations, models

from budgets.profiles import default_reverse_rule


def set_by_layout(apps, schema_editor):
    """Each existing profile gets the 反向 rule its layout implies (national → ratio, Sichuan → linear)."""
    RuleProfile = apps.get_model("budgets", "RuleProfile")
    for layout in RuleProfile.objects.values_list("layout", flat=True).distinct():
        RuleProfile.objects.filter(layout=layout).update(reverse_rule=default_reverse_rule(layout))


class Migration(migrations.Migration):
    dependencies = [("budgets", "0007_ruleprofile_finance_bureau")]

    operations = [
        migrations.AddField(
            model_name="ruleprofile",
            name="reverse_rule",
            field=models.CharField(
                choices=[
                    ("linear", "超出目标线性扣减（至 2 倍目标为 0）"),
                    ("ratio", "目标值 ÷ 实际值 × 分值（财预〔2020〕10号）"),
                ],
                default="ratio",
                help_text=(
                    "反向指标（≤、<）实际完成值高于指标值时的得分：按财预〔2020〕10号为 指标值 ÷ 实际完成值 × 分值"
                    "（全国通用表样的默认）；四川等省级系统按超出部分线性扣减，达到 2 倍指标值为 0 分（四川表样的默认）。"
                ),
                max_length=10,
                verbose_name="反向指标计分规则",
            ),
        ),
        migrations.RunPython(set_by_layout, migrations.RunPython.noop),
    ]
