"""Reading indicator cells as people write them."""

from decimal import Decimal

import pytest

from indicators.parsing import Measure, parse_decimal, parse_measure, qualitative_label_from_text


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("≥95%", Measure(sign="≥", number=Decimal("95"), unit="%", text="≥95%")),
        ("≤3000000元", Measure(sign="≤", number=Decimal("3000000"), unit="元", text="≤3000000元")),
        ("＞＝１００人", Measure(sign="≥", number=Decimal("100"), unit="人", text=">=100人")),
        ("＝1", Measure(sign="=", number=Decimal("1"), unit="", text="=1")),
        ("100.00%", Measure(sign=None, number=Decimal("100.00"), unit="%", text="100.00%")),
        ("1,200 平方米", Measure(sign=None, number=Decimal("1200"), unit="平方米", text="1,200 平方米")),
        ("≤核定单位数量", Measure(sign=None, number=None, unit="", text="≤核定单位数量")),
        ("较高", Measure(sign=None, number=None, unit="", text="较高")),
        ("/", Measure(sign=None, number=None, unit="", text="")),
        (None, Measure(sign=None, number=None, unit="", text="")),
    ],
)
def test_parse_measure_splits_sign_number_and_unit(cell, expected):
    assert parse_measure(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("579.83", Decimal("579.83")),
        (579.83, Decimal("579.83")),
        (10, Decimal("10")),
        ("１２.５", Decimal("12.5")),
        ("14.50%", Decimal("14.50")),
        ("—", None),
        ("", None),
        ("abc", None),
        (True, None),
    ],
)
def test_parse_decimal_reads_numbers_stored_as_text_or_float(cell, expected):
    assert parse_decimal(cell) == expected


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("达成预期指标", "达成年度指标"),
        ("达成年度指标", "达成年度指标"),
        ("部分达成", "部分达成年度指标并具有一定效果"),
        ("未达成年度指标且效果较差", "未达成年度指标且效果较差"),
        ("较高", ""),
        ("", ""),
    ],
)
def test_qualitative_texts_map_to_an_official_label_only_when_unambiguous(text, label):
    assert qualitative_label_from_text(text) == label
