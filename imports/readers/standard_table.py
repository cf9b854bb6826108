"""The 项目支出绩效自评表 itself (SPEC §10, kind "standard"): every table of a workbook, found by its labels.

Two layouts are read, one or many tables per sheet, many sheets per workbook:

* national (seed 001): 项目支出绩效自评表 / （2024年度）, 项目名称, 主管部门, 实施单位, the 项目资金（万元） block
  (年初预算数 / 全年预算数（A） / 全年执行数（B） / 分值 / 执行率（B/A） / 得分), 年度总体目标 (预期目标 /
  实际完成情况), the 年度绩效指标 grid (一级 / 二级 / 三级 / 年度指标值 / 实际完成值 / 分值 / 得分 / 偏差原因分析及
  改进措施) and 总分;
* Sichuan (seed 004): 部门预算项目支出绩效自评表（2023年度）, 项目名称 with its 项目编码, the 预算执行情况（10分）
  block (年初预算 / 调整后预算数 / 预算执行数 / 预算执行率 / 权重 / 得分 / 原因), 项目年度目标 / 年度目标完成情况,
  the 绩效指标（90分） grid with 指标性质 and 度量单位, 合计, 评价结论 / 存在问题 / 改进措施, 项目负责人：… .

A table starts at a 项目名称 label (its title, when it has one, is looked for in the rows just above) and runs to
the next table. Columns are found by their header labels, rows by their row labels; nothing depends on a cell
address. Values are kept as written: numbers are parsed (text, full width, "100.00%") but never corrected.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain import scoring
from imports.grid import normalise_label
from imports.readers.sheet import EMPTY_TEXTS, LabelledSheet, label_key, lookup
from imports.records import ERROR, WARNING, FundRecord, IndicatorRecord, ProjectRecord, ReadResult
from indicators.parsing import clean_text, is_placeholder, parse_decimal, parse_measure, qualitative_label_from_text

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

GRADES = (scoring.GRADE_EXCELLENT, scoring.GRADE_GOOD, scoring.GRADE_FAIR, scoring.GRADE_POOR)
GRADE_WORDINGS = {"优秀": "优", "良好": "良", "中等": "中", "合格": "中", "较差": "差", "不合格": "差"}
GRADE_IN_TEXT = re.compile(r"(?:等级|等次)\s*(?:为|是|:)?\s*[“\"]?(优秀|良好|中等|不合格|合格|较差|优|良|中|差)")
PROJECT_TYPES = {"常年项目": "recurring", "常年": "recurring", "经常性项目": "recurring", "一次性项目": "one_off"}
PROJECT_TYPES["一次性"] = "one_off"
SIGN_WORDINGS = {"正向": scoring.SIGN_GE, "正向指标": scoring.SIGN_GE, "反向": scoring.SIGN_LE}
SIGN_WORDINGS |= {"反向指标": scoring.SIGN_LE, "定性指标": scoring.SIGN_QUALITATIVE}

TITLE_MARK = "项目支出绩效自评表"
SICHUAN_TITLE_MARK = "部门预算项目支出"
TITLE_YEAR = re.compile(r"(20\d{2})年度")
YEAR_ROW = re.compile(r"^\(?(20\d{2})年度?\)?$")
TITLE_WINDOW = 4  # non-blank rows above 项目名称 searched for the title and its year
# "51090422T000005836329-人才发展资金": the Sichuan form prefixes the name with the project code.
CODE_PREFIX = re.compile(r"^(?=[0-9A-Za-z]*\d)([0-9A-Za-z]{6,})\s*[-－—–_]\s*(\S.*)$", re.S)
LEADING_SIGN = re.compile(r"^(>=|<=|[≥≤≧≦><=])")
# The Sichuan form's printed instructions, which are not the unit's text (see SICHUAN_*_HINT in
# evaluations.reports.project_table).
FORM_HINTS = (
    re.compile(r"对照年度目标.{0,6}说明.{0,12}完成情况"),
    re.compile(r"预算执行率=预算执行数/调整后预算数"),
    re.compile(r"预算执行率未达到\d+%的需说明原因"),
    re.compile(r"年中发生预算调整的.{0,12}应单独说明理由"),
)


FIELD_BY_LABEL = lookup(FIELD_LABELS)
GOAL_BY_LABEL = lookup(GOAL_LABELS)
BUDGET_BY_LABEL = lookup(BUDGET_COLUMNS)
INDICATOR_BY_LABEL = lookup(INDICATOR_COLUMNS)
FUND_BY_LABEL = lookup(FUND_LABELS)
KNOWN_LABELS = (
    set(FIELD_BY_LABEL) | set(GOAL_BY_LABEL) | set(BUDGET_BY_LABEL) | set(INDICATOR_BY_LABEL) | {"项目基本情况"}
)


def plain_number(number: Decimal) -> str:
    """A Decimal as people write it: no exponent, no trailing zeros after the point (3000000, 97.5)."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def rate_fraction(value: object, *, percent_format: bool = False) -> tuple[Decimal | None, bool]:
    """An execution rate as a fraction: "100.00%" → 1, "97.45%" → 0.9745, a cell 0.9745 formatted as a
    percentage → 0.9745. A bare number above 2 ("97.45") is taken as a percentage; the flag says so."""
    if value is None or isinstance(value, bool):
        return None, False
    if isinstance(value, int | float | Decimal):
        number = parse_decimal(value)
        if percent_format:
            return number, False
    else:
        text = clean_text(value).replace(" ", "")
        if is_placeholder(text):
            return None, False
        number = parse_decimal(text)
        if number is None:
            return None, False
        if text.endswith("%"):
            return number / 100, False
    if number is not None and number > 2:
        return number / 100, True
    return number, False


