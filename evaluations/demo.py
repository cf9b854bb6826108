"""Demo data from the five seed documents (evaluations/demo_data/seed_*.json), loaded idempotently.

What the seeds claim (scores, grades, totals) is stored exactly as published in the claimed_* fields; the
computed values sit beside them, so published inconsistencies stay visible.
"""

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from accounts.models import Organisation, User
from budgets.models import BudgetLine, FiscalYear, Project, RuleProfile
from domain import signs
from evaluations.department_wide.services import department_evaluation_recalculate
from evaluations.models import (
    DepartmentEvaluation,
    DepartmentScoreItem,
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    SpotCheckSample,
)
from evaluations.richtext import sanitise_opinion
from evaluations.workflow.services import evaluation_recalculate
from indicators.models import Indicator, LibraryIndicator
from indicators.parsing import is_layout_row, parse_decimal, parse_measure, qualitative_label_from_text
from policy.locks import year_unlocked

DEMO_DATA_DIR = Path(__file__).with_name("demo_data")
DEMO_PASSWORD = "demo1234"  # noqa: S105 - the published demo password of the README
IMPORT_COMMENT = "导入演示数据（公开发布的自评文件）"

# Accounts per seed: (username, role, organisation name or None for the bureau, full name).
MAIN_ACCOUNTS = [
    ("admin", User.Role.ADMIN, None, "系统管理员"),
    ("finance", User.Role.FINANCE_REVIEWER, None, "财政审核员"),
    ("dept", User.Role.DEPARTMENT_REVIEWER, "东莞市人力资源和社会保障局", "人社局审核人"),
    ("unit", User.Role.UNIT_FILLER, "东莞市技师学院", "技师学院填报人"),
    ("unit2", User.Role.UNIT_FILLER, "东莞市社会保险基金管理中心", "社保基金中心填报人"),
]
OTHER_SEED_PREFIXES = {"001": "lieshan", "002": "lukou", "003": "panyu", "004": "anju"}

# The factual first paragraph of a seed 000 opinion carries the project's budget figures.
OPINION_BUDGET = re.compile(
    r"年初预算金额(?P<initial>[\d.]+)万元[，,]\s*(?:实际下达|调整后)预算金额(?P<adjusted>[\d.]+)万元[，,]"
    r"(?:.*?)实际支出金额(?P<executed>[\d.]+)万元"
)
DEPARTMENT_WIDE_NAME = "部门整体支出绩效自评"
# An open year for the main demo installation, so units have something to fill.
OPEN_DEMO_YEAR = 2025


@dataclass
class LoadReport:
    organisations: int = 0
    projects: int = 0
    indicators: int = 0
    department_evaluations: int = 0
    reviews: int = 0
    users: list[str] = field(default_factory=list)


def _dec(value) -> Decimal | None:
    return parse_decimal(value)


def _rate(value) -> Decimal | None:
    """A published rate such as "14.50%" as a fraction (0.145)."""
    number = parse_decimal(value)
    if number is None:
        return None
    return number / 100 if str(value).strip().endswith("%") else number


def _text(value) -> str:
    return (value or "").strip()


def seed_files() -> list[Path]:
    return sorted(DEMO_DATA_DIR.glob("seed_*.json"))


def _organisations(data, report) -> tuple[Organisation, dict[str, Organisation]]:
    bureau, created = Organisation.objects.get_or_create(
        name=data["finance_bureau"], parent=None, defaults={"kind": Organisation.Kind.FINANCE_BUREAU}
    )
    report.organisations += created
    by_name = {}
    for department_data in data["departments"]:
        department, created = Organisation.objects.get_or_create(
            name=department_data["name"], parent=bureau, defaults={"kind": Organisation.Kind.DEPARTMENT}
        )
        report.organisations += created
        by_name[department.name] = department
        for unit_name in department_data["units"]:
            if unit_name == department.name:
                continue
            unit, created = Organisation.objects.get_or_create(
                name=unit_name, parent=department, defaults={"kind": Organisation.Kind.UNIT}
            )
            report.organisations += created
            by_name[unit.name] = unit
    return bureau, by_name


