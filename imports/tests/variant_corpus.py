"""Variant 项目支出绩效自评表 workbooks for the import fuzz (issue 16), built with a seeded ``random.Random``.

Each table is written in the national (seed 001) or the Sichuan (seed 004) layout, with what units and other
localities vary: title wordings and years, label variants in full and half width, merged or unmerged category
cells, the value columns in another order, one or two tables per sheet and several sheets, the form's
instructions and placeholders left in, empty 二级 rows, unsigned targets, signs in words, a missing 主管部门 or
weight, an odd 总分 row, a table cut off before its grid, and garbage in random cells.

A ``TableSpec`` says what was written and whether the table is *clean*: nothing that may refuse it or change what
it holds (no garbage, no cut, a name, a readable total). A clean table must be read, with exactly its indicators.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell

NATIONAL, SICHUAN = "national", "sichuan"


@dataclass
class TableSpec:
    layout: str
    sheet: str
    row: int  # the first row written
    name: str  # the 项目名称 the reader should find ("" when left out)
    year: int | None  # the year the title states
    indicators: list[str] = field(default_factory=list)  # the real indicators, in order
    tags: list[str] = field(default_factory=list)  # the variants applied, for messages
    clean: bool = True


# ---- wordings ------------------------------------------------------------------------------------------------

NAMES = ("就业补助资金", "人才发展资金", "人事档案管理费", "农村公路养护资金", "老字号", "职业技能提升行动", "社保经办")
DEPARTMENTS = ("烈山区人社局", "遂宁市安居区人力资源和社会保障局", "某县交通运输局", "某市教育局")
UNITS = ("烈山区就业服务中心", "遂宁市安居区人事考试中心", "某县公路管理所", None)
NATIONAL_TITLES = (
    ("项目支出绩效自评表", "（{year}年度）"),
    ("项目支出绩效自评表", "({year}年度)"),
    ("项目支出绩效自评表（{year}年度）", None),
    ("{year}年度项目支出绩效自评表", None),
    ("项目支出绩效自评表 ", None),
    ("附表2：项目支出绩效自评表", "（{year}年度）"),
    ("项 目 支 出 绩 效 自 评 表", "（ {year}年度 ）"),
    (None, None),
)
SICHUAN_TITLES = (
    ("部门预算项目支出绩效自评表（{year}年度）", None),
    ("部门预算项目支出绩效自评表({year}年度)", None),
    ("{year}年度部门预算项目支出绩效自评表", None),
    ("部门预算项目支出绩效自评表", "（{year}年度）"),
    ("部门预算项目支出绩效自评表", None),
    (None, None),
)
NAME_LABELS = ("项目名称", "项目名称：", "项目名称:", " 项目名称 ", "项目名称（全称）")
DEPARTMENT_LABELS = ("主管部门", "主管部门名称", "主管单位", "主管部门：")
UNIT_LABELS = ("实施单位", "预算单位", "项目实施单位", "实施单位（盖章）", "实施单位 (盖章)", "单位名称")
BUDGET_LABELS = {
    "initial": ("年初预算数", "年初预算", "年初数", "年初预算数（万元）"),
    "adjusted": ("全年预算数（A）", "全年预算数(A)", "调整后预算数", "全年预算", "全年预算数（Ａ）"),
    "executed": ("全年执行数（B）", "全年执行数(B)", "预算执行数", "实际支出数", "全年执行数"),
    "weight": ("分值", "权重"),
    "rate": ("执行率（B/A）", "执行率(B/A)", "执行率（B/A)", "预算执行率", "执行率（Ｂ／Ａ）"),
    "score": ("得分",),
    "reason": ("原因", "执行率偏低原因", "原因说明"),
}
FUND_LABELS = {
    NATIONAL: (
        ("年度资金总额", "年度资金总额：", "资金总额", "年度资金总额:"),
        ("其中：本年财政拨款", "其中:当年财政拨款", "  本年财政拨款", "财政拨款", " 其中：本年财政拨款"),
        ("上年结转资金", "   上年结转", "结转资金", "上年结转资金 "),
        ("其他资金", "       其他资金"),
    ),
    SICHUAN: (
        ("总额", "年度资金总额"),
        ("其中：财政资金", "财政资金", "本级财政资金", "其中:财政资金"),
        ("财政专户管理资金", "财政专户资金"),
        ("单位资金", "单位自有资金"),
        ("其他资金",),
    ),
}
GRID_LABELS = {
    "level1": ("一级指标", "一级\n指标", "一级", "一级指标名称"),
    "level2": ("二级指标", "二级\n指标", "二级"),
    "name": ("三级指标", "指标名称", "三级指标名称"),
    "sign": ("指标性质",),
    "target": ("年度指标值", "指标值", "年度目标值", "预期指标值", "年度指标值（A）"),
    "unit": ("度量单位", "计量单位"),
    "actual": ("实际完成值", "完成值", "实际值", "实际完成值（B）", "全年实际值"),
    "weight": ("分值", "权重"),
    "score": ("得分",),
    "reason": ("偏差原因分析及改进措施", "未完成原因分析", "偏差原因分析", "原因分析", "偏差原因"),
}
# The value columns right of 三级指标, in the orders the forms print them.
NATIONAL_ORDERS = (
    ("target", "actual", "weight", "score", "reason"),
    ("weight", "target", "actual", "score", "reason"),
    ("target", "actual", "score", "weight", "reason"),
    ("target", "actual", "weight", "score"),
)
SICHUAN_ORDERS = (
    ("sign", "target", "unit", "actual", "weight", "score", "reason"),
    ("sign", "target", "actual", "unit", "weight", "score", "reason"),
    ("weight", "sign", "target", "unit", "actual", "score", "reason"),
)
LEVEL1_POINTS = {"产出指标": 50, "效益指标": 30, "成本指标": 20, "满意度指标": 10}
# A quantitative indicator: (一级, 二级, 三级, target, unit, actual, reverse)
QUANTITATIVE = (
    ("产出指标", "数量指标", "培训人数", 950, "人", 960, False),
    ("产出指标", "数量指标", "新增人事档案", 1500, "份", 1620, False),
    ("产出指标", "质量指标", "培训合格率", 95, "%", 98, False),
    ("产出指标", "时效指标", "资金拨付及时率", 100, "%", 100, False),
    ("产出指标", "时效指标", "项目完成时间", 1, "年", 1, True),
    ("产出指标", "成本指标", "人均培训成本", 1500, "元", 1420, True),
    ("效益指标", "社会效益指标", "带动就业人数", 50, "人", 56, False),
    ("效益指标", "经济效益指标", "增加收入", "20.5", "万元", 18, False),
    ("满意度指标", "服务对象满意度指标", "学员满意度", 90, "%", 93, False),
)
SICHUAN_COSTS = (("成本指标", "经济成本指标", "档案邮寄费", "0.6", "万元", "0.55", True),)
QUALITATIVE = (
    ("效益指标", "社会效益指标", "政策知晓度", "较高", "达成年度指标"),
    ("效益指标", "可持续影响指标", "长效机制", "持续发挥作用", "部分达成"),
    ("效益指标", "生态效益指标", "环境改善", "明显改善", "基本达成"),
    ("效益指标", "社会效益指标", "查询档案更方便快捷", "有效提升", "达成预期指标"),
)
# The form's own leftovers: a placeholder name and nothing else.
PLACEHOLDER_NAMES = ("指标1", "指标2：/", "……", "/", "…", "三级指标3", "", "——")
# Printed instructions (imports.readers.standard_labels.FORM_HINTS) and a unit's own sentences.
INSTRUCTIONS = (
    "结合自评情况，说明项目自评总分、等级及评价结论。",
    "说明项目实施中存在的主要问题",
    "针对存在的问题，提出改进措施",
    "对照年度目标，说明相关任务目标的完成情况（100字以内）",
    "（限200字）",
    "简要说明项目实施情况",
    "预算执行率=预算执行数/调整后预算数",
    "预算执行率未达到90%的需说明原因",
)
OWN_TEXTS = (
    "项目完成良好，自评得分 95 分。",
    "针对存在的问题，我单位将加强巡查，建立台账。",
    "存在问题：部分路段养护不及时。",
    "无",
    "/",
)
# Garbage for random cells: text, huge and negative numbers, formulas (as text and as formulas without a cached
# value, which read as empty), dates, booleans, labels in the wrong place.
GARBAGE = (
    "随便写点什么",
    "????",
    "=SUM(A1)",
    "@SUM(A1)",
    "1e999999",
    "NaN",
    "１２３.４５",
    "≥=5",
    "==1",
    10**20,
    1e300,
    -5,
    -0.5,
    "-12.5",
    0,
    True,
    False,
    datetime(2021, 5, 1, 8, 30),
    date(2021, 12, 31),
    "长" * 400,
    " ",
    "#DIV/0!",
    "项目名称",
    "一级指标",
    "总分",
    "合计：",
    "优",
    "主管部门：",
    "年度资金总额",
    "其中：",
    "\n\n",
    "100%%",
    "≥",
    "定性",
)
# 总分 / 合计 rows: (label, weight cell, score cell, reason cell, clean)
TOTALS = (
    ("总分", 100, 95, None, True),
    ("总分", "100", "95.5", None, True),
    ("合计", 100, "95分", None, True),
    ("总分：95", None, None, None, True),
    ("总  分", None, None, "优", True),
    ("合计", None, None, None, True),
    ("总分", "/", "/", None, True),
    ("总分", 100, "九十五", None, False),
    ("总分", "100/95", "95（良）", None, False),
    ("合计得分", -100, -95, None, False),
    ("得分合计", None, "=SUM(H10:H20)", None, True),
)


class Writer:
    """Writes one table from ``row`` down; ``merge`` decides whether spans are merged or left as single cells."""

    def __init__(self, ws, row: int, *, merge: bool):
        self.ws = ws
        self.row = row
        self.merge = merge

    def put(self, column: int, value, *, span: int = 1, rowspan: int = 1, row: int | None = None, fmt: str = ""):
        row = self.row if row is None else row
        cell = self.ws.cell(row=row, column=column)
        if isinstance(cell, MergedCell):
            return self  # covered by an earlier range: the value would be lost anyway
        set_value(cell, value)
        if fmt:
            cell.number_format = fmt
        if self.merge and (span > 1 or rowspan > 1):
            self.ws.merge_cells(
                start_row=row, start_column=column, end_row=row + rowspan - 1, end_column=column + span - 1
            )
        return self

    def next(self, rows: int = 1):
        self.row += rows
        return self


def set_value(cell, value):
    """Write ``value``; a text starting with "=" stays text (as a user's "=SUM(A1)" typed after a quote)."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


# ---- one table ------------------------------------------------------------------------------------------------


class TableBuilder:
    def __init__(self, rng: random.Random, ws, top: int, *, layout: str, number: int, clean_only: bool = False):
        self.rng = rng
        self.ws = ws
        self.layout = layout
        self.sichuan = layout == SICHUAN
        self.width = 11 if self.sichuan else 9
        self.w = Writer(ws, top, merge=rng.random() < 0.8)
        self.year = rng.choice((2019, 2021, 2023, 2024))
        self.clean_only = clean_only
        name = f"{rng.choice(NAMES)}{number}号"
        self.spec = TableSpec(layout=layout, sheet=ws.title, row=top, name=name, year=None)
        if not self.w.merge:
            self.tag("unmerged")

    def tag(self, text: str, *, clean: bool = True):
        self.spec.tags.append(text)
        if not clean:
            self.spec.clean = False

    def chance(self, p: float) -> bool:
        return not self.clean_only and self.rng.random() < p

    def pick(self, options):
        return self.rng.choice(options)

    def build(self) -> TableSpec:
        self._title()
        self._header()
        cut = self.chance(0.06) and self.pick(("header", "budget", "grid header"))
        if cut == "header":
            self.tag("cut after the header", clean=False)
            return self._finish()
        self._budget()
        self._goals()
        if cut == "budget":
            self.tag("cut after the budget", clean=False)
            return self._finish()
        self._grid(cut_after_header=cut == "grid header")
        if cut != "grid header":
            self._conclusion()
        return self._finish()

    def _finish(self) -> TableSpec:
        first, last = self.spec.row, self.w.row - 1
        if self.chance(0.25):
            for _ in range(self.rng.randint(1, 3)):
                self._garbage(first, last)
        return self.spec

    def _garbage(self, first: int, last: int):
        if last < first:
            return
        row, column = self.rng.randint(first, last), self.rng.randint(1, self.width)
        cell = self.ws.cell(row=row, column=column)
        if isinstance(cell, MergedCell):
            return
        value = self.pick(GARBAGE)
        if value == "=SUM(A1)" and self.rng.random() < 0.5:
            cell.value = value  # a real formula: saved without a cached value, it reads as empty
        else:
            set_value(cell, value)
        self.tag(f"garbage {value!r:.20} at {cell.coordinate}", clean=False)

    # ---- title and header fields ----

    def _title(self):
        first, second = self.pick(SICHUAN_TITLES if self.sichuan else NATIONAL_TITLES)
        if first is None:
            self.tag("untitled")
            return
        year_in = "{year}" in first or (second is not None and "{year}" in second)
        self.spec.year = self.year if year_in else None
        self.w.put(1, first.format(year=self.year), span=self.width).next()
        if second:
            self.w.put(1, second.format(year=self.year), span=self.width).next()
        if self.chance(0.3):
            self.w.next()  # a blank spacer under the title
        self.tag(f"title {first!r}")

    def _header(self):
        w, sichuan = self.w, self.sichuan
        label = self.pick(NAME_LABELS)
        name = self.spec.name
        if self.chance(0.04):
            name = self.pick(("", "/", None))
            self.spec.name = ""
            self.tag("no project name", clean=False)
        code = f"51090423T0000{self.rng.randint(10**7, 10**8 - 1)}"
        if sichuan and name and self.rng.random() < 0.3:
            written = f"{code}-{name}"  # the code prefixed, as seed 004 writes it
            self.tag("code prefixed")
        else:
            written = name
        if self.rng.random() < 0.15 and name:
            w.put(1, f"{label.strip().rstrip('：:')}：{written}", span=self.width).next()
            self.tag("name inline")
        elif sichuan:
            w.put(1, label).put(2, written, span=4)
            if self.rng.random() < 0.6:
                w.put(6, self.pick(("项目编码", "项目代码", "项目编号"))).put(7, code, span=self.width - 6)
            w.next()
        else:
            w.put(1, label).put(2, written, span=self.width - 1).next()
        department = self.pick(DEPARTMENTS)
        unit = self.pick(UNITS)
        if self.chance(0.12):
            department = None
            unit = unit or self.pick(UNITS[:3])
            self.tag("no 主管部门")
        half = 3 if not sichuan else 4
        if self.chance(0.05):
            self.tag("no 主管部门 row")
        else:
            w.put(1, self.pick(DEPARTMENT_LABELS)).put(2, department, span=half)
            w.put(2 + half, self.pick(UNIT_LABELS)).put(3 + half, unit, span=self.width - 2 - half).next()
        if sichuan and self.rng.random() < 0.7:
            w.put(1, "项目类型").put(2, self.pick(("常年项目", "一次性项目", "其他", "/")), span=self.width - 1).next()
        if not sichuan and self.rng.random() < 0.4:
            w.put(1, "项目负责人").put(2, "张三", span=3).put(5, self.pick(("联系电话", "电话")))
            w.put(6, self.pick(("0561-3012345", 13800000000, "/")), span=self.width - 5).next()

    # ---- 项目资金 / 预算执行情况 ----

    def _budget(self):
        w, sichuan = self.w, self.sichuan
        if self.chance(0.05):
            self.tag("no budget block")
            return
        if sichuan:
            order = self.pick((("initial", "adjusted", "executed", "rate", "weight", "score", "reason"),))
        else:
            order = self.pick(
                (
                    ("initial", "adjusted", "executed", "weight", "rate", "score"),
                    ("initial", "adjusted", "executed", "rate", "weight", "score"),
                    ("adjusted", "executed", "weight", "rate", "score"),
                )
            )
        if order[0] != "initial":
            self.tag("no 年初预算数 column")
        funds = FUND_LABELS[self.layout]
        rows = [funds[0], *(f for f in funds[1:] if f is funds[1] or self.rng.random() < 0.8)]
        heading = (
            "预算执行情况（10分）"
            if sichuan
            else self.pick(("项目资金（万元）", "项目资金\n（万元）", "项目资金(万元)"))
        )
        w.put(1, heading, rowspan=len(rows) + 1)
        header = self.pick(("年度预算数（万元）", None)) if sichuan else None
        w.put(2, header)
        columns = {}
        for n, key in enumerate(order, 3):
            columns[key] = n
            w.put(n, self.pick(BUDGET_LABELS[key]))
        w.next()
        adjusted = Decimal(self.rng.randint(10, 2000)) + Decimal(self.rng.randint(0, 99)) / 100
        executed = (adjusted * Decimal(self.rng.randint(60, 100)) / 100).quantize(Decimal("0.01"))
        reason = None
        if "reason" in columns:
            reason = self.pick(("年中追加经费，年底部分合同尚未结算。", INSTRUCTIONS[7], "/", None))
        for n, labels in enumerate(rows):
            w.put(2, self.pick(labels))
            share = Decimal(1) if n in (0, 1) else Decimal(0)
            amounts = {"initial": adjusted * share, "adjusted": adjusted * share, "executed": executed * share}
            for key, value in amounts.items():
                if key in columns:
                    w.put(columns[key], self._amount(value if n < 2 else self.pick((value, None, "/", "0.00"))))
            rate = f"{executed / adjusted * 100:.2f}%" if n < 2 else self.pick(("0.00%", "/", None))
            if "rate" in columns and (n == 0 or sichuan):
                w.put(columns["rate"], self.pick((rate, float(executed / adjusted))) if n < 2 else rate)
                if n == 0 and self.rng.random() < 0.3:
                    w.ws.cell(row=w.row, column=columns["rate"]).number_format = "0.00%"
            if n == 0:
                w.put(columns["weight"], self.pick((10, "10", "10分")) if not self.chance(0.1) else None)
                w.put(columns["score"], self.pick((10, "9.5", "１０", 100)))
                if reason is not None:
                    w.put(columns["reason"], reason, rowspan=len(rows))
            elif sichuan:
                w.put(columns["weight"], "/").put(columns["score"], "/")
            w.next()
        if self.rng.random() < 0.3:
            w.next()  # a blank spacer row

    def _amount(self, value):
        if value is None or isinstance(value, str):
            return value
        return self.pick((float(value), f"{value:.2f}", f"{value:,.2f}", f"{value:.2f}万元", str(value)))

    # ---- 年度总体目标 ----

    def _goals(self):
        w, half = self.w, (self.width - 1) // 2
        if self.chance(0.1):
            self.tag("no goals")
            return
        if self.sichuan:
            w.put(1, "项目基本情况", rowspan=2).put(2, "项目年度目标", span=half).put(
                2 + half, "年度目标完成情况", span=half
            )
        else:
            w.put(1, "年度总体目标", rowspan=2).put(2, "预期目标", span=half).put(2 + half, "实际完成情况", span=half)
        w.next()
        actual = self.pick(("全年完成 1170 人。", INSTRUCTIONS[3], "/", None))
        w.put(2, "帮助 1000 名失业人员再就业。", span=half).put(2 + half, actual, span=half).next()

    # ---- 年度绩效指标 ----

    def _grid(self, *, cut_after_header: bool):
        w, rng, sichuan = self.w, self.rng, self.sichuan
        heading_column = rng.random() < 0.85
        first = 2 if heading_column else 1
        order = self.pick(SICHUAN_ORDERS if sichuan else NATIONAL_ORDERS)
        if order != (SICHUAN_ORDERS if sichuan else NATIONAL_ORDERS)[0]:
            self.tag(f"grid order {'/'.join(order)}")
        keys = ("level1", "level2", "name", *order)
        columns = {key: n for n, key in enumerate(keys, first)}
        header = w.row
        for key, column in columns.items():
            w.put(column, self.pick(GRID_LABELS[key]))
        w.next()
        if cut_after_header:
            self.tag("cut after the grid header", clean=False)
            return
        rows = self._grid_rows()
        by_level1: list[list[dict]] = []
        for row in rows:
            if by_level1 and by_level1[-1][0]["level1"] == row["level1"]:
                by_level1[-1].append(row)
            else:
                by_level1.append([row])
        category_style = (
            self.pick(("merged", "repeated", "first only")) if w.merge else self.pick(("repeated", "first only"))
        )
        self.tag(f"categories {category_style}")
        for group in by_level1:
            level1 = self._level1_label(group[0]["level1"])
            for n, row in enumerate(group):
                if n == 0 or category_style == "repeated":
                    span = len(group) if category_style == "merged" and n == 0 else 1
                    w.put(columns["level1"], level1, rowspan=span)
                for key in ("level2", "name", *order):
                    if key in row:
                        w.put(columns[key], row[key])
                if row.get("percent_actual") and "actual" in columns:
                    w.ws.cell(row=w.row, column=columns["actual"]).number_format = "0%"
                w.next()
        total_label, weight, score, reason, clean = self.pick(TOTALS)
        if not self.chance(0.1):
            label_span = columns["name"] - 1 + 1
            w.put(1, total_label, span=label_span if columns["name"] > 1 else 1)
            if "weight" in columns and columns["weight"] > label_span:
                w.put(columns["weight"], weight)
            if "score" in columns and columns["score"] > label_span:
                w.put(columns["score"], score)
            if "reason" in columns and columns["reason"] > label_span:
                w.put(columns["reason"], reason)
            w.next()
            self.tag(f"total {total_label!r} {weight!r} {score!r}", clean=clean)
        else:
            self.tag("no total row")
        if heading_column and w.merge:
            w.put(1, self.pick(("年度绩效指标", "绩效指标（90分）", "绩\n效\n指\n标")), row=header)
            self.ws.merge_cells(start_row=header, start_column=1, end_row=w.row - 2, end_column=1)
        elif heading_column:
            w.put(1, self.pick(("年度绩效指标", "绩效指标")), row=header)

    def _level1_label(self, level1: str) -> str:
        points = LEVEL1_POINTS[level1]
        return self.pick(
            (
                level1,
                "\n".join(level1),
                f"{level1}（{points}分）",
                f"{level1}({points}分)",
                "\n".join(level1) + f"\n（{points}分）",
            )
        )

    def _grid_rows(self) -> list[dict]:
        """The grid's rows, grouped by 一级 in the form's order, with placeholders and empty 二级 rows mixed in."""
        rng = self.rng
        pool = list(QUANTITATIVE) + (list(SICHUAN_COSTS) if self.sichuan else [])
        chosen = rng.sample(pool, rng.randint(1, 5))
        chosen += rng.sample(QUALITATIVE, rng.randint(0, 2))
        # Up to 20 rows, as the largest published tables have: the fuzz is about shapes, not sizes.
        level1_order = list(LEVEL1_POINTS)
        chosen.sort(key=lambda i: level1_order.index(i[0]))
        rows = []
        for item in chosen:
            if self.chance(0.15):
                rows.append(self._placeholder_row(item[0], item[1]))
            rows.append(self._indicator_row(item))
        if self.chance(0.3):
            level1, level2 = self.pick((("效益指标", "经济效益指标"), ("效益指标", "生态效益指标")))
            rows.append({"level1": level1, "level2": level2})
            self.tag("an empty 二级 row")
        rows.sort(key=lambda r: level1_order.index(r["level1"]))
        return rows

    def _placeholder_row(self, level1: str, level2: str) -> dict:
        name = self.pick(PLACEHOLDER_NAMES)
        self.tag(f"placeholder {name!r}")
        row = {"level1": level1, "level2": level2, "name": name}
        if self.rng.random() < 0.3:
            row |= {"target": "", "actual": "/", "score": None, "reason": "/"}
        return row

    def _indicator_row(self, item) -> dict:
        rng = self.rng
        weight = rng.choice((5, 10, 15, 20, 25, 30))
        score = self.pick((weight, weight - 1, f"{weight - 0.6:.1f}", str(weight), f"{weight}分"))
        if self.chance(0.08):
            weight = self.pick((None, "/"))
            self.tag("missing weight")
        row = {"level1": item[0], "level2": item[1], "name": item[2], "weight": weight, "score": score}
        self.spec.indicators.append(item[2])
        row["reason"] = self.pick(("", "/", "个别学员未通过考核", "存在问题：个别档案缺页", INSTRUCTIONS[1], None))
        if len(item) == 5:  # 定性
            _, _, _, target, actual = item
            row |= {"target": target, "actual": actual, "sign": self.pick(("定性", "定性指标", "", "/"))}
            return row
        _, _, _, number, unit, actual, reverse = item
        ge, le = ("≤", "≥") if reverse else ("≥", "≤")
        if self.sichuan:
            sign_words = ("反向指标", "反向") if reverse else ("正向指标", "正向")
            row["sign"] = self.pick(
                (
                    ge,
                    ge.replace("≥", ">=").replace("≤", "<="),
                    "＞" if not reverse else "＜",
                    *sign_words,
                    "定量",
                    "",
                    "=",
                )
            )
            row["target"] = self.pick((number, str(number), f"{number}{unit}", f"{ge}{number}"))
            row["unit"] = self.pick((unit, "", "/"))
            row["actual"] = self.pick((actual, str(actual), f"{actual}{unit}"))
            return row
        full_width = str(number).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
        row["target"] = self.pick(
            (
                f"{ge}{number}{unit}",
                f"{ge}{number}",
                f"{ge}{full_width}{unit}",
                f">={number}{unit}",
                f"{number}{unit}",  # unsigned
                str(number),
                number,
                f"{'不高于' if reverse else '不低于'}{number}{unit}",  # the sign in words
                f"{le}{number}{unit}",
            )
        )
        if unit == "%" and self.rng.random() < 0.3:
            row |= {"actual": float(actual) / 100, "percent_actual": True}
        else:
            row["actual"] = self.pick((f"{actual}{unit}", actual, str(actual), "达成年度指标"))
        return row

    # ---- 评价结论 and signatures ----

    def _conclusion(self):
        w, sichuan = self.w, self.sichuan
        labels = ["评价结论", "存在问题", "改进措施"] if sichuan or self.rng.random() < 0.4 else []
        if not sichuan and self.rng.random() < 0.3:
            labels.append(self.pick(("等级", "自评等级", "评价等级")))
        for label in labels:
            if label.endswith("等级"):
                text = self.pick(("优", "良", "A", "/"))
            else:
                text = self.pick((*OWN_TEXTS, *INSTRUCTIONS[:5]))
            if self.rng.random() < 0.2:
                w.put(1, f"{label}：{text}", span=self.width).next()
            else:
                w.put(1, label).put(2, text, span=self.width - 1).next()
        if sichuan and self.rng.random() < 0.7:
            w.put(1, self.pick(("项目负责人：贺小琴", "项目负责人:贺小琴", "项目负责人：")))
            w.put(6, self.pick(("财务负责人：王双", "财务负责人："))).next()


# ---- workbooks ------------------------------------------------------------------------------------------------


def variant_workbook(rng: random.Random, *, tables: int, first_number: int = 0, clean_only: bool = False):
    """A workbook of ``tables`` generated tables over one to three sheets (one or two a sheet), sometimes beside a
    sheet without any table; returns the workbook and the TableSpec of each table, in sheet and row order."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    specs: list[TableSpec] = []
    if rng.random() < 0.15:
        notes = workbook.create_sheet("说明")
        notes.append([f"关于{rng.choice((2021, 2024))}年度预算绩效情况说明"])
        notes.append(["序号", "项目名称", "自评结果"])  # a 项目名称 column, but no table
        notes.append([1, "某项目", "优"])
    number, sheet_number = first_number, 0
    while len(specs) < tables:
        sheet_number += 1
        ws = workbook.create_sheet(rng.choice(("自评表", "表", "Sheet", "项目")) + str(sheet_number))
        top = rng.randint(1, 3)
        for _ in range(min(rng.choice((1, 1, 2)), tables - len(specs))):
            layout = rng.choice((NATIONAL, SICHUAN))
            spec = TableBuilder(rng, ws, top, layout=layout, number=number, clean_only=clean_only).build()
            specs.append(spec)
            number += 1
            top = ws.max_row + rng.randint(1, 3)
    return workbook, specs


def variant_corpus(seed, *, tables: int, per_workbook: tuple[int, int] = (1, 4)):
    """Workbooks holding ``tables`` generated tables in all, each with its specs: (workbook, specs)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible test corpus, not a secret
    written = 0
    while written < tables:
        count = min(rng.randint(*per_workbook), tables - written)
        workbook, specs = variant_workbook(rng, tables=count, first_number=written)
        written += count
        yield workbook, specs
