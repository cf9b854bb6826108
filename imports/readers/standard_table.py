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
from decimal import Decimal

from domain import signs
from domain.formatting import amount, half_up
from imports.grid import normalise_label
from imports.readers.sheet import EMPTY_TEXTS, label_key
from imports.readers.standard_labels import (
    ADJUSTMENT_REASON_LABELS,
    CODE_PREFIX,
    CURRENT_FUNDS,
    FIELD_BY_LABEL,
    FUND_BY_LABEL,
    GOAL_BY_LABEL,
    GRID_END_LABELS,
    GRID_TOTAL_LABELS,
    INDICATOR_BY_LABEL,
    KNOWN_LABELS,
    LEADING_SIGN,
    NATIONAL,
    SICHUAN,
    SICHUAN_ONLY_FUNDS,
    SICHUAN_TITLE_MARK,
    SIGN_WORDINGS,
    TITLE_MARK,
    TOTAL_FUND_LABELS,
)
from imports.readers.standard_sheet import (
    StandardSheet,
    Table,
    budget_header,
    find_tables,
    grid_header,
    is_form_hint,
    split_label,
)
from imports.records import ERROR, WARNING, FundRecord, IndicatorRecord, ProjectRecord, ReadResult
from imports.wording import GRADE_LIST, PROJECT_TYPES, grade_in_text, grade_named
from indicators.parsing import (
    clean_text,
    is_layout_row,
    is_placeholder,
    is_template_name,
    parse_decimal,
    parse_measure,
    qualitative_label_from_text,
)

# The free texts of a table: any of them may still hold the form's printed instructions.
NARRATIVE_FIELDS = (
    "background",
    "content",
    "goal_expected",
    "goal_actual",
    "conclusion",
    "problems",
    "improvements",
    "summary",
)

# ---- reading one table ----


