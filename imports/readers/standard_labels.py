"""The labels of the 项目支出绩效自评表 (national and Sichuan layouts): which field, budget column, fund source and
indicator column each label names, the words that end a grid, and the marks of a title. Labels are compared
after ``imports.readers.sheet.label_key``."""

import re

from domain import signs
from imports.readers.sheet import lookup

NATIONAL, SICHUAN = "national", "sichuan"

# ---- labels (compared after label_key: full width folded, blanks, "(50分)", brackets, "其中：" and ":" removed) ----

# Header and conclusion fields: the value is the next cell to the right, or the text after "：" in the same cell.
FIELD_LABELS = {
    "name": ("项目名称",),
    "code": ("项目编码", "项目代码", "项目编号"),
    "department": ("主管部门", "主管部门名称", "主管单位"),
    "unit": ("实施单位", "预算单位", "项目实施单位", "单位名称"),
    "project_type": ("项目类型", "项目属性"),
    "manager": ("项目负责人",),
    "finance_manager": ("财务负责人",),
    "phone": ("联系电话", "电话"),
    "background": ("设立背景", "项目设立背景", "项目背景", "项目概况"),
    "content": ("项目实施内容及过程概述", "项目实施内容", "实施内容", "项目实施内容及过程"),
    "conclusion": ("评价结论", "自评结论"),
    "problems": ("存在问题", "存在的问题", "主要问题"),
    "improvements": ("改进措施", "改进建议", "下一步改进措施"),
    "summary": ("绩效自评综述", "自评综述"),
    "grade": ("等级", "评价等级", "自评等级", "绩效等级", "自评结果"),
}
# 年度总体目标: the value is below its label (national and Sichuan alike).
GOAL_LABELS = {
    "goal_expected": ("预期目标", "项目年度目标", "年度目标", "年度绩效目标"),
    "goal_actual": ("实际完成情况", "年度目标完成情况", "目标完成情况", "年度目标实际完成情况"),
}
BUDGET_COLUMNS = {
    "initial": ("年初预算数", "年初预算", "年初数", "年初预算金额"),
    "adjusted": ("全年预算数", "调整后预算数", "调整后预算", "全年预算"),
    "executed": ("全年执行数", "预算执行数", "全年执行", "执行数", "实际执行数", "实际支出数"),
    "weight": ("分值", "权重"),
    "rate": ("执行率", "预算执行率"),
    "score": ("得分",),
    "reason": ("原因", "执行率偏低原因", "原因说明", "情况说明", "预算调整理由", "调整理由"),
}
ADJUSTMENT_REASON_LABELS = ("预算调整理由", "调整理由")
TOTAL_FUND_LABELS = ("年度资金总额", "总额", "资金总额", "项目资金总额", "合计", "总计")
# Row labels of the fund sources → the profile's names. 本年财政拨款's variants depend on the layout.
CURRENT_FUNDS = ("本年财政拨款", "当年财政拨款", "财政拨款", "本年", "当年", "财政资金", "本年财政资金", "本级财政资金")
FUND_LABELS = {
    "上年结转资金": ("上年结转资金", "上年结转", "结转资金"),
    "其他资金": ("其他资金",),
    "财政专户管理资金": ("财政专户管理资金", "财政专户资金"),
    "单位资金": ("单位资金", "单位自有资金"),
}
SICHUAN_ONLY_FUNDS = ("财政专户管理资金", "单位资金")
INDICATOR_COLUMNS = {
    "level1": ("一级指标", "一级", "一级指标名称"),
    "level2": ("二级指标", "二级", "二级指标名称"),
    "name": ("三级指标", "三级指标名称", "指标名称", "三级"),
    "sign": ("指标性质",),
    "target": ("年度指标值", "指标值", "年度目标值", "目标值", "预期指标值", "计划指标值"),
    "unit": ("度量单位", "计量单位", "单位"),
    "actual": ("实际完成值", "完成值", "全年实际值", "实际值", "实际完成指标值"),
    "weight": ("分值", "权重"),
    "score": ("得分",),
    "reason": ("偏差原因分析及改进措施", "未完成原因分析", "偏差原因分析", "偏差原因", "未完成原因", "原因分析"),
}
GRID_TOTAL_LABELS = ("总分", "合计", "总计", "得分合计", "合计得分")
# Labels that end an indicator grid even where the table has no 总分 row.
GRID_END_LABELS = GRID_TOTAL_LABELS + tuple(
    label
    for key in ("conclusion", "problems", "improvements", "summary", "grade", "manager", "finance_manager", "phone")
    for label in FIELD_LABELS[key]
)

