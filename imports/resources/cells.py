"""The cells of a flat template's rows: how a value as written becomes text, a year or a Decimal (never a float),
and the import-export widgets that clean each column with messages naming the column as the file heads it."""

import re
from datetime import date, datetime
from decimal import Decimal

from import_export import widgets

from domain.numbers import fit
from imports.resources.rows import STATE, RowState
from imports.wording import fold
from indicators.parsing import clean_text, is_placeholder, parse_decimal

_YEAR = re.compile(r"^(?P<year>\d{4})(?:\.0+)?(?:年度?)?$")
# A cell holding only a dash states "nothing here".
DASHES = {"/", "／", "—", "——", "-", "--", "－"}


def cell_text(value: object) -> str:
    """A cell as text, kept as written (no NFKC: that would turn Chinese ，（） into ASCII in prose)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(value, ".15g")
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def parse_year(value: object) -> int | None:
    """2024, "2024", "2024年", "２０２４年度" → 2024; None for anything that is not a plausible year."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        number = int(value) if value == int(value) else None
    else:
        match = _YEAR.match(fold(cell_text(value)))
        number = int(match["year"]) if match else None
    return number if number is not None and 2000 <= number <= 2100 else None


def fit_decimal(number: Decimal, *, label: str, text: str, places: int, digits: int, warn) -> Decimal:
    """``number`` as the database will keep it (``places`` decimals); a value that does not fit is refused."""
    try:
        fitted = fit(number, places=places, digits=digits)
    except ValueError:
        raise ValueError(f"“{label}”列的“{text}”数值过大，无法保存") from None
    if fitted != number:
        warn(f"“{label}”列的“{text}”超过 {places} 位小数，按 {fitted.normalize():f} 导入")
    return fitted


def parse_number(value: object, *, label: str, places: int, digits: int, warn, negative: bool = False):
    """A Decimal from a cell (number, text, full-width digits, "1,234.50", "100.00%"); None for blanks and "/"."""
    text = cell_text(value)
    if not text or is_placeholder(text):
        return None
    number = parse_decimal(value if not isinstance(value, str) else text)
    if number is None or isinstance(value, bool):
        raise ValueError(f"“{label}”列的“{text}”不是数字")
    if number < 0 and not negative:
        raise ValueError(f"“{label}”列的“{text}”是负数，这一列不能为负数")
    return fit_decimal(number, label=label, text=text, places=places, digits=digits, warn=warn)


# --- widgets ------------------------------------------------------------------------------------------------------


class _CellWidget(widgets.Widget):
    """A widget that knows its column (canonical header, and the header as written in the file for messages)."""

    column = ""
    label = ""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)

    def _state(self, row) -> RowState | None:
        return row.get(STATE) if row is not None else None

    def _warner(self, row):
        state = self._state(row)
        return (lambda message: state.warn(self.column, message)) if state else (lambda message: None)


class TextWidget(_CellWidget):
    """Text as written. A blank cell gives ``blank`` (None: "not stated"); a dash ("/", "—") gives ""."""

    def __init__(self, *, max_length: int | None = None, blank=None, normalise: bool = False):
        self.max_length = max_length
        self.blank = blank
        self.normalise = normalise

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return self.blank
        if text in DASHES:
            return ""
        if self.normalise:
            text = clean_text(text)
        if self.max_length and len(text) > self.max_length:
            raise ValueError(f"“{self.label}”列的内容有 {len(text)} 个字，超过了 {self.max_length} 个字的上限")
        return text


class NumberWidget(_CellWidget):
    """A Decimal with ``places`` decimals, through indicators.parsing (never float)."""

    def __init__(self, *, places: int, digits: int, negative: bool = False):
        self.places, self.digits, self.negative = places, digits, negative

    def clean(self, value, row=None, **kwargs):
        return parse_number(
            value,
            label=self.label,
            places=self.places,
            digits=self.digits,
            negative=self.negative,
            warn=self._warner(row),
        )


class ChoiceWidget(_CellWidget):
    """One of a few written forms mapped to a stored value; blank → None (not stated), a dash → ""."""

    def __init__(self, choices: dict[str, str], expected: str):
        self.choices = {fold(k): v for k, v in choices.items()}
        self.expected = expected

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        if text in DASHES:
            return ""
        try:
            return self.choices[fold(text)]
        except KeyError:
            raise ValueError(f"“{self.label}”列的“{text}”无法识别，应为 {self.expected}") from None


def points(**kwargs):
    """A widget for points (分值, 得分): 2 decimals, as the database keeps them."""
    return NumberWidget(places=2, digits=7, **kwargs)


def amount(**kwargs):
    """A widget for amounts in 万元: 6 decimals, as the database keeps them."""
    return NumberWidget(places=6, digits=20, **kwargs)
