"""Fill an empty database with a whole city for the load test (bench/): 100 departments, 1,000 budget units,
10,000 projects with 100,000 indicators in the states of a spring rush, a finance spot-check sample and one
account per unit, per department and a few finance reviewers.

The data is made up (a fictional 云川市) in the shape of the seed documents: the national profile's fund rows,
three-level indicators from its taxonomy, scores computed by evaluations.scorecard exactly as the form would
store them. Everything is written with bulk_create in one transaction, so a failed run leaves nothing behind.
It refuses a database that already holds organisations, projects or users, and runs only with ``--yes``.

Usage: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_load python bench/scale_city.py --yes`` (it is
load-test tooling, not part of the application: it lives in bench/ and sets Django up itself).
"""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script: Django is set up before the models below are imported.
    import django

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

import random
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import Organisation, User
from budgets.models import BudgetLine, FiscalYear, ProfileLevel1, Project, RuleProfile
from domain import decimals, grades, scoring, signs
from evaluations.models import (
    EvaluationTransition,
    FinanceReview,
    ProjectEvaluation,
    SpotCheckSample,
)
from evaluations.richtext import sanitise_opinion
from evaluations.scorecard import indicator_result, score_rows
from history.context import acting_as
from indicators.models import Indicator, LibraryIndicator

LOAD_PASSWORD = "load1234"  # noqa: S105 - the documented password of a throwaway load-test database
CITY = "云川市"
YEAR = 2024
BATCH = 2000

# Account names the locust scenario logs in with (bench/locustfile.py): unit0001…, dept001…, finance01….
UNIT_USERNAME = "unit{:04d}"
DEPARTMENT_USERNAME = "dept{:03d}"
FINANCE_USERNAME = "finance{:02d}"


def _words(text: str) -> list[str]:
    """A list written as whitespace-separated words: a hundred short names read better as a block."""
    return text.split()


DEPARTMENT_NAMES = _words("""
市委办公室 市人大常委会办公室 市人民政府办公室 市政协办公室 市纪委监委机关 市委组织部
市委宣传部 市委统战部 市委政法委员会 市委政策研究室 市委机构编制委员会办公室 市委网络安全和信息化委员会办公室
市直属机关工作委员会 市委党校 市委老干部局 市发展和改革局 市教育局 市科学技术局
市工业和信息化局 市公安局 市民政局 市司法局 市人力资源和社会保障局 市自然资源局
市生态环境局 市住房和城乡建设局 市交通运输局 市水务局 市农业农村局 市商务局
市文化广电旅游体育局 市卫生健康局 市退役军人事务局 市应急管理局 市审计局 市国有资产监督管理委员会
市市场监督管理局 市统计局 市医疗保障局 市城市管理和综合执法局 市林业局 市人民防空办公室
市信访局 市政务服务和数据管理局 市投资促进局 市港务局 市机关事务管理局 市民族宗教事务局
市外事局 市粮食和物资储备局 市乡村振兴局 市气象局 市档案馆 市地方志办公室
市总工会 共青团市委 市妇女联合会 市科学技术协会 市文学艺术界联合会 市社会科学界联合会
市残疾人联合会 市红十字会 市工商业联合会 市归国华侨联合会 市中级人民法院 市人民检察院
市公共资源交易中心 市住房公积金管理中心 市融媒体中心 市供销合作社联合社 市消防救援支队 市城市规划设计研究院
市图书馆 市博物馆 市疾病预防控制中心 市人民医院 市中医院 市妇幼保健院
市第一中学 市职业技术学院 市广播电视大学 市体育运动学校 市社会福利院 市救助管理站
市公路事务中心 市水文站 市农业科学研究所 市动物疫病预防控制中心 市不动产登记中心 市环境监测站
市建设工程质量安全监督站 市园林绿化中心 市环境卫生管理处 市公共交通集团 市保安服务公司 市粮食储备库
市会展中心 市招商服务中心 市金融工作局 市营商环境建设局
""")
UNIT_SUFFIXES = _words("""
机关服务中心 信息中心 综合事务中心 执法支队 研究所 培训中心 监测站 档案资料室 后勤保障中心
""")
PROJECT_THEMES = _words("""
信息化系统运维经费 业务培训专项经费 政策宣传专项经费 办公场所租赁经费 专项课题研究经费
设备购置及更新 安全生产专项经费 法律顾问服务经费 档案数字化建设 应急物资储备经费
网络安全等级保护 公共服务能力提升 基层工作经费补助 重点项目前期工作经费 统计调查专项经费
执法装备购置经费 志愿服务活动经费 人才引进专项资金 课题调研及评审经费 政府购买服务经费
会议及接待保障经费 公务用车运行维护 老字号扶持资金 就业创业补贴资金 职业技能提升行动资金
社区服务体系建设 环境整治专项资金 农田水利设施维护 疫病防控专项经费 校园安全建设经费
文体活动专项经费 困难群众救助资金 科技创新券补助 企业技术改造奖补 数据共享平台建设
市容环境提升工程 河道清淤及管护 公共卫生服务补助 消防设施维护经费 质量监督抽检经费
""")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红文辉建国志海燕晓东"