def _fiscal_year(bureau, data, status) -> FiscalYear:
    year, _ = FiscalYear.objects.get_or_create(
        finance_bureau=bureau,
        year=data["fiscal_year"],
        defaults={"profile": RuleProfile.objects.get(code=data["profile"]), "status": status},
    )
    return year


def _indicator_fields(row) -> dict:
    sign = signs.normalise_sign(row["sign"]) if row["sign"] else ""
    target = parse_measure(row["target"])
    if not sign and target.sign:
        sign = target.sign
    actual = parse_measure(row["actual"])
    label = qualitative_label_from_text(row["actual"]) if sign == signs.SIGN_QUALITATIVE else ""
    return {
        "level1": row["level1"],
        "level2": row["level2"],
        "name": _text(row["name"]),
        "sign": sign or "",
        "target_text": _text(row["target"]),
        "target_value": target.number if sign != signs.SIGN_QUALITATIVE else None,
        "unit": _text(row["unit"]) or target.unit,
        "actual_text": _text(row["actual"]),
        "actual_value": actual.number if sign != signs.SIGN_QUALITATIVE else None,
        "actual_label": label,
        "weight": _dec(row["weight"]),
        "claimed_score": _dec(row["score"]),
        "deviation_reason": _text(row["deviation_reason"]),
    }


def _record_import_transition(evaluation, to_status):
    if not evaluation.transitions.exists():
        EvaluationTransition.objects.create(
            evaluation=evaluation,
            from_status=ProjectEvaluation.Status.DRAFT,
            to_status=to_status,
            actor=None,
            comment=IMPORT_COMMENT,
        )


def _evaluation(
    project, *, status, claimed_total=None, claimed_grade="", claimed_budget_score=None, rate=None, report_sections=None
) -> ProjectEvaluation:
    evaluation, _ = ProjectEvaluation.objects.update_or_create(
        project=project,
        defaults={
            "status": status,
            "claimed_total": claimed_total,
            "claimed_grade": claimed_grade or "",
            "claimed_budget_score": claimed_budget_score,
            "stated_execution_rate": rate,
            "report_sections": report_sections or {},
        },
    )
    _record_import_transition(evaluation, status)
    return evaluation_recalculate(evaluation=evaluation)


def _load_project(year, units, row, report, *, status, profile) -> Project:
    unit = units[row["unit"]]
    fields = {
        "code": _text(row["code"]),
        "project_type": {"常年项目": "recurring", "一次性项目": "one_off"}.get(row["project_type"] or "", ""),
        "manager": _text(row["manager"]),
        "finance_manager": _text(row["finance_manager"]),
        "phone": _text(row["phone"]),
        "background": _text(row["background"]),
        "content": _text(row["content"]),
        "goal_expected": _text(row["goal_expected"]),
        "goal_actual": _text(row["goal_actual"]),
        "execution_reason": _text(row["execution_reason"]),
        "conclusion": _text(row["conclusion"]),
        "problems": _text(row["problems"]),
        "improvements": _text(row["improvements"]),
        "summary": _text(row["summary"]),
        "sort_order": row["order"],
    }
    project, _ = Project.objects.update_or_create(fiscal_year=year, unit=unit, name=row["name"], defaults=fields)
    report.projects += 1
    # Budget lines and indicators are replaced whole: the seed is the truth for demo records.
    project.budget_lines.all().delete()
    sources = [fs.name for fs in profile.fund_sources.all()]
    BudgetLine.objects.bulk_create(
        BudgetLine(
            project=project,
            fund_source=fund["source"],
            order=sources.index(fund["source"]) if fund["source"] in sources else len(sources) + n,
            initial_wan=_dec(fund["initial"]),
            adjusted_wan=_dec(fund["adjusted"]),
            executed_wan=_dec(fund["executed"]),
        )
        for n, fund in enumerate(row["funds"])
    )
    project.indicators.all().delete()
    # The seed prints empty 二级 categories too: layout, not indicators (as the importer reads them).
    rows = [ind for ind in row["indicators"] if not is_layout_row(ind.get("name"), ind.get("weight"))]
    Indicator.objects.bulk_create(
        Indicator(project=project, order=n, **_indicator_fields(ind)) for n, ind in enumerate(rows)
    )
    report.indicators += len(rows)
    total_row = row["total_row"] or {}
    _evaluation(
        project,
        status=status,
        claimed_total=_dec(row["published_total"]),
        claimed_grade=row["published_grade"] or "",
        claimed_budget_score=_dec(total_row.get("score")),
        rate=_rate(total_row.get("rate")),
        report_sections=row.get("report"),
    )
    return project