def _is_form_hint(text: str) -> bool:
    folded = re.sub(r"\s+", "", clean_text(text))
    return any(hint.search(folded) for hint in FORM_HINTS)


def _grade(text: str) -> str:
    folded = clean_text(text)
    if folded in GRADES:
        return folded
    return GRADE_WORDINGS.get(folded, "")


@dataclass
class _Table:
    start: int  # the title row, or the 项目名称 row when there is no title
    anchor: int | None  # the 项目名称 row; None for a title without one
    end: int = 0
    title: str = ""
    year: int | None = None


class _Sheet(LabelledSheet):
    """A worksheet read for 项目支出绩效自评表: cells formatted as percentages read as the user sees them."""

    def raw(self, row: int, column: int) -> str:
        """The cell as written: text stripped but not folded (names keep their full-width brackets); a number
        cell as its number ("579.83", a percentage-formatted 0.95 as "95%")."""
        value = self.grid.value(row, column)
        if value is None:
            return ""
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = parse_decimal(value)
            if self.grid.is_percent(row, column):
                return plain_number(number * 100) + "%"
            return plain_number(number)
        if isinstance(value, datetime | date):
            return value.isoformat()
        return str(value).strip()

    def rate(self, row: int, column: int | None) -> Decimal | None:
        if column is None:
            return None
        value = self.grid.value(row, column)
        rate, assumed = rate_fraction(value, percent_format=self.grid.is_percent(row, column))
        text = self.raw(row, column)
        if rate is None and value is not None and not is_placeholder(text):
            self.problem(WARNING, f"执行率“{text}”无法识别，未导入。", row, column)
        elif assumed:
            self.problem(WARNING, f"执行率“{text}”没有百分号，按 {text}% 导入。", row, column)
        return rate

    # ---- structure ----

    def right_of(self, row: int, column: int) -> tuple[str, int | None]:
        """The value cell right of a label: its text, or "" when it is empty or another label."""
        column = self.range_end(row, column) + 1
        if column > self.grid.max_column:
            return "", None
        if self.key(row, column) in KNOWN_LABELS:
            return "", column
        return self.text(row, column), column

    def header_columns(self, row: int, labels: dict[str, str]) -> dict[str, int]:
        """The columns of ``row`` whose label is in ``labels``, by field name (first column wins)."""
        found: dict[str, int] = {}
        used = set()
        for cell in self.cells(row):
            name = labels.get(label_key(cell.text))
            if name and name not in found and cell.column not in used:
                found[name] = cell.column
                used.add(cell.column)
        return found


