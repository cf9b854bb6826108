"""Reading the values people write into indicator cells: "≥95%", "≤3000000元", "１００", "100.00%", "/"."""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain import signs

# Cells that mean "nothing here" in published tables.
PLACEHOLDERS = {"", "/", "／", "—", "——", "-", "--", "无", "null", "none"}

_MEASURE = re.compile(r"^(?P<sign>[≥≤><=]=?|定性)?\s*(?P<number>[+-]?\d+(?:,\d{3})*(?:\.\d+)?)\s*(?P<unit>[^\d\s].*)?$")


@dataclass(frozen=True)
class Measure:
    sign: str | None
    number: Decimal | None
    unit: str
    text: str


def clean_text(value: object) -> str:
    """Full-width forms folded to ASCII (NFKC), surrounding blanks removed; None → ""."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def is_placeholder(value: object) -> bool:
    return clean_text(value).lower() in PLACEHOLDERS


# Names a form prints where the unit writes its indicators: "指标1", "指标 2：", "三级指标3", "指标1：/", "……".
TEMPLATE_INDICATOR_NAME = re.compile(r"^((三级)?指标\d{0,2}[:：]?[/／—-]*|[…．.。]{2,})$")


def is_template_name(name: object) -> bool:
    return bool(TEMPLATE_INDICATOR_NAME.match(re.sub(r"\s+", "", clean_text(name))))


def is_layout_row(name: object, weight: object) -> bool:
    """A grid row with no indicator name of its own (blank, a placeholder or the form's "指标1") and no weight is
    the form's layout — a 二级 category printed with nothing under it, a leftover line — not an indicator."""
    return (is_placeholder(name) or is_template_name(name)) and parse_decimal(weight) is None


def parse_decimal(value: object) -> Decimal | None:
    """A number from a cell (int, Decimal, text with thousands separators or a trailing %); None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        number = Decimal(value)
        return number if number.is_finite() else None
    if isinstance(value, float):
        # openpyxl hands numeric cells over as floats; their shortest repr is what the user typed.
        number = Decimal(repr(value))
        return number if number.is_finite() else None
    text = clean_text(value).replace(",", "")
    if not text or is_placeholder(text):
        return None
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return number


def parse_measure(value: object) -> Measure:
    """Split a cell such as "≥95%" into sign "≥", number 95 and unit "%"; anything else keeps only its text."""
    text = clean_text(value)
    if is_placeholder(text):
        return Measure(sign=None, number=None, unit="", text="")
    match = _MEASURE.match(text)
    if not match:
        return Measure(sign=None, number=None, unit="", text=text)
    try:
        sign = signs.normalise_sign(match["sign"]) if match["sign"] else None
    except ValueError:  # "≥=5", "==1": not a sign anyone writes; kept as text for the writer to fix
        return Measure(sign=None, number=None, unit="", text=text)
    number = Decimal(match["number"].replace(",", ""))
    return Measure(sign=sign, number=number, unit=(match["unit"] or "").strip(), text=text)


# Wordings of the three official 定性 labels seen in published tables (seed 001 writes "达成预期指标").
_QUALITATIVE_WORDINGS = {
    signs.LABEL_ACHIEVED: (
        "达成年度指标",
        "达成预期指标",
        "已达成",
        "达成",
        "全部达成",
        "完成",
        "已完成",
        "全部完成",
    ),
    signs.LABEL_PARTIAL: ("部分达成年度指标并具有一定效果", "部分达成", "基本达成", "基本完成", "部分完成"),
    signs.LABEL_NOT_ACHIEVED: ("未达成年度指标且效果较差", "未达成", "未完成", "效果较差"),
}


def qualitative_label_from_text(value: object) -> str:
    """The official label a qualitative actual means, or "" when the wording is unknown or ambiguous."""
    text = clean_text(value)
    if not text:
        return ""
    for label, wordings in _QUALITATIVE_WORDINGS.items():
        if text in wordings:
            return label
    return ""