def _summary_row_target(year, unit, row, opinion: str, report) -> dict:
    """The record a summary row reports on, created or updated: {"department_evaluation" | "evaluation": it}."""
    # The opinion opens with the record's budget (row 1: 年初 147472.07 → 调整后 105150.54, 执行 96783.01).
    match = OPINION_BUDGET.search(opinion)
    if row["project_name"] == DEPARTMENT_WIDE_NAME:
        target, _ = DepartmentEvaluation.objects.update_or_create(
            fiscal_year=year,
            department=unit,
            defaults={
                "claimed_grade": row["self_grade"],
                "sort_order": row["order"],
                "status": DepartmentEvaluation.Status.APPROVED,
            },
        )
        report.department_evaluations += 1
        if match and (target.initial_wan, target.adjusted_wan, target.executed_wan) == (None, None, None):
            target.initial_wan = Decimal(match["initial"])
            target.adjusted_wan = Decimal(match["adjusted"])
            target.executed_wan = Decimal(match["executed"])
            target.save(update_fields=["initial_wan", "adjusted_wan", "executed_wan", "updated_at"])
        return {"department_evaluation": target}
    project, _ = Project.objects.update_or_create(
        fiscal_year=year, unit=unit, name=row["project_name"], defaults={"sort_order": row["order"]}
    )
    report.projects += 1
    if match and not project.budget_lines.exists():
        BudgetLine.objects.create(
            project=project,
            fund_source=year.profile.fund_sources.first().name,
            initial_wan=Decimal(match["initial"]),
            adjusted_wan=Decimal(match["adjusted"]),
            executed_wan=Decimal(match["executed"]),
        )
    status = ProjectEvaluation.Status.SPOT_CHECKED if row["finance_grade"] else ProjectEvaluation.Status.APPROVED
    return {"evaluation": _evaluation(project, status=status, claimed_grade=row["self_grade"])}


def _load_summary_rows(year, bureau, units, rows, report):
    """Seed 000: the municipal summary sheet — self grades, finance grades and opinions, in their 序号 order."""
    reviewed = [row for row in rows if row["finance_grade"]]
    sample, _ = SpotCheckSample.objects.get_or_create(
        fiscal_year=year,
        defaults={
            "ratio": (Decimal(len(reviewed)) / Decimal(len(rows))).quantize(Decimal("0.000001")),
            "rules": [],
            "random_seed": 0,
            "note": "按已发布的汇总表导入，非系统抽取。",
        },
    )
    for row in rows:
        opinion = sanitise_opinion(row["opinion_html"])
        lookup = _summary_row_target(year, units[row["unit"]], row, opinion, report)
        if row["finance_grade"]:
            FinanceReview.objects.update_or_create(
                **lookup,
                defaults={
                    "sample": sample,
                    "selection": FinanceReview.Selection.IMPORTED,
                    "status": FinanceReview.Status.COMPLETED,
                    "grade": row["finance_grade"],
                    "opinion_html": opinion,
                },
            )
            report.reviews += 1


