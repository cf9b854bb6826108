"""How amounts, rates and points are printed: one rule for pages, PDFs, Excel, findings, opinions and reports.

Every figure is rounded half-up to two places (SPEC §4.2, §5): 579.825 万元 prints 579.83 everywhere. Python's
own ``f"{Decimal:.2f}"`` rounds half-even (579.82), so no caller formats a figure itself.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PLACEHOLDER = "—"


def half_up(value: Decimal, quantum: Decimal = CENT) -> Decimal:
    """``value`` rounded half-up to ``quantum`` (two places by default): 2.345 → 2.35."""
    return Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)


def amount(value: Decimal | None, *, grouped: bool = True, empty: str = PLACEHOLDER) -> str:
    """万元 with two decimals, thousands separated in tables (1,010.00) and not in prose (1010.00)."""
    if value is None:
        return empty
    return f"{half_up(value):,.2f}" if grouped else f"{half_up(value):.2f}"


def percent(rate: Decimal | None, *, empty: str = PLACEHOLDER) -> str:
    """A fraction as a percentage with two decimals: 0.97455 → 97.46%."""
    return empty if rate is None else f"{half_up(Decimal(rate) * 100):.2f}%"


def points(value: Decimal | None, *, trim: bool = False, empty: str = "") -> str:
    """Points with two decimals (97.50), or as the seeds print them with ``trim`` (97.5, 10, 0)."""
    if value is None:
        return empty
    text = f"{half_up(value):.2f}"
    return text.rstrip("0").rstrip(".") if trim else text
