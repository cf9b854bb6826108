"""Properties of the indicator value parser (issue 8, fuzzing): it never raises on any cell value, returns Decimals
(never floats) or None, and reads back every "sign number unit" text it is meant to understand."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain import signs
from indicators.parsing import (
    PLACEHOLDERS,
    Measure,
    clean_text,
    is_placeholder,
    parse_decimal,
    parse_measure,
    qualitative_label_from_text,
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SIGNS = {
    "≥": "≥",
    ">": ">",
    "=": "=",
    "≤": "≤",
    "<": "<",
    "＞": ">",
    "＜": "<",
    "＝": "=",
    ">=": "≥",
    "<=": "≤",
}
UNITS = ("%", "人", "万元", "元/台", "")
NORMAL_SIGNS = {signs.SIGN_GE, signs.SIGN_GT, signs.SIGN_EQ, signs.SIGN_LE, signs.SIGN_LT}
NORMAL_SIGNS.add(signs.SIGN_QUALITATIVE)
FULL_WIDTH_DIGITS = str.maketrans("0123456789.,%-+", "０１２３４５６７８９．，％－＋")

# Text that looks like a cell: full-width forms, CJK, signs, digits, separators, blanks of every width.
CELL_ALPHABET = "0123456789０１２３４５６７８９.,，．%％+-－≥≤><=＞＜＝≧≦定性元万人台/／ 　\t\n—无eE_"
cell_text = st.text(alphabet=CELL_ALPHABET, max_size=20) | st.text(max_size=30)
signed_text = st.builds(
    lambda sign, number, unit: f"{sign}{number}{unit}",
    st.sampled_from([*SIGNS, "定性", "", " "]),
    st.from_regex(r"[+-]?[0-9０-９]{1,6}([,，][0-9]{3})*([.．][0-9]{1,4})?", fullmatch=True),
    st.sampled_from([*UNITS, "％", " 人次", "e5", "_000"]),
)
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    cell_text,
    signed_text,
)
finite_decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=4)


def _plain(number: Decimal) -> str:
    return format(number, "f")


# --- never raises, right types ----------------------------------------------------------------------------------


@PROPERTY
@given(anything)
def test_the_text_helpers_never_raise_and_return_text(value):
    cleaned = clean_text(value)
    assert isinstance(cleaned, str)
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned) == cleaned
    assert isinstance(is_placeholder(value), bool)
    assert qualitative_label_from_text(value) in (*signs.QUALITATIVE_LABELS, "")


@PROPERTY
@given(anything)
def test_parse_decimal_never_raises_and_returns_a_decimal_or_none(value):
    number = parse_decimal(value)
    assert number is None or type(number) is Decimal


@PROPERTY
@given(st.one_of(cell_text, signed_text, st.integers(), finite_decimals))
def test_parse_decimal_of_text_and_exact_numbers_is_finite(value):
    number = parse_decimal(value)
    assert number is None or number.is_finite()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity")])
def test_parse_decimal_refuses_non_finite_numbers(value):
    assert parse_decimal(value) is None


@PROPERTY
@given(st.one_of(anything, signed_text))
def test_parse_measure_never_raises_and_returns_a_measure(value):
    measure = parse_measure(value)
    assert isinstance(measure, Measure)
    assert measure.sign is None or measure.sign in NORMAL_SIGNS
    assert measure.number is None or (type(measure.number) is Decimal and measure.number.is_finite())
    assert isinstance(measure.unit, str) and measure.unit == measure.unit.strip()
    assert measure.text == ("" if is_placeholder(value) else clean_text(value))


@pytest.mark.parametrize("text", ["==1", "≥=5", "≤=5%", "＝＝1"])
def test_a_doubled_sign_is_kept_as_text_not_a_number(text):
    measure = parse_measure(text)
    assert (measure.sign, measure.number, measure.text) == (None, None, clean_text(text))


# --- round trips -----------------------------------------------------------------------------------------------


@PROPERTY
@given(st.sampled_from(sorted(SIGNS)), finite_decimals, st.sampled_from(UNITS))
@example(">=", Decimal("95"), "%")
@example("＜", Decimal("-0.5"), "元/台")
def test_sign_number_unit_reads_back(sign, number, unit):
    measure = parse_measure(f"{sign}{_plain(number)}{unit}")
    assert (measure.sign, measure.number, measure.unit) == (SIGNS[sign], number, unit)


@PROPERTY
@given(st.sampled_from(sorted(SIGNS)), finite_decimals, st.sampled_from(UNITS))
def test_blanks_around_the_parts_do_not_matter(sign, number, unit):
    measure = parse_measure(f"　{sign} {_plain(number)} {unit}　")
    assert (measure.sign, measure.number, measure.unit) == (SIGNS[sign], number, unit)


@PROPERTY
@given(st.sampled_from(sorted(SIGNS)), finite_decimals, st.sampled_from(UNITS))
def test_full_width_digits_read_like_ascii_ones(sign, number, unit):
    ascii_text = f"{sign}{_plain(number)}{unit}"
    wide_text = f"{sign}{_plain(number).translate(FULL_WIDTH_DIGITS)}{unit}"
    ascii_measure, wide_measure = parse_measure(ascii_text), parse_measure(wide_text)
    assert (wide_measure.sign, wide_measure.number, wide_measure.unit) == (
        ascii_measure.sign,
        ascii_measure.number,
        ascii_measure.unit,
    )
    assert parse_decimal(_plain(number).translate(FULL_WIDTH_DIGITS)) == number


@PROPERTY
@given(finite_decimals, st.sampled_from(["", "≥", "＜"]), st.sampled_from(UNITS))
def test_thousands_separators_are_read(number, sign, unit):
    grouped = format(number, ",f")
    assert parse_decimal(grouped) == number
    assert parse_decimal(grouped.replace(",", "，")) == number
    measure = parse_measure(f"{sign}{grouped}{unit}")
    assert (measure.number, measure.unit) == (number, unit)


@PROPERTY
@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
@example(Decimal("100.00"))
def test_percentages_written_with_two_decimals(number):
    text = f"{number:.2f}%"
    assert parse_decimal(text) == number
    assert parse_decimal(text.translate(FULL_WIDTH_DIGITS)) == number
    measure = parse_measure(text)
    assert (measure.sign, measure.number, measure.unit) == (None, number, "%")


@PROPERTY
@given(finite_decimals)
def test_parse_decimal_reads_back_plain_numbers(number):
    assert parse_decimal(_plain(number)) == number
    assert parse_decimal(number) == number
    assert type(parse_decimal(int(number))) is Decimal


@PROPERTY
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_cell_gives_the_decimal_of_its_shortest_repr(value):
    number = parse_decimal(value)
    assert type(number) is Decimal
    assert number == Decimal(repr(value))
    assert float(number) == value


# --- placeholders and qualitative labels ---------------------------------------------------------------------


@PROPERTY
@given(st.sampled_from(sorted(PLACEHOLDERS | {"NULL", "None", "／", "——"})), st.sampled_from(["", " ", "　", "\t"]))
def test_placeholders_mean_nothing(placeholder, blank):
    text = f"{blank}{placeholder}{blank}"
    assert is_placeholder(text)
    assert parse_decimal(text) is None
    assert parse_measure(text) == Measure(sign=None, number=None, unit="", text="")
    assert qualitative_label_from_text(text) == ""


@PROPERTY
@given(st.sampled_from(signs.QUALITATIVE_LABELS), st.sampled_from(["", " ", "　", "\n"]))
def test_official_labels_are_recognised_through_blanks(label, blank):
    assert qualitative_label_from_text(f"{blank}{label}{blank}") == label


@PROPERTY
@given(st.text(alphabet="达成年度指标部分未效果较差完基本", min_size=1, max_size=12))
def test_a_recognised_wording_maps_to_one_official_label(text):
    label = qualitative_label_from_text(text)
    assert label in (*signs.QUALITATIVE_LABELS, "")
    if label:
        assert qualitative_label_from_text(label) == label
