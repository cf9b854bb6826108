"""What the label-based readers (the project table, the department-wide table) share: how a label is
compared, "nothing here" texts, label tables, and a worksheet with its grid and the problems found in it."""

import re
from decimal import Decimal

from openpyxl.utils import get_column_letter

from imports.grid import Grid, normalise_label
from imports.records import ERROR, Problem
from indicators.parsing import clean_text, is_placeholder, parse_decimal

# The largest number a table cell may hold: 万元 amounts are kept with 14 integer digits (budgets.models.AMOUNT).
LARGEST_NUMBER = Decimal(10) ** 14

# Free texts meaning "nothing here"; unlike the number placeholders, "无" is kept as written.
EMPTY_TEXTS = {"/", "／", "—", "——", "-", "--", "－"}


def label_key(text: str) -> str:
    """A label as compared: "实施单位 （盖章）" → "实施单位", "全年预算数（A）" → "全年预算数",
    "产\\n出\\n指\\n标(50分)" → "产出指标", " 其中：本年财政拨款" → "本年财政拨款",
    "2.项目实施内容" → "项目实施内容"."""
    key = normalise_label(clean_text(text))
    key = re.sub(r"\([^()]*\)?", "", key)
    key = re.sub(r"^(?:\d+|[一二三四五六七八九十]+)[.、)]", "", key)
    key = key.removeprefix("其中:").removeprefix("其中")
    return key.strip(":")


def lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{field: (label, …)} turned round: label → field."""
    return {label: name for name, labels in table.items() for label in labels}


class LabelledSheet:
    """One worksheet: its grid and the problems found in it (each with sheet, row and column letter)."""

    def __init__(self, worksheet, problems: list[Problem]):
        self.grid = Grid(worksheet)
        self.title = worksheet.title
        self.problems = problems

    def problem(self, severity: str, message: str, row: int | None = None, column: int | None = None):
        letter = get_column_letter(column) if column else ""
        self.problems.append(Problem(severity, message, sheet=self.title, row=row, column=letter))

    def cells(self, row: int):
        return self.grid.row_cells(row)

    def raw(self, row: int, column: int) -> str:
        """The cell as written; each reader says what "as written" means for it."""
        return self.grid.raw_text(row, column)

    def text(self, row: int, column: int | None) -> str:
        """A free text cell: as written, with "/" and "—" read as empty."""
        if column is None:
            return ""
        text = self.raw(row, column)
        return "" if text in EMPTY_TEXTS else text

    def number(self, row: int, column: int | None, what: str) -> Decimal | None:
        """An amount, weight or score as written ("12.5", "12.5万元", "10分"); a placeholder is empty.

        Unreadable or negative (no amount, weight or score of these tables is) is an ERROR naming the value.
        """
        if column is None:
            return None
        value = self.grid.value(row, column)
        number = parse_decimal(value)
        if number is None and value is not None:
            text = clean_text(value).replace(" ", "")
            if is_placeholder(text) or text in EMPTY_TEXTS:
                return None
            for suffix in ("万元", "分"):
                if text.endswith(suffix):
                    number = parse_decimal(text.removesuffix(suffix))
                    break
            if number is None:
                self.problem(ERROR, f"{what}“{self.raw(row, column)}”不是数字，无法导入。", row, column)
                return None
        if number is not None and (not number.is_finite() or abs(number) >= LARGEST_NUMBER):
            # Nothing these tables hold reaches 10^14 (万元 amounts keep 14 integer digits); 1e300 would only
            # fail later, in rounding or in the database.
            self.problem(
                ERROR, f"{what}“{self.raw(row, column)}”超出可保存的范围（整数部分过长），无法导入。", row, column
            )
            return None
        if number is not None and number < 0:
            self.problem(ERROR, f"{what}“{self.raw(row, column)}”是负数，无法导入。", row, column)
            return None
        return number

    def key(self, row: int, column: int) -> str:
        return label_key(self.grid.text(row, column))

    def range_end(self, row: int, column: int) -> int:
        """The last column of the merged range holding (row, column) in this row."""
        top_left = self.grid.merged.get((row, column))
        end = column
        while top_left is not None and self.grid.merged.get((row, end + 1)) == top_left:
            end += 1
        return end
