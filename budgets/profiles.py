"""The two rule profiles that ship with the application (SPEC §6), kept as data in builtin_profiles.json."""

import json
from decimal import Decimal
from pathlib import Path

BUILTIN_PROFILES_FILE = Path(__file__).with_name("builtin_profiles.json")

# The 反向 rule (SPEC §5.2) a profile of each layout starts with. No seed scores a 反向 indicator above its
# target, so this follows the texts: the national layout uses the national text's 指标值 ÷ 实际完成值 × 分值,
# the Sichuan layout the provincial systems' linear deduction (0 at twice the target). The admin may change it.
REVERSE_RULE_BY_LAYOUT = {"national": "ratio", "sichuan": "linear"}


def default_reverse_rule(layout: str) -> str:
    """The 反向 rule a profile of ``layout`` starts with (an unknown layout: the national text's)."""
    return REVERSE_RULE_BY_LAYOUT.get(layout, "ratio")


def load_builtin_profiles() -> list[dict]:
    return json.loads(BUILTIN_PROFILES_FILE.read_text(encoding="utf-8"))


def _dec(value):
    return None if value is None else Decimal(value)


def install_builtin_profiles(apps) -> None:
    """Create or refresh the shipped profiles. ``apps`` is a migration's app registry (or django.apps.apps).

    Existing profiles keep their own edits to scalar settings; taxonomy, fund sources and the department system
    are created only where missing, so an admin's additions survive. It is one function on purpose: migrations
    call it with their historical app registry, and every model it touches is looked up from that registry here.
    """
    RuleProfile = apps.get_model("budgets", "RuleProfile")
    ProfileLevel1 = apps.get_model("budgets", "ProfileLevel1")
    ProfileLevel2 = apps.get_model("budgets", "ProfileLevel2")
    ProfileFundSource = apps.get_model("budgets", "ProfileFundSource")
    DepartmentIndicator = apps.get_model("budgets", "DepartmentIndicator")

    # Migration 0002 runs this before the profile had a 反向 rule (0008 added it and set it by layout).
    has_reverse_rule = any(f.name == "reverse_rule" for f in RuleProfile._meta.get_fields())
    for data in load_builtin_profiles():
        excellent, good, fair = (Decimal(v) for v in data["grades"])
        reverse_rule = {"reverse_rule": default_reverse_rule(data["layout"])} if has_reverse_rule else {}
        profile, _ = RuleProfile.objects.get_or_create(
            code=data["code"],
            defaults={
                "name": data["name"],
                "description": data["description"],
                "layout": data["layout"],
                "total_points": Decimal(data["total_points"]),
                "budget_weight": Decimal(data["budget_weight"]),
                "grade_excellent_min": excellent,
                "grade_good_min": good,
                "grade_fair_min": fair,
                "over_achievement_ratio": Decimal(data["over_achievement_ratio"]),
                "target_too_low_ratio": Decimal(data["target_too_low_ratio"]),
                "execution_reason_threshold": Decimal(data["execution_reason_threshold"]),
                **reverse_rule,
            },
        )
        for order, level1_data in enumerate(data["level1"]):
            level1, _ = ProfileLevel1.objects.get_or_create(
                profile=profile,
                name=level1_data["name"],
                defaults={
                    "weight": _dec(level1_data["weight"]),
                    "required": level1_data.get("required", True),
                    "order": order,
                },
            )
            for order2, name in enumerate(level1_data["level2"]):
                ProfileLevel2.objects.get_or_create(level1=level1, name=name, defaults={"order": order2})
        for order, name in enumerate(data["fund_sources"]):
            ProfileFundSource.objects.get_or_create(profile=profile, name=name, defaults={"order": order})
        for order, item in enumerate(data["department_indicators"]):
            DepartmentIndicator.objects.get_or_create(
                profile=profile,
                level1=item["level1"],
                level2=item["level2"],
                name=item["name"],
                defaults={
                    "level1_points": Decimal(item["level1_points"]),
                    "level2_points": Decimal(item["level2_points"]),
                    "points": Decimal(item["points"]),
                    "explanation": item["explanation"],
                    "rule": item["rule"],
                    "formula": item["formula"],
                    "self_scored": item["self_scored"],
                    "order": order,
                },
            )