SIGN_WORDINGS = {"正向": signs.SIGN_GE, "正向指标": signs.SIGN_GE, "反向": signs.SIGN_LE}
SIGN_WORDINGS |= {"反向指标": signs.SIGN_LE, "定性指标": signs.SIGN_QUALITATIVE}

TITLE_MARK = "项目支出绩效自评表"
SICHUAN_TITLE_MARK = "部门预算项目支出"
TITLE_YEAR = re.compile(r"(20\d{2})年度")
YEAR_ROW = re.compile(r"^\(?(20\d{2})年度?\)?$")
TITLE_WINDOW = 4  # non-blank rows above 项目名称 searched for the title and its year
# "51090422T000005836329-人才发展资金": the Sichuan form prefixes the name with the project code.
CODE_PREFIX = re.compile(r"^(?=[0-9A-Za-z]*\d)([0-9A-Za-z]{6,})\s*[-－—–_]\s*(\S.*)$", re.S)
LEADING_SIGN = re.compile(r"^(>=|<=|[≥≤≧≦><=])")
# The forms' printed instructions, which are not the unit's text (see SICHUAN_*_HINT in
# evaluations.reports.project_table): matched after blanks are removed. A text that reads as an instruction is
# imported as empty, with a note in the preview. One line per wording; a unit's own sentence ("针对存在的问题，我单位
# 将……") never matches, as each pattern ends where an instruction ends.
FORM_HINTS = (
    re.compile(r"对照年度目标.{0,6}说明.{0,12}完成情况"),
    re.compile(r"预算执行率=预算执行数/调整后预算数"),
    re.compile(r"预算执行率未达到\d+%的需说明原因"),
    re.compile(r"年中发生预算调整的.{0,12}应单独说明理由"),
    # A word limit is only ever printed by the form: "（100字以内）", "(不超过200字)".
    re.compile(r"[（(](限|不超过)?\d+字(以内|以下)?[)）]"),
    # 评价结论: "结合自评情况，说明项目自评总分、等级及评价结论"
    # The wordings below hold no figure (?!.*\d): a unit's own conclusion always names one.
    re.compile(
        r"^(?!.*\d)结合(自评|评价)?(情况|结果)[，,]?(简要|如实)?(说明|总结|分析)[^。]{0,20}(总分|等级|结论|得分)[^。]{0,10}[。.]?$"
    ),
    # 存在问题: "说明项目实施中存在的主要问题", "简要分析存在的问题及原因"
    re.compile(
        r"^(?!.*\d)(简要|逐条|逐项)?(说明|列出|列明|分析|总结|填写)(项目)?[^。]{0,12}(存在的?|主要)(主要)?(问题|不足)"
        r"(及其?原因|和原因)?[。.]?$"
    ),
    # 改进措施: "针对存在的问题，提出改进措施", "根据存在问题提出下一步改进措施及建议"
    re.compile(
        r"^(?!.*\d)(针对|根据)(上述|存在的?|发现的)(主要)?问题[，,]?(提出|说明|制定)[^。]{0,16}(措施|建议|意见)[。.]?$"
    ),
    # 绩效自评综述 / 项目概况: "简要说明项目……情况" left as printed
    re.compile(r"^(?!.*\d)(请)?(简要|概括)(说明|描述|介绍)[^。]{0,24}(情况|内容|过程)[。.]?$"),
)


FIELD_BY_LABEL = lookup(FIELD_LABELS)
GOAL_BY_LABEL = lookup(GOAL_LABELS)
BUDGET_BY_LABEL = lookup(BUDGET_COLUMNS)
INDICATOR_BY_LABEL = lookup(INDICATOR_COLUMNS)
FUND_BY_LABEL = lookup(FUND_LABELS)
KNOWN_LABELS = (
    set(FIELD_BY_LABEL) | set(GOAL_BY_LABEL) | set(BUDGET_BY_LABEL) | set(INDICATOR_BY_LABEL) | {"项目基本情况"}
)
