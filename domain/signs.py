"""How an indicator is written: its 指标性质 (the six signs, in any written form) and the three 定性 labels.

Pure Python, no Django. The scoring rules (domain.scoring) and the checks (domain.rule_checks) read these.
"""

SIGN_GE, SIGN_GT, SIGN_EQ, SIGN_LE, SIGN_LT, SIGN_QUALITATIVE = "≥", ">", "=", "≤", "<", "定性"
POSITIVE_SIGNS = (SIGN_GE, SIGN_GT)
REVERSE_SIGNS = (SIGN_LE, SIGN_LT)

LABEL_ACHIEVED = "达成年度指标"
LABEL_PARTIAL = "部分达成年度指标并具有一定效果"
LABEL_NOT_ACHIEVED = "未达成年度指标且效果较差"
QUALITATIVE_LABELS = (LABEL_ACHIEVED, LABEL_PARTIAL, LABEL_NOT_ACHIEVED)

_SIGN_FORMS = {"=": SIGN_EQ, ">": SIGN_GT, "<": SIGN_LT, "定性": SIGN_QUALITATIVE}
_SIGN_FORMS |= dict.fromkeys((">=", "≥", "≧"), SIGN_GE) | dict.fromkeys(("<=", "≤", "≦"), SIGN_LE)
_FULL_WIDTH = str.maketrans({"＝": "=", "＞": ">", "＜": "<", "　": ""})


def normalise_sign(text: str | None) -> str | None:
    """Map any written form of 指标性质 (full-width, ``>=``) to one of the six signs; blank → None."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(f"指标性质必须是文本：{text!r}")
    key = text.translate(_FULL_WIDTH).strip()
    if not key:
        return None
    if key not in _SIGN_FORMS:
        raise ValueError(f"无法识别的指标性质“{text}”，应为 ≥、>、=、≤、< 或 定性")
    return _SIGN_FORMS[key]


def required_sign(sign: str) -> str:
    """``normalise_sign`` for a rule that cannot score without a sign: blank is refused."""
    normalised = normalise_sign(sign)
    if normalised is None:
        raise ValueError("指标性质为空，无法计算得分")
    return normalised


def scoring_sign(sign: str | None, target: object) -> str:
    """The sign a row is scored by: its own, or 正向 (≥) where none is written and the 年度指标值 is a number.

    National tables often print a bare "100", "43.2" or "100%" with no 计算符号; the stored row keeps its empty
    sign (as published) and is scored as 正向, which a quality finding tells the unit (issue 16)."""
    if sign:
        return sign
    return SIGN_GE if target is not None else ""


def unknown_label_message(label: str) -> str:
    return f"无法识别的定性指标完成情况“{label}”，应为：{'、'.join(QUALITATIVE_LABELS)}"