def _split_label(text: str) -> tuple[str, str | None]:
    """ "项目负责人：殷志强" → ("项目负责人", "殷志强"); a cell without a colon → (its key, None)."""
    match = re.search(r"[:：]", text)
    if match:
        return label_key(text[: match.start()]), text[match.end() :].strip()
    return label_key(text), None


# ---- finding the tables ----


def _title_cells(sheet: _Sheet) -> dict[int, str]:
    titles = {}
    for row in range(1, sheet.grid.max_row + 1):
        for cell in sheet.cells(row):
            folded = re.sub(r"\s+", "", cell.text)
            if TITLE_MARK in folded and "汇总" not in folded and len(folded) <= 60:
                titles[row] = folded
                break
    return titles


def _anchor_rows(sheet: _Sheet) -> list[int]:
    rows = []
    for row in range(1, sheet.grid.max_row + 1):
        if any(_split_label(cell.text)[0] == "项目名称" for cell in sheet.cells(row)):
            rows.append(row)
    return rows


def _year_near(sheet: _Sheet, first: int, last: int) -> int | None:
    for row in range(first, last + 1):
        for cell in sheet.cells(row):
            folded = re.sub(r"\s+", "", cell.text)
            match = TITLE_YEAR.search(folded) if TITLE_MARK in folded else YEAR_ROW.match(folded)
            if match:
                return int(match[1])
    return None


def _title_above(sheet: _Sheet, titles: dict[int, str], anchor: int, previous: int) -> int | None:
    """The nearest title row above ``anchor`` within TITLE_WINDOW non-blank rows (blank spacer rows are free)."""
    seen = 0
    for row in range(anchor - 1, previous, -1):
        if row in titles:
            return row
        if not sheet.grid.is_blank_row(row):
            seen += 1
            if seen >= TITLE_WINDOW:
                break
    return None


def find_tables(sheet: _Sheet) -> list[_Table]:
    """Every table of the sheet: one per 项目名称 label, plus titles that have none (reported as errors)."""
    titles = _title_cells(sheet)
    tables: list[_Table] = []
    attached: set[int] = set()
    previous = 0
    for anchor in _anchor_rows(sheet):
        above = _title_above(sheet, titles, anchor, previous)
        table = _Table(start=above or anchor, anchor=anchor)
        if above:
            table.title = titles[table.start]
            attached.add(table.start)
        table.year = _year_near(sheet, table.start, anchor)
        tables.append(table)
        previous = anchor
    for row, title in titles.items():
        if row not in attached:
            tables.append(_Table(start=row, anchor=None, title=title, year=_year_near(sheet, row, row + 1)))
    tables.sort(key=lambda t: t.start)
    for n, table in enumerate(tables):
        table.end = tables[n + 1].start - 1 if n + 1 < len(tables) else sheet.grid.max_row
    return tables


def _budget_header(sheet: _Sheet, table: _Table) -> tuple[int, dict[str, int]] | None:
    for row in range(table.start, table.end + 1):
        columns = sheet.header_columns(row, BUDGET_BY_LABEL)
        if sum(name in columns for name in ("initial", "adjusted", "executed")) >= 2:
            return row, columns
    return None


def _grid_header(sheet: _Sheet, table: _Table) -> tuple[int, dict[str, int]] | None:
    for row in range(table.start, table.end + 1):
        columns = sheet.header_columns(row, INDICATOR_BY_LABEL)
        levels = sum(name in columns for name in ("level1", "level2", "name"))
        if levels >= 2 and any(name in columns for name in ("target", "actual", "weight", "score", "sign")):
            return row, columns
    return None


# ---- reading one table ----


