"""The decimals every scoring rule takes and gives: input checks, half-up rounding to 2 places, points in words.

Shared by the scoring modules (scoring, grades, rule_checks, department_formulas). Floats are refused: a rule
takes ``Decimal`` (or ``int``) only. Pure Python, no Django.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


def as_decimal(value: object, name: str) -> Decimal:
    """Return ``value`` as a finite Decimal; floats and other types are refused (``name`` names it in the error)."""
    if isinstance(value, float):
        raise TypeError(f"{name}必须是 Decimal，不能是浮点数：{value!r}")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name}必须是 Decimal：{value!r}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{name}不是有效数值：{value}")
    return value


def non_negative(value: object, name: str) -> Decimal:
    """``as_decimal`` that also refuses a negative value."""
    value = as_decimal(value, name)
    if value < 0:
        raise ValueError(f"{name}不能为负数：{value}")
    return value


def count(value: object, name: str) -> int:
    """A non-negative ``int`` (a number of indicators or findings)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}必须是整数：{value!r}")
    if value < 0:
        raise ValueError(f"{name}不能为负数：{value}")
    return value


def round2(value: Decimal) -> Decimal:
    """Round half-up to 2 decimals (2.345 → 2.35)."""
    return as_decimal(value, "数值").quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """A value as the rules' messages print it: rounded half-up to 2 decimals (16 → "16.00")."""
    return format(round2(value), "f")


def is_blank(text: str | None) -> bool:
    return text is None or not text.strip()