# The indicator library of the load city: (一级, 二级, 三级, sign, target number or text, unit).
LIBRARY = {
    "数量指标": [
        ("培训人次", "≥", "3000", "人次"), ("补贴发放户数", "≥", "1200", "户"), ("完成项目数量", "≥", "15", "个"),
        ("设备采购数量", "=", "40", "台"), ("检查覆盖单位数", "≥", "200", "家"), ("宣传活动场次", "≥", "12", "场"),
        ("服务对象人数", "≥", "5000", "人"), ("系统运维时长", "≥", "12", "月"),
    ],
    "质量指标": [
        ("经费支出合规率", "≥", "100", "%"), ("验收合格率", "≥", "95", "%"), ("培训合格率", "≥", "90", "%"),
        ("数据准确率", "≥", "98", "%"), ("系统正常运行率", "≥", "99", "%"),
    ],
    "时效指标": [
        ("按时完成率", "=", "100", "%"), ("资金拨付及时率", "≥", "95", "%"), ("项目完成时限", "≤", "12", "个月"),
    ],
    "成本指标": [
        ("人均培训成本", "≤", "1200", "元"), ("项目单项成本", "≤", "300", "万元"),
        ("单台设备采购成本", "≤", "5.5", "万元/台"), ("年度运维费用", "≤", "80", "万元"),
    ],
    "社会效益指标": [
        ("带动就业人数", "≥", "500", "人"), ("政策知晓率", "≥", "85", "%"), ("办事时长缩短比例", "≥", "20", "%"),
        ("政策宣传效果", "定性", "效果明显", ""), ("群众获得感", "定性", "明显提升", ""),
    ],
    "经济效益指标": [("人均增收", "≥", "2000", "元"), ("带动社会投资", "≥", "500", "万元")],
    "生态效益指标": [("节能减排率", "≥", "5", "%"), ("绿化覆盖率", "≥", "40", "%")],
    "可持续影响指标": [
        ("长效管理机制", "定性", "建立并有效运行", ""), ("设施持续使用年限", "≥", "5", "年"),
    ],
    "服务对象满意度指标": [("服务对象满意度", "≥", "90", "%"), ("群众满意度", "≥", "85", "%")],
}  # fmt: skip
LEVEL1_OF = {
    **dict.fromkeys(["数量指标", "质量指标", "时效指标", "成本指标"], "产出指标"),
    **dict.fromkeys(["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"], "效益指标"),
    "服务对象满意度指标": "满意度指标",
}
# Ten rows per project whose weights add up to the national profile's 产出 50, 效益 30, 满意度 10.
SLOTS = [
    ("数量指标", 10), ("数量指标", 10), ("质量指标", 10), ("时效指标", 10), ("成本指标", 10),
    ("社会效益指标", 10), ("经济效益指标|生态效益指标|社会效益指标", 10), ("可持续影响指标", 10),
    ("服务对象满意度指标", 5), ("服务对象满意度指标", 5),
]  # fmt: skip