class _Reader:
    def __init__(self, sheet: _Sheet, table: _Table):
        self.sheet = sheet
        self.table = table
        self.used_rows: set[int] = set()  # budget and indicator rows: not scanned for header labels

    def read(self) -> ProjectRecord | None:
        sheet, table = self.sheet, self.table
        budget = _budget_header(sheet, table)
        grid = _grid_header(sheet, table)
        if table.anchor is None and not (budget or grid):
            return None  # a title in running text (e.g. "附表：部门预算项目支出绩效自评表"), not a table
        if table.anchor is not None and not (table.title or budget or grid):
            return None  # a 项目名称 column of some other sheet
        where = f"第 {table.start} 行的项目支出绩效自评表"
        if grid is None or "level1" not in grid[1] or "name" not in grid[1]:
            missing = "" if grid is None else "（缺少“一级指标”或“三级指标”列）"
            sheet.problem(ERROR, f"{where}没有绩效指标表格{missing}，该表未导入。", table.start)
            return None
        layout = self._layout(grid[1], budget)
        record = ProjectRecord(
            department="", unit="", name="", layout=layout, year=table.year, sheet=sheet.title, row=table.start
        )
        if budget:
            self._read_budget(record, *budget)
        else:
            sheet.problem(WARNING, f"{where}没有找到项目资金（预算执行情况）表格，资金未导入。", table.start)
        if not self._read_indicators(record, *grid):
            sheet.problem(ERROR, f"{where}没有绩效指标表格（表头下没有指标行），该表未导入。", grid[0])
            return None
        self._read_fields(record)
        if not record.name:
            sheet.problem(ERROR, f"{where}没有填写项目名称，该表未导入。", table.anchor or table.start)
            return None
        return record

    def _layout(self, grid_columns: dict[str, int], budget: tuple[int, dict[str, int]] | None) -> str:
        """Sichuan by its title or its own fund sources (财政专户管理资金, 单位资金); national by its title;
        an untitled table by its 指标性质 column."""
        if SICHUAN_TITLE_MARK in self.table.title:
            return SICHUAN
        if budget:
            header, columns = budget
            first = min(columns.get(name) or 10**6 for name in ("initial", "adjusted", "executed"))
            for row in range(header + 1, min(header + 12, self.table.end) + 1):
                if FUND_BY_LABEL.get(label_key(self._fund_label(row, first)[0])) in SICHUAN_ONLY_FUNDS:
                    return SICHUAN
        if TITLE_MARK in self.table.title:
            return NATIONAL
        return SICHUAN if "sign" in grid_columns else NATIONAL

    # ---- header and conclusion fields ----

    def _read_fields(self, record: ProjectRecord):
        sheet, table = self.sheet, self.table
        values: dict[str, tuple[str, int, int]] = {}
        for row in range(table.start, table.end + 1):
            if row in self.used_rows:
                continue
            for cell in sheet.cells(row):
                raw = sheet.raw(row, cell.column)
                label, inline = _split_label(raw)
                name = FIELD_BY_LABEL.get(label)
                column = cell.column
                if name is None and label.endswith("自评综述") and inline:
                    name, inline = "summary", raw  # "老字号项目绩效自评综述：……" is the summary itself
                if name is None:
                    name = GOAL_BY_LABEL.get(label)
                    if name and name not in values:
                        value = inline if inline else self._below(row, cell.column)
                        if value is not None:
                            values[name] = ("" if value in EMPTY_TEXTS else value, row, cell.column)
                    continue
                if name == "summary" and inline:
                    value = raw
                elif inline:
                    value = inline if inline not in EMPTY_TEXTS else ""
                else:
                    value, column = sheet.right_of(row, cell.column)
                if value and (name not in values or not values[name][0]):
                    values[name] = (value, row, column or cell.column)
                elif name not in values:
                    values[name] = ("", row, column or cell.column)
        self._apply_fields(record, values)

    def _below(self, row: int, column: int) -> str | None:
        """The goal text under its label, skipping blank rows; None when the label has nothing under it."""
        sheet = self.sheet
        top_left = sheet.grid.merged.get((row, column), (row, column))
        for below in range(row + 1, min(row + 4, self.table.end) + 1):
            if sheet.grid.merged.get((below, column)) == top_left:
                continue  # the label's own merged range
            if sheet.grid.is_blank_row(below):
                continue
            if sheet.key(below, column) in KNOWN_LABELS:
                return None
            return sheet.text(below, column)
        return None

    def _apply_fields(self, record: ProjectRecord, values: dict[str, tuple[str, int, int]]):
        sheet = self.sheet

        def get(name: str) -> str:
            return values.get(name, ("",))[0]

        record.name, record.code = get("name"), get("code")
        match = CODE_PREFIX.match(record.name)
        if match and (not record.code or record.code == match[1]):
            record.code, record.name = match[1], match[2].strip()
        record.department = get("department")
        record.unit = get("unit") or record.department
        for name in ("manager", "finance_manager", "phone", "background", "content", "conclusion"):
            setattr(record, name, get(name))
        record.problems, record.improvements, record.summary = get("problems"), get("improvements"), get("summary")
        record.goal_expected = get("goal_expected")
        record.goal_actual = "" if _is_form_hint(get("goal_actual")) else get("goal_actual")
        if get("project_type"):
            text, row, column = values["project_type"]
            record.project_type = PROJECT_TYPES.get(re.sub(r"\s+", "", clean_text(text)), "")
            if not record.project_type:
                sheet.problem(WARNING, f"项目类型“{text}”不是常年项目或一次性项目，未导入。", row, column)
        grade_text = get("grade") or (get("conclusion") if _grade(get("conclusion")) else "")
        if grade_text:
            grade = _grade(grade_text)
            name = "grade" if get("grade") else "conclusion"
            _, row, column = values[name]
            if not grade:
                sheet.problem(WARNING, f"等级“{grade_text}”不是优、良、中、差之一，未导入。", row, column)
            elif not record.claimed_grade:
                record.claimed_grade = grade
        elif not record.claimed_grade:
            match = GRADE_IN_TEXT.search(clean_text(record.conclusion))
            if match:
                record.claimed_grade = _grade(match[1])

    # ---- 项目资金 / 预算执行情况 ----

    def _fund_label(self, row: int, first_amount_column: int) -> tuple[str, int | None]:
        """The row label left of the amounts (the nearest non-empty cell), with its column."""
        for column in range(first_amount_column - 1, 0, -1):
            text = self.sheet.raw(row, column)
            if text:
                return text, column
        return "", None

    def _source(self, key: str, layout: str) -> str:
        if key in CURRENT_FUNDS:
            return "财政资金" if layout == SICHUAN else "本年财政拨款"
        return FUND_BY_LABEL.get(key, "")

    def _read_budget(self, record: ProjectRecord, header: int, columns: dict[str, int]):
        sheet = self.sheet
        amounts = [columns.get(name) for name in ("initial", "adjusted", "executed")]
        first = min(c for c in amounts if c)
        self.used_rows.add(header)
        for row in range(header + 1, self.table.end + 1):
            if sheet.grid.is_blank_row(row):
                continue
            label, label_column = self._fund_label(row, first)
            key = label_key(label)
            total = key in TOTAL_FUND_LABELS
            source = "" if total else self._source(key, record.layout)
            if not total and not source:
                numbers = [parse_decimal(sheet.grid.value(row, c)) for c in amounts if c]
                if not key or key in KNOWN_LABELS or all(n is None for n in numbers) or "指标" in key:
                    break
                source = label.removeprefix("其中：").removeprefix("其中:").strip()
                sheet.problem(
                    WARNING, f"资金来源“{source}”不是本年度方案的资金来源名称，按原文导入。", row, label_column
                )
            self.used_rows.add(row)
            values = [sheet.number(row, c, f"{label}的金额") for c in amounts]
            if not total:
                record.funds.append(FundRecord(source, *values))
                continue
            record.claimed_budget_score = sheet.number(row, columns.get("score"), "预算执行得分")
            record.stated_execution_rate = sheet.rate(row, columns.get("rate"))
            reason_column = columns.get("reason")
            if reason_column:
                reason = sheet.text(row, reason_column)
                if reason and not _is_form_hint(reason):
                    if label_key(sheet.grid.text(header, reason_column)) in ADJUSTMENT_REASON_LABELS:
                        record.adjustment_reason = reason
                    else:
                        record.execution_reason = reason

    # ---- 绩效指标 ----

    def _is_end_row(self, row: int, columns: dict[str, int]) -> bool:
        """总分 / 合计, or a conclusion or signature label, in the category and name columns (or left of them):
        a deviation reason reading "存在问题：……" does not end the grid."""
        label_columns = max(columns.get("name", 1), columns.get("level2", 1), columns.get("level1", 1))
        return any(
            cell.column <= label_columns and _split_label(cell.text)[0] in GRID_END_LABELS
            for cell in self.sheet.cells(row)
        )

    def _read_total(self, record: ProjectRecord, row: int, columns: dict[str, int]):
        """总分 / 合计: the 得分 column's value; without one, the last number right of the label (not 分值)."""
        sheet = self.sheet
        label = next(c for c in sheet.cells(row) if _split_label(c.text)[0] in GRID_TOTAL_LABELS)
        label_end = sheet.range_end(row, label.column)
        inline = _split_label(sheet.raw(row, label.column))[1]
        score_column = columns.get("score")
        if score_column and score_column > label_end and sheet.grid.value(row, score_column) is not None:
            record.claimed_total = sheet.number(row, score_column, "总分")
        elif inline and parse_decimal(inline) is not None:
            record.claimed_total = parse_decimal(inline)
        else:
            numbers = [
                cell.column
                for cell in sheet.cells(row)
                if cell.column > label_end
                and cell.column != columns.get("weight")
                and parse_decimal(cell.value) is not None
            ]
            if numbers:
                record.claimed_total = sheet.number(row, numbers[-1], "总分")
        reason_column = columns.get("reason")
        if reason_column and reason_column > label_end and _grade(sheet.raw(row, reason_column)):
            record.claimed_grade = _grade(sheet.raw(row, reason_column))

    def _read_indicators(self, record: ProjectRecord, header: int, columns: dict[str, int]) -> bool:
        sheet = self.sheet
        self.used_rows.add(header)
        level1 = level2 = ""
        found = False
        for row in range(header + 1, self.table.end + 1):
            if sheet.grid.is_blank_row(row):
                continue
            if self._is_end_row(row, columns):
                if any(_split_label(c.text)[0] in GRID_TOTAL_LABELS for c in sheet.cells(row)):
                    self.used_rows.add(row)
                    self._read_total(record, row, columns)
                break
            if sheet.header_columns(row, INDICATOR_BY_LABEL).keys() >= {"level1", "name"}:
                self.used_rows.add(row)  # the header repeated at a page break
                continue
            self.used_rows.add(row)
            written1 = normalise_label(sheet.grid.text(row, columns["level1"]))
            if written1 and written1 != level1:
                level1, level2 = written1, ""
            level2_column = columns.get("level2")
            written2 = normalise_label(sheet.grid.text(row, level2_column)) if level2_column else ""
            level2 = written2 or level2
            indicator = self._indicator(row, columns, level1, level2)
            if indicator is None:
                own_level2 = bool(written2) and not sheet.grid.is_merged_continuation(row, level2_column)
                if not own_level2:
                    continue  # a spacer row under merged category cells
                indicator = IndicatorRecord(level1=level1, level2=level2)
            elif not level1 or (level2_column and not level2):
                missing = "一级指标" if not level1 else "二级指标"
                called = indicator.name or f"{level1}/{level2}"
                sheet.problem(WARNING, f"指标“{called}”的{missing}为空。", row, columns["name"])
            record.indicators.append(indicator)
            found = True
        return found

    def _sign(self, row: int, column: int | None) -> str | None:
        """The 指标性质 cell as one of the six signs; None when blank, "定量" or unreadable (the target decides)."""
        if column is None:
            return None
        text = re.sub(r"\s+", "", self.sheet.grid.text(row, column))
        if not text or is_placeholder(text) or text == "定量":
            return None
        if text in SIGN_WORDINGS:
            return SIGN_WORDINGS[text]
        try:
            return scoring.normalise_sign(text)
        except ValueError:
            self.sheet.problem(WARNING, f"指标性质“{text}”无法识别，按指标值判断。", row, column)
            return None

    def _indicator(self, row: int, columns: dict[str, int], level1: str, level2: str) -> IndicatorRecord | None:
        sheet = self.sheet

        def text(name: str) -> str:
            column = columns.get(name)
            return sheet.text(row, column) if column else ""

        name, target, unit, actual, reason = (text(n) for n in ("name", "target", "unit", "actual", "reason"))
        called = name or f"{level1}/{level2}"  # how messages name the indicator
        sign = self._sign(row, columns.get("sign"))
        weight_raw, score_raw = text("weight"), text("score")
        if not any((name, sign, target, unit, actual, reason, weight_raw, score_raw)):
            return None
        target_measure, actual_measure = parse_measure(target), parse_measure(actual)
        if target_measure.number is None and is_placeholder(target):
            target = ""
        if actual_measure.number is None and is_placeholder(actual):
            actual = ""
        if not sign:
            sign = target_measure.sign
        if not sign and target:
            leading = LEADING_SIGN.match(clean_text(target))
            if leading:
                try:
                    sign = scoring.normalise_sign(leading[1].replace("≧", "≥").replace("≦", "≤"))
                except ValueError:  # "≥=…": not a sign; the target stays text and the checks report it
                    sign = ""
            elif target_measure.number is None:
                sign = scoring.SIGN_QUALITATIVE  # a target in words ("较高") is a 定性 indicator
        qualitative = sign == scoring.SIGN_QUALITATIVE
        indicator = IndicatorRecord(
            level1=level1,
            level2=level2,
            name=name,
            sign=sign or "",
            # Numbers are kept folded ("≥９５％" → "≥95%"); words exactly as written.
            target_text=target_measure.text if target_measure.number is not None else target,
            target_value=None if qualitative else target_measure.number,
            unit=("" if is_placeholder(unit) else unit) or target_measure.unit,
            actual_text=actual_measure.text if actual_measure.number is not None else actual,
            actual_value=None if qualitative else actual_measure.number,
            weight=sheet.number(row, columns.get("weight"), f"指标“{called}”的分值"),
            claimed_score=sheet.number(row, columns.get("score"), f"指标“{called}”的得分"),
            deviation_reason=reason,
        )
        actual_column = columns.get("actual")
        if qualitative and actual:
            indicator.actual_label = qualitative_label_from_text(actual)
            if not indicator.actual_label:
                labels = "、".join(f"“{label}”" for label in scoring.QUALITATIVE_LABELS)
                sheet.problem(
                    WARNING,
                    f"定性指标“{called}”的实际完成值“{actual}”不能确定对应{labels}中的哪一个，按文字导入。",
                    row,
                    actual_column,
                )
        elif actual and actual_measure.number is None:
            sheet.problem(WARNING, f"指标“{called}”的实际完成值“{actual}”不是数值，按文字导入。", row, actual_column)
        return indicator


def read_standard_tables(workbook) -> ReadResult:
    """Every 项目支出绩效自评表 of ``workbook`` (openpyxl, data_only=True), one ProjectRecord each."""
    result = ReadResult(kind="standard")
    years: dict[int, tuple[str, int]] = {}
    for worksheet in workbook.worksheets:
        sheet = _Sheet(worksheet, result.problems)
        for table in find_tables(sheet):
            record = _Reader(sheet, table).read()
            if record is None:
                continue
            result.projects.append(record)
            if record.year is not None:
                years.setdefault(record.year, (sheet.title, table.start))
    result.settle_year(years, "自评表")
    return result


def is_standard_workbook(workbook) -> bool:
    """Whether ``workbook`` holds at least one 项目支出绩效自评表 (or one that could not be read)."""
    found = read_standard_tables(workbook)
    return bool(found.projects or found.errors)