def _load_department_evaluation(year, units, row, report):
    department = units[row["department"]]
    budget = row["budget"] or {}
    evaluation, _ = DepartmentEvaluation.objects.update_or_create(
        fiscal_year=year,
        department=department,
        defaults={
            "status": DepartmentEvaluation.Status.PUBLISHED,
            "initial_wan": _dec(budget.get("initial")),
            "adjusted_wan": _dec(budget.get("adjusted")),
            "executed_wan": _dec(budget.get("executed")),
            "basic_expenditure_wan": _dec(budget.get("basic")),
            "project_expenditure_wan": _dec(budget.get("project")),
            "goal": _text(row["goal"]),
            "performance_narrative": _text(row["performance_narrative"]),
            "management_narrative": _text(row["management_narrative"]),
            "conclusion": _text(row["conclusion"]),
            "problems": _text(row["problems"]),
            "improvements": _text(row["improvements"]),
            "claimed_total": _dec(row["published_total"]),
        },
    )
    report.department_evaluations += 1
    definitions = {d.name: d for d in year.profile.department_indicators.all()}
    for item in row["items"]:
        definition = definitions.get(item["name"])
        if definition is None:
            raise ValueError(f"演示数据的部门整体指标“{item['name']}”不在规则方案“{year.profile}”中。")
        DepartmentScoreItem.objects.update_or_create(
            evaluation=evaluation,
            indicator=definition,
            defaults={"claimed_score": _dec(item["score"]), "note": _text(item["note"])},
        )
    department_evaluation_recalculate(evaluation=evaluation)


def _accounts(seed, bureau, units, report):
    if seed == "000":
        accounts = MAIN_ACCOUNTS
    else:
        prefix = OTHER_SEED_PREFIXES[seed]
        department = next(org for org in units.values() if org.kind == Organisation.Kind.DEPARTMENT)
        accounts = [
            (f"{prefix}-finance", User.Role.FINANCE_REVIEWER, None, f"{bureau.name}审核员"),
            (f"{prefix}-dept", User.Role.DEPARTMENT_REVIEWER, department.name, f"{department.name}审核人"),
            (f"{prefix}-unit", User.Role.UNIT_FILLER, department.name, f"{department.name}填报人"),
        ]
    for username, role, organisation_name, full_name in accounts:
        organisation = units[organisation_name] if organisation_name else bureau
        user, created = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "organisation": organisation,
                "full_name": full_name,
                "is_staff": role == User.Role.ADMIN,
                "is_superuser": False,
                "is_active": True,
            },
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        report.users.append(username)


def _fill_library():
    """Offer every named demo indicator in the 指标库, so units can pick rather than type."""
    seen = set(LibraryIndicator.objects.values_list("level1", "level2", "name"))
    new = []
    for ind in Indicator.objects.exclude(name="").order_by("pk"):
        key = (ind.level1, ind.level2, ind.name)
        if key in seen:
            continue
        seen.add(key)
        new.append(
            LibraryIndicator(
                level1=ind.level1,
                level2=ind.level2,
                name=ind.name,
                sign=ind.sign,
                unit=ind.unit,
                suggested_target=ind.target_text,
            )
        )
    LibraryIndicator.objects.bulk_create(new)


@transaction.atomic
def load_demo() -> LoadReport:
    """Load every seed file; running it again changes nothing."""
    report = LoadReport()
    for path in seed_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        seed = data["seed"]
        bureau, units = _organisations(data, report)
        # Seed 000's year is still under finance review; the other seeds are published documents.
        year_status = FiscalYear.Status.CLOSED if seed == "000" else FiscalYear.Status.PUBLISHED
        year = _fiscal_year(bureau, data, year_status)
        project_status = ProjectEvaluation.Status.PUBLISHED
        # The seeds are published documents: their years are loaded as they were published, so the loader
        # writes into them like the year's own transitions do (policy.locks); a second run changes nothing.
        with year_unlocked(year):
            for row in data["projects"]:
                _load_project(year, units, row, report, status=project_status, profile=year.profile)
            if data.get("summary_rows"):
                _load_summary_rows(year, bureau, units, data["summary_rows"], report)
            for row in data["department_evaluations"]:
                _load_department_evaluation(year, units, row, report)
        if seed == "000":
            FiscalYear.objects.get_or_create(
                finance_bureau=bureau,
                year=OPEN_DEMO_YEAR,
                defaults={"profile": year.profile, "status": FiscalYear.Status.OPEN},
            )
        _accounts(seed, bureau, units, report)
    _fill_library()
    return report