Status = ProjectEvaluation.Status
# A spring rush a few weeks before the deadline: (status, share of projects).
STATUS_SHARES = [
    (Status.DRAFT, 35),
    (Status.RETURNED, 5),
    (Status.SUBMITTED, 30),
    (Status.APPROVED, 27),
    (Status.SPOT_CHECKED, 3),
]
RETURN_REASONS = [
    "预算执行率低于90%，请补充说明执行率偏低的原因。",
    "部分指标偏差原因未填写，请补充。",
    "满意度指标缺少调查方式说明，请完善后重新提交。",
    "年度总体目标实际完成情况过于笼统，请量化说明。",
]
CENT = Decimal("0.01")
# How finely an actual is reported: whole people, days and pieces; percentages to one decimal.
COUNTED_UNITS = {
    **dict.fromkeys(["人", "人次", "户", "个", "台", "家", "场", "月", "个月", "年"], Decimal(1)),
    "%": Decimal("0.1"),
}


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


class City:
    """The generator: one random stream, so the same --seed always builds the same city."""

    def __init__(self, *, seed: int, stdout):
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrecy
        self.stdout = stdout
        self.counts: dict[str, int] = {}
        self.serial = 0

    def log(self, message):
        self.stdout.write(message)
        self.stdout.flush()

    def bulk(self, model, objs):
        created = model.objects.bulk_create(objs, batch_size=BATCH)
        self.counts[model._meta.verbose_name] = self.counts.get(model._meta.verbose_name, 0) + len(created)
        return created

    # --- organisations and accounts ---------------------------------------------------------------------

    def organisations(self, department_names, unit_suffixes):
        (bureau,) = self.bulk(Organisation, [Organisation(name=f"{CITY}财政局", kind=Organisation.Kind.FINANCE_BUREAU)])
        departments = self.bulk(
            Organisation,
            [
                Organisation(name=CITY + name[1:], kind=Organisation.Kind.DEPARTMENT, parent=bureau, code=f"D{n:03d}")
                for n, name in enumerate(department_names, start=1)
            ],
        )
        units = self.bulk(
            Organisation,
            [
                Organisation(
                    name=f"{department.name}{suffix}",
                    kind=Organisation.Kind.UNIT,
                    parent=department,
                    code=f"{department.code}U{n}",
                )
                for department in departments
                for n, suffix in enumerate(unit_suffixes, start=1)
            ],
        )
        # A department files projects of its own (SPEC §2): budget units are the departments and their units.
        by_department = {d.pk: [d] for d in departments}
        for unit in units:
            by_department[unit.parent_id].append(unit)
        budget_units = [unit for d in departments for unit in by_department[d.pk]]
        return bureau, departments, budget_units

    def accounts(self, bureau, departments, budget_units, finance_reviewers):
        # One hash for every account: hashing 1,100 passwords at Django's PBKDF2 cost would take minutes.
        password = make_password(LOAD_PASSWORD)
        users = [
            User(
                username="loadadmin",
                role=User.Role.ADMIN,
                organisation=bureau,
                full_name="压测管理员",
                is_staff=True,
                password=password,
            )
        ]
        users += [
            User(
                username=FINANCE_USERNAME.format(n),
                role=User.Role.FINANCE_REVIEWER,
                organisation=bureau,
                full_name=f"财政审核员{_person(self.rng)}",
                password=password,
            )
            for n in range(1, finance_reviewers + 1)
        ]
        users += [
            User(
                username=DEPARTMENT_USERNAME.format(n),
                role=User.Role.DEPARTMENT_REVIEWER,
                organisation=department,
                full_name=f"{department.name}审核人",
                password=password,
            )
            for n, department in enumerate(departments, start=1)
        ]
        users += [
            User(
                username=UNIT_USERNAME.format(n),
                role=User.Role.UNIT_FILLER,
                organisation=unit,
                full_name=f"{unit.name}填报人",
                password=password,
            )
            for n, unit in enumerate(budget_units, start=1)
        ]
        created = self.bulk(User, users)
        # In the order built above: the admin, the finance reviewers, one per department, one per unit.
        finance_end = 1 + finance_reviewers
        department_end = finance_end + len(departments)
        return {
            "finance": created[1:finance_end],
            "department": {u.organisation_id: u for u in created[finance_end:department_end]},
            "unit": {u.organisation_id: u for u in created[department_end:]},
        }

    # --- projects -----------------------------------------------------------------------------------------

    def project(self, year, unit, theme):
        rng = self.rng
        self.serial += 1
        return Project(
            fiscal_year=year,
            unit=unit,
            # As the seeds name them: the project alone; the unit is a column of its own everywhere.
            name=theme,
            code=f"4419{YEAR}T{self.serial:012d}",
            project_type=rng.choice((Project.ProjectType.RECURRING,) * 3 + (Project.ProjectType.ONE_OFF,)),
            manager=_person(rng),
            finance_manager=_person(rng),
            phone=f"0769-{rng.randrange(20000000, 29999999)}",
            background=f"根据{CITY}{YEAR}年部门预算安排，为保障{unit.name}{theme.removesuffix('经费')}工作顺利开展设立本项目。",
            content=f"主要用于{theme}相关支出，包括服务采购、设备维护、人员培训及宣传等。",
            goal_expected=f"按计划完成{theme}各项任务，资金使用规范，服务对象满意度不低于90%。",
        )

    def budget_lines(self, project, *, filled: bool):
        """The three fund rows of the national profile; a draft not yet filled has its 年初 only."""
        rng = self.rng
        main = _money(10 ** rng.uniform(1.3, 3.5))  # 20 to 3,000 万元
        rows = [(main, 1.0), (_money(main * Decimal(rng.uniform(0.05, 0.3))), 0.3), (_money(rng.uniform(5, 80)), 0.1)]
        lines = []
        for order, (fund_source, (initial, share)) in enumerate(
            zip(("本年财政拨款", "上年结转资金", "其他资金"), rows, strict=True)
        ):
            line = BudgetLine(project=project, fund_source=fund_source, order=order)
            if order == 0 or rng.random() < share:
                line.initial_wan = initial
                if filled:
                    adjusted = initial if rng.random() < 0.7 else _money(initial * Decimal(rng.uniform(0.7, 1.2)))
                    rate = 1.0 if rng.random() < 0.45 else rng.uniform(0.78, 0.999)
                    line.adjusted_wan = adjusted
                    line.executed_wan = _money(adjusted * Decimal(rate))
            lines.append(line)
        return lines

    def indicators(self, project, profile, *, filled: bool):
        rng = self.rng
        rows = []
        for order, (level2_options, weight) in enumerate(SLOTS):
            level2 = rng.choice(level2_options.split("|"))
            taken = {row.name for row in rows}
            name, sign, target, unit = rng.choice([entry for entry in LIBRARY[level2] if entry[0] not in taken])
            row = Indicator(
                project=project,
                order=order,
                level1=LEVEL1_OF[level2],
                level2=level2,
                name=name,
                sign=sign,
                unit=unit,
                weight=Decimal(weight),
            )
            if sign == signs.SIGN_QUALITATIVE:
                row.target_text = target
            else:
                row.target_text = f"{'' if sign == '=' else sign}{target}{unit}"
                row.target_value = Decimal(target)
            if filled:
                self._actual(row, sign, Decimal(target) if sign != signs.SIGN_QUALITATIVE else None, profile)
            rows.append(row)
        return rows

    def _actual(self, row, sign, target, profile):
        rng = self.rng
        if sign == signs.SIGN_QUALITATIVE:
            achieved = rng.random() < 0.9
            row.actual_label = signs.LABEL_ACHIEVED if achieved else signs.LABEL_PARTIAL
            row.actual_text = "达到预期效果" if achieved else "取得一定成效，仍需持续推进"
            band = scoring.qualitative_band(label=row.actual_label, weight=row.weight)
            row.claimed_score = band.high if achieved else decimals.round2(band.low)
            if not achieved:
                row.deviation_reason = "受实施周期影响，部分工作延至下年度完成，将加强进度管理。"
            return
        draw = rng.random()
        if sign in (signs.SIGN_LE, signs.SIGN_LT):
            factor = rng.uniform(0.75, 1.0) if draw < 0.9 else rng.uniform(1.0, 1.15)
        elif target == 100 and row.unit == "%":
            factor = 1.0 if draw < 0.8 else rng.uniform(0.9, 0.99)
        else:
            factor = rng.uniform(1.0, 1.15) if draw < 0.75 else (rng.uniform(0.8, 1.0) if draw < 0.93 else 1.3)
        step = COUNTED_UNITS.get(row.unit, CENT)
        actual = (target * Decimal(factor)).quantize(step, rounding=ROUND_HALF_UP)
        actual = actual.quantize(Decimal(1)) if actual == actual.to_integral() else actual.normalize()
        row.actual_value = actual
        row.actual_text = f"{format(actual, 'f')}{row.unit}"
        # The profile's rules (over-achievement ratio, 反向 rule) through the same adapter the forms use.
        result = indicator_result(row, profile)
        row.claimed_score = result.score
        if result.score < row.weight:
            row.deviation_reason = "受政策调整及实施进度影响未完全达到目标，下一年度将优化实施方案、加强过程监控。"
        elif result.over_achieved:
            row.deviation_reason = "年初目标设置偏保守，实际需求高于预期；下年度将依据历史数据合理设置指标值。"

    def status_plan(self, count):
        """Statuses for one unit's projects: the city-wide shares, with at least two editable drafts per unit,
        so every unit filler in the load test has projects of its own to save."""
        statuses = self.rng.choices([s for s, _ in STATUS_SHARES], weights=[w for _, w in STATUS_SHARES], k=count)
        editable = [s for s in statuses if s in ProjectEvaluation.EDITABLE]
        for index in range(len(statuses)):
            if len(editable) >= 2:
                break
            if statuses[index] not in ProjectEvaluation.EDITABLE:
                statuses[index] = Status.DRAFT
                editable.append(Status.DRAFT)
        return statuses

    def projects(self, year, profile, budget_units, users, projects_per_unit):
        """Projects with budget lines, indicators, evaluations and transitions, 100 units per round."""
        now = timezone.now()
        evaluations_by_status: dict[str, list[ProjectEvaluation]] = {s: [] for s, _ in STATUS_SHARES}
        for start in range(0, len(budget_units), 100):
            chunk = budget_units[start : start + 100]
            plan = []
            for unit in chunk:
                themes = self.rng.sample(PROJECT_THEMES, projects_per_unit)
                for theme, status in zip(themes, self.status_plan(projects_per_unit), strict=True):
                    plan.append((self.project(year, unit, theme), status))

            lines, indicators, evaluations = [], [], []
            for project, status in plan:
                # Most drafts already carry figures; a quarter are still blank beyond the budget's 年初.
                filled = status != Status.DRAFT or self.rng.random() < 0.75
                project_lines = self.budget_lines(project, filled=filled)
                project_indicators = self.indicators(project, profile, filled=filled)
                card = score_rows(profile=profile, budget_lines=project_lines, indicators=project_indicators)
                self._narrative(project, card, status, filled)
                lines += project_lines
                indicators += project_indicators
                evaluation = ProjectEvaluation(
                    project=project,
                    status=status,
                    profile=profile,
                    computed_budget_score=card.budget.score if card.budget else None,
                    computed_indicator_score=card.indicator_total if card.lines else None,
                    computed_total=card.total,
                    computed_grade=card.grade,
                )
                if status == Status.RETURNED:
                    evaluation.return_reason = self.rng.choice(RETURN_REASONS)
                if status != Status.DRAFT:
                    evaluation.submitted_at = now - timedelta(days=self.rng.uniform(3, 30))
                if status in ProjectEvaluation.APPROVED_OR_LATER:
                    evaluation.approved_at = evaluation.submitted_at + timedelta(days=self.rng.uniform(0.5, 3))
                evaluations.append(evaluation)
            # The rows above point at unsaved projects; bulk_create takes each project's id once it has one.
            self.bulk(Project, [project for project, _ in plan])
            self.bulk(BudgetLine, lines)
            self.bulk(Indicator, indicators)
            for evaluation in self.bulk(ProjectEvaluation, evaluations):
                evaluations_by_status[evaluation.status].append(evaluation)
            self.transitions(evaluations, users)
            self.log(f"  项目 {start * projects_per_unit + len(plan):>6} / {len(budget_units) * projects_per_unit}")
        return evaluations_by_status

    def _narrative(self, project, card, status, filled):
        if not filled:
            return
        project.goal_actual = "已按计划完成年度主要任务，资金使用规范，服务对象总体满意。"
        flags = card.budget.flags if card.budget else ()
        if scoring.FLAG_EXECUTION_REASON_REQUIRED in flags:
            project.execution_reason = "部分采购合同按进度分期支付，尾款将于下年度结算。"
        if scoring.FLAG_ADJUSTMENT_REASON_REQUIRED in flags:
            project.adjustment_reason = "根据年中预算调整方案追加（调减）项目资金。"
        if status != Status.DRAFT:
            project.conclusion = f"项目自评得分 {card.total} 分，等级为“{card.grade}”。"
            project.problems = "绩效目标细化量化程度不够，部分指标值设置偏保守。"
            project.improvements = "进一步完善绩效目标管理，加强项目实施过程监控。"

    def transitions(self, evaluations, users):
        """The audit records a real year would carry: submitted, returned or approved, and spot-checked."""
        rows = []
        for evaluation in evaluations:
            if evaluation.status == Status.DRAFT:
                continue
            unit = evaluation.project.unit
            filler = users["unit"][unit.pk]
            reviewer = users["department"][unit.department.pk]
            rows.append(
                EvaluationTransition(
                    evaluation=evaluation, from_status=Status.DRAFT, to_status=Status.SUBMITTED, actor=filler
                )
            )
            if evaluation.status == Status.RETURNED:
                rows.append(
                    EvaluationTransition(
                        evaluation=evaluation,
                        from_status=Status.SUBMITTED,
                        to_status=Status.RETURNED,
                        actor=reviewer,
                        comment=evaluation.return_reason,
                    )
                )
            elif evaluation.status in ProjectEvaluation.APPROVED_OR_LATER:
                rows.append(
                    EvaluationTransition(
                        evaluation=evaluation, from_status=Status.SUBMITTED, to_status=Status.APPROVED, actor=reviewer
                    )
                )
        self.bulk(EvaluationTransition, rows)

    # --- the finance review -------------------------------------------------------------------------------

    def spot_check(self, year, evaluations_by_status, finance_users, sample_share):
        """A sample of ``sample_share`` of all evaluations: the spot-checked ones completed, the rest in progress."""
        checked = evaluations_by_status[Status.SPOT_CHECKED]
        approved = evaluations_by_status[Status.APPROVED]
        total = sum(len(rows) for rows in evaluations_by_status.values())
        wanted = max(len(checked), round(total * sample_share))
        in_progress = self.rng.sample(approved, min(len(approved), wanted - len(checked)))
        population = len(checked) + len(approved)
        sample = SpotCheckSample.objects.create(
            fiscal_year=year,
            # A small city may have nothing approved yet: an empty population is a sample of ratio 0.
            ratio=(Decimal(len(checked) + len(in_progress)) / Decimal(population or 1)).quantize(Decimal("0.000001")),
            rules=[],
            random_seed=self.rng.randrange(1, 10**9),
            drawn_by=finance_users[0],
            note="压测数据：按比例生成的抽查样本。",
        )
        self.counts[SpotCheckSample._meta.verbose_name] = 1
        now = timezone.now()
        reviews, transitions = [], []
        for n, evaluation in enumerate(checked + in_progress):
            reviewer = finance_users[n % len(finance_users)]
            review = FinanceReview(
                sample=sample,
                evaluation=evaluation,
                selection=FinanceReview.Selection.RANDOM,
                selection_reason="随机抽取",
            )
            done = evaluation.status == Status.SPOT_CHECKED
            # Reviews in progress: about half already have a grade and an opinion drafted.
            if done or self.rng.random() < 0.5:
                self._review_content(review, evaluation)
                review.reviewer = reviewer
            if done:
                review.status = FinanceReview.Status.COMPLETED
                review.completed_at = now - timedelta(days=self.rng.uniform(0, 5))
                transitions.append(
                    EvaluationTransition(
                        evaluation=evaluation,
                        from_status=Status.APPROVED,
                        to_status=Status.SPOT_CHECKED,
                        actor=reviewer,
                        comment=f"财政抽查审核结果：{review.grade}",
                    )
                )
            reviews.append(review)
        self.bulk(FinanceReview, reviews)
        self.bulk(EvaluationTransition, transitions)

    def _review_content(self, review, evaluation):
        total = evaluation.computed_total or Decimal(0)
        reviewer_total = max(Decimal(0), min(Decimal(100), total - Decimal(self.rng.choice((0, 0, 1, 2, 3, 5, 8)))))
        review.reviewer_total = decimals.round2(reviewer_total)
        review.grade = grades.grade_for(total=review.reviewer_total)
        review.opinion_html = sanitise_opinion(
            f"<p>1. 预算执行情况：项目自评得分{total}分，财政核查得分{review.reviewer_total}分。</p>"
            "<p>2. 产出方面：项目基本完成预期产出目标，主要数量、质量指标均已达成。</p>"
            "<p>3. 效果方面：项目实现大部分预期效益目标，服务对象满意度较高。</p>"
            "<p>4. 存在问题：部分绩效指标设置偏保守，佐证材料不够完整。</p>"
            "<p>5. 加强预算绩效管理的建议：完整全面、科学合理设置绩效目标，强化绩效监控结果运用。</p>"
        )

    def library(self):
        self.bulk(
            LibraryIndicator,
            [
                LibraryIndicator(
                    level1=LEVEL1_OF[level2],
                    level2=level2,
                    name=name,
                    sign=sign,
                    unit=unit,
                    suggested_target=f"{'' if sign in ('=', signs.SIGN_QUALITATIVE) else sign}{target}{unit}",
                )
                for level2, entries in LIBRARY.items()
                for name, sign, target, unit in entries
            ],
        )