class _Reader:
    def __init__(self, sheet: StandardSheet, table: Table):
        self.sheet = sheet
        self.table = table
        self.used_rows: set[int] = set()  # budget and indicator rows: not scanned for header labels

    def read(self) -> ProjectRecord | None:
        sheet, table = self.sheet, self.table
        budget = budget_header(sheet, table)
        grid = grid_header(sheet, table)
        if table.anchor is None and not (budget or grid):
            return None  # a title in running text (e.g. "附表：部门预算项目支出绩效自评表"), not a table
        if table.anchor is not None and not (table.title or budget or grid):
            return None  # a 项目名称 column of some other sheet
        where = f"第 {table.start} 行的项目支出绩效自评表"
        if grid is None or "level1" not in grid[1] or "name" not in grid[1]:
            missing = "" if grid is None else "（缺少“一级指标”或“三级指标”列）"
            sheet.problem(ERROR, f"{where}没有绩效指标表格{missing}，该表未导入。", table.start)
            return None
        layout, found_by = self._layout(grid[1], budget)
        record = ProjectRecord(
            department="", unit="", name="", layout=layout, year=table.year, sheet=sheet.title, row=table.start
        )
        shown = "四川表样" if layout == SICHUAN else "全国表样"
        record.read_as = f"按项目支出绩效自评表（{shown}）读取：{found_by}。"
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

    def _layout(self, grid_columns: dict[str, int], budget: tuple[int, dict[str, int]] | None) -> tuple[str, str]:
        """Sichuan by its title or its own fund sources (财政专户管理资金, 单位资金); national by its title;
        an untitled table by its 指标性质 column. With the reason, as the preview says it."""
        title = self.table.title
        if SICHUAN_TITLE_MARK in title:
            return SICHUAN, f"标题“{title}”（第 {self.table.start} 行）"
        if budget:
            header, columns = budget
            first = min(columns.get(name) or 10**6 for name in ("initial", "adjusted", "executed"))
            for row in range(header + 1, min(header + 12, self.table.end) + 1):
                source = FUND_BY_LABEL.get(label_key(self._fund_label(row, first)[0]))
                if source in SICHUAN_ONLY_FUNDS:
                    return SICHUAN, f"资金来源“{source}”（第 {row} 行）只有四川表样有"
        if TITLE_MARK in title:
            return NATIONAL, f"标题“{title}”（第 {self.table.start} 行）"
        where = f"第 {self.table.start} 行起的表格没有标题"
        if "sign" in grid_columns:
            return SICHUAN, f"{where}，指标表头有“指标性质”列"
        return NATIONAL, f"{where}，指标表头没有“指标性质”列"

    # ---- header and conclusion fields ----

    def _read_fields(self, record: ProjectRecord):
        sheet, table = self.sheet, self.table
        values: dict[str, tuple[str, int, int]] = {}
        for row in range(table.start, table.end + 1):
            if row in self.used_rows:
                continue
            for cell in sheet.cells(row):
                raw = sheet.raw(row, cell.column)
                label, inline = split_label(raw)
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
        record.goal_expected, record.goal_actual = get("goal_expected"), get("goal_actual")
        for name in NARRATIVE_FIELDS:
            value = getattr(record, name)
            if value and is_form_hint(value):
                setattr(record, name, "")  # the form's own words, left in: the unit wrote nothing here
        if get("project_type"):
            text, row, column = values["project_type"]
            record.project_type = PROJECT_TYPES.get(re.sub(r"\s+", "", clean_text(text)), "")
            if not record.project_type:
                sheet.problem(WARNING, f"项目类型“{text}”不是常年项目或一次性项目，未导入。", row, column)
        grade_text = get("grade") or (get("conclusion") if grade_named(clean_text(get("conclusion"))) else "")
        if grade_text:
            grade = grade_named(clean_text(grade_text))
            name = "grade" if get("grade") else "conclusion"
            _, row, column = values[name]
            if not grade:
                sheet.problem(WARNING, f"等级“{grade_text}”不是{GRADE_LIST}之一，未导入。", row, column)
            elif not record.claimed_grade:
                record.claimed_grade = grade
        elif not record.claimed_grade:
            record.claimed_grade = grade_in_text(clean_text(record.conclusion))

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
        stated = None  # the 年度资金总额 row: (its amounts, row, label column)
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
            stated = (values, row, label_column)
            record.claimed_budget_score = sheet.number(row, columns.get("score"), "预算执行得分")
            record.stated_execution_rate = sheet.rate(row, columns.get("rate"))
            reason_column = columns.get("reason")
            if reason_column:
                reason = sheet.text(row, reason_column)
                if reason and not is_form_hint(reason):
                    if label_key(sheet.grid.text(header, reason_column)) in ADJUSTMENT_REASON_LABELS:
                        record.adjustment_reason = reason
                    else:
                        record.execution_reason = reason
        if stated is not None:
            self._stated_total(record, *stated)

    def _stated_total(self, record: ProjectRecord, values: list, row: int, column: int):
        """The 年度资金总额 row against the fund rows below it. The scores follow the fund rows; a total that
        contradicts them (0 / 0 / 0 over 本年财政拨款 90 / 89.97 / 89.97) is kept as published and reported. A
        table that fills in only the total gives its amounts to the year's own funds."""
        columns = list(zip(*((f.initial, f.adjusted, f.executed) for f in record.funds), strict=True))
        sums = [_sum(amounts) for amounts in columns] if columns else [None, None, None]
        if all(v is None for v in values):
            return
        if all(v is None for v in sums):
            source = self._source(next(iter(CURRENT_FUNDS)), record.layout)
            current = next((f for f in record.funds if f.source == source), None)
            if current is None:
                current = FundRecord(source)
                record.funds.insert(0, current)
            current.initial, current.adjusted, current.executed = values
            self.sheet.problem(WARNING, f"只填写了年度资金总额、各资金来源为空：金额按“{source}”导入。", row, column)
            return
        # Compared as printed (two places): a total rounded from fund rows of four places agrees with them, and a
        # total that leaves a column blank contradicts nothing.
        if all(v is None or t is None or half_up(v) == half_up(t) for v, t in zip(values, sums, strict=True)):
            return
        record.stated_initial_wan, record.stated_adjusted_wan, record.stated_executed_wan = values
        shown, summed = (" / ".join(amount(v, grouped=False, empty="空") for v in vs) for vs in (values, sums))
        self.sheet.problem(
            WARNING,
            f"年度资金总额（{shown}）与各资金来源合计（{summed}）不一致：按原表保留，计分按各资金来源合计。",
            row,
            column,
        )

    # ---- 绩效指标 ----

    def _is_end_row(self, row: int, columns: dict[str, int]) -> bool:
        """总分 / 合计, or a conclusion or signature label, in the category and name columns (or left of them):
        a deviation reason reading "存在问题：……" does not end the grid."""
        label_columns = max(columns.get("name", 1), columns.get("level2", 1), columns.get("level1", 1))
        return any(
            cell.column <= label_columns and split_label(cell.text)[0] in GRID_END_LABELS
            for cell in self.sheet.cells(row)
        )

    def _read_total(self, record: ProjectRecord, row: int, columns: dict[str, int]):
        """总分 / 合计: the 得分 column's value; without one, the last number right of the label (not 分值)."""
        sheet = self.sheet
        label = next(c for c in sheet.cells(row) if split_label(c.text)[0] in GRID_TOTAL_LABELS)
        label_end = sheet.range_end(row, label.column)
        inline = split_label(sheet.raw(row, label.column))[1]
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
        if reason_column and reason_column > label_end and grade_named(clean_text(sheet.raw(row, reason_column))):
            record.claimed_grade = grade_named(clean_text(sheet.raw(row, reason_column)))

    def _read_indicators(self, record: ProjectRecord, header: int, columns: dict[str, int]) -> bool:
        sheet = self.sheet
        self.used_rows.add(header)
        level1 = level2 = ""
        found = False
        for row in range(header + 1, self.table.end + 1):
            if sheet.grid.is_blank_row(row):
                continue
            if self._is_end_row(row, columns):
                if any(split_label(c.text)[0] in GRID_TOTAL_LABELS for c in sheet.cells(row)):
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
                # A spacer under merged category cells, a form's leftover or a 二级 with no 三级 under it: layout.
                own_level2 = bool(written2) and not sheet.grid.is_merged_continuation(row, level2_column)
                if own_level2 and not any(i.level2 == level2 and i.level1 == level1 for i in record.indicators):
                    sheet.problem(WARNING, f"二级指标“{level2}”没有三级指标和分值，未导入。", row, level2_column)
                continue
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
            return signs.normalise_sign(text)
        except ValueError:
            self.sheet.problem(WARNING, f"指标性质“{text}”无法识别，按指标值判断。", row, column)
            return None

    def _indicator(self, row: int, columns: dict[str, int], level1: str, level2: str) -> IndicatorRecord | None:
        sheet = self.sheet

        def text(name: str) -> str:
            column = columns.get(name)
            return sheet.text(row, column) if column else ""

        name, target, unit, actual, reason = (text(n) for n in ("name", "target", "unit", "actual", "reason"))
        weight_raw, score_raw = text("weight"), text("score")
        if is_layout_row(name, weight_raw):
            # No name of its own (or the form's "指标1", "……") and no weight: the form's layout, not an indicator.
            if is_template_name(name) or any(v and not is_placeholder(v) for v in (target, actual, score_raw)):
                what = f"只有表样的“{name}”" if name else "没有指标名称"
                sheet.problem(WARNING, f"这一行{what}、没有分值，是表样留下的行，未导入。", row, columns["name"])
            return None
        called = name or f"{level1}/{level2}"  # how messages name the indicator
        sign = self._sign(row, columns.get("sign"))
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
                    sign = signs.normalise_sign(leading[1].replace("≧", "≥").replace("≦", "≤"))
                except ValueError:  # "≥=…": not a sign; the target stays text and the checks report it
                    sign = ""
            elif target_measure.number is None:
                sign = signs.SIGN_QUALITATIVE  # a target in words ("较高") is a 定性 indicator
        qualitative = sign == signs.SIGN_QUALITATIVE
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
                labels = "、".join(f"“{label}”" for label in signs.QUALITATIVE_LABELS)
                sheet.problem(
                    WARNING,
                    f"定性指标“{called}”的实际完成值“{actual}”不能确定对应{labels}中的哪一个，按文字导入。",
                    row,
                    actual_column,
                )
        elif actual and actual_measure.number is None:
            sheet.problem(WARNING, f"指标“{called}”的实际完成值“{actual}”不是数值，按文字导入。", row, actual_column)
        return indicator


def _sum(amounts) -> Decimal | None:
    """A column of fund amounts added up as the scorecard adds them: blank cells left out, None when all are."""
    given = [a for a in amounts if a is not None]
    return sum(given, Decimal(0)) if given else None


def read_standard_tables(workbook) -> ReadResult:
    """Every 项目支出绩效自评表 of ``workbook`` (openpyxl, data_only=True), one ProjectRecord each."""
    result = ReadResult(kind="standard")
    years: dict[int, tuple[str, int]] = {}
    for worksheet in workbook.worksheets:
        sheet = StandardSheet(worksheet, result.problems)
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
