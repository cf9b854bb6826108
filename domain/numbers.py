"""Numbers as a decimal column keeps them (pure: no Django)."""

from decimal import ROUND_HALF_UP, Decimal


def fit(value: Decimal, *, places: int, digits: int) -> Decimal:
    """``value`` rounded half-up to ``places`` decimals, as a column of ``digits`` digits keeps it.

    Raises ValueError when the rounded number has more integer digits than the column holds (the database
    would refuse it, or SQLite would keep what it cannot compare).
    """
    fitted = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if abs(fitted) >= Decimal(10) ** (digits - places):
        raise ValueError(f"{value:f}")
    return fitted