class Command(BaseCommand):
    help = "在一个空数据库中生成城市规模的压测数据（100 个主管部门、1,000 个预算单位、10,000 个项目、100,000 条指标）。"

    def add_arguments(self, parser):
        parser.add_argument("--yes", action="store_true", help="确认写入当前 DATABASE_URL 指向的数据库。")
        parser.add_argument(
            "--units-per-department", type=int, default=len(UNIT_SUFFIXES), help="每个主管部门下属预算单位数。"
        )
        parser.add_argument("--departments", type=int, default=len(DEPARTMENT_NAMES), help="主管部门数（最多 100）。")
        parser.add_argument("--projects-per-unit", type=int, default=10, help="每个预算单位的项目数。")
        parser.add_argument("--finance-reviewers", type=int, default=10, help="财政审核员账号数。")
        parser.add_argument("--sample-share", type=float, default=0.10, help="抽查样本占全部项目自评的比例。")
        parser.add_argument("--seed", type=int, default=2025, help="随机种子：相同种子生成相同数据。")

    def handle(self, *args, **options):
        settings_dict = connection.settings_dict
        where = f"{settings_dict['NAME']}（{connection.vendor}，{settings_dict.get('HOST') or 'local'}）"
        self.stdout.write(f"目标数据库：{where}")
        if not options["yes"]:
            raise CommandError("本命令会向上述数据库写入约 30 万行压测数据。确认无误后加 --yes 再运行。")
        if not 1 <= options["departments"] <= len(DEPARTMENT_NAMES):
            raise CommandError(f"--departments 应在 1 至 {len(DEPARTMENT_NAMES)} 之间。")
        if not 0 <= options["units_per_department"] <= len(UNIT_SUFFIXES):
            raise CommandError(f"--units-per-department 应在 0 至 {len(UNIT_SUFFIXES)} 之间。")
        if not 2 <= options["projects_per_unit"] <= len(PROJECT_THEMES):
            raise CommandError(f"--projects-per-unit 应在 2 至 {len(PROJECT_THEMES)} 之间。")
        if Organisation.objects.exists() or Project.objects.exists() or User.objects.exists():
            raise CommandError("该数据库已有组织、项目或用户：压测数据只写入刚迁移的空数据库，不会重复生成。")

        started = time.perf_counter()
        with transaction.atomic(), acting_as(reason="生成压测数据"):
            self._generate(options)
        if connection.vendor == "postgresql":
            # Fresh planner statistics, as a database that has lived a while would have; autovacuum is slower.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        city_counts = "，".join(f"{name} {count:,}" for name, count in self.city.counts.items())
        self.stdout.write(self.style.SUCCESS(f"已生成（{elapsed:.0f} 秒）：{city_counts}。"))
        self.stdout.write(
            f"账号（密码均为 {LOAD_PASSWORD}）：单位 {UNIT_USERNAME.format(1)}…，"
            f"主管部门 {DEPARTMENT_USERNAME.format(1)}…，财政 {FINANCE_USERNAME.format(1)}…，管理员 loadadmin。"
        )

    def _generate(self, options):
        self.city = city = City(seed=options["seed"], stdout=self.stdout)
        profile = RuleProfile.objects.prefetch_related(
            Prefetch("level1_categories", queryset=ProfileLevel1.objects.prefetch_related("level2_categories"))
        ).get(code="national")
        bureau, departments, budget_units = city.organisations(
            DEPARTMENT_NAMES[: options["departments"]], UNIT_SUFFIXES[: options["units_per_department"]]
        )
        city.log(f"  组织：1 个财政局，{len(departments)} 个主管部门，{len(budget_units)} 个预算单位")
        users = city.accounts(bureau, departments, budget_units, options["finance_reviewers"])
        year = FiscalYear.objects.create(
            finance_bureau=bureau,
            year=YEAR,
            profile=profile,
            status=FiscalYear.Status.OPEN,
            filling_deadline=date(YEAR + 1, 4, 30),
            review_deadline=date(YEAR + 1, 6, 30),
        )
        city.library()
        by_status = city.projects(year, profile, budget_units, users, options["projects_per_unit"])
        city.spot_check(year, by_status, users["finance"], options["sample_share"])


if __name__ == "__main__":
    Command().run_from_argv([sys.argv[0], "scale_city", *sys.argv[1:]])
