"""Narrative reports drafted from the record (SPEC §9): 项目支出绩效自评报告 and 预算绩效情况说明.

``draft_project_report`` follows seed 002's four sections; ``draft_department_statement`` follows seed 001's
department statement. Both are drafts for a writer to finish: they state only what the record holds and put a
bracketed placeholder (``【请补充：…】``) wherever a fact is missing, so nothing is ever invented. Every figure is
the record's own (amounts, stated scores) or comes from ``build_scorecard`` / ``domain.scoring``; this module
only formats numbers, it never derives one.

Renderers: ``project_report_pdf`` / ``department_statement_pdf`` (A4 portrait, via ``render_pdf``) and
``project_report_text`` / ``department_statement_text`` (plain text, e.g. for an editable textarea).
"""

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple

from domain import grades, scoring
from evaluations.reports.project_table import amount_text, points_text, rate_text
from evaluations.scorecard import Scorecard, budget_totals, build_scorecard

PROJECT_TITLE = "项目支出绩效自评报告"
PROJECT_HEADINGS = (
    "一、绩效自评工作开展情况",
    "二、绩效目标自评完成情况分析",
    "三、偏离绩效目标的原因和下一步改进措施",
    "四、绩效自评结果拟应用和公开情况",
)
STATEMENT_HEADINGS = (
    "（一）预算绩效管理工作开展情况",
    "（二）部门决算中项目绩效自评结果",
    "（三）其他需要说明的问题",
)
CHINESE_NUMERALS = "一二三四五六七八九十"
PLACEHOLDER = re.compile(r"【[^】]*】")

# Paragraph styles: body text, a sub-heading such as （一）资金投入情况分析, a sub-sub-heading such as 1.产出指标….
BODY, SUBHEADING, MINOR = "body", "subheading", "minor"


def placeholder(what: str) -> str:
    """The mark a draft leaves where the writer must supply a fact the record lacks."""
    return f"【请补充：{what}】"


class Paragraph(NamedTuple):
    text: str
    style: str = BODY

    @property
    def segments(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, is_placeholder), so a renderer can mark what the writer must fill in."""
        pieces, start = [], 0
        for match in PLACEHOLDER.finditer(self.text):
            if match.start() > start:
                pieces.append((self.text[start : match.start()], False))
            pieces.append((match.group(), True))
            start = match.end()
        if start < len(self.text):
            pieces.append((self.text[start:], False))
        return pieces


class Section(NamedTuple):
    heading: str
    paragraphs: list[Paragraph]


def _placeholders(sections: list[Section]) -> list[str]:
    return [m.group() for section in sections for p in section.paragraphs for m in PLACEHOLDER.finditer(p.text)]


@dataclass(frozen=True)
class ProjectReport:
    """项目支出绩效自评报告 of one project (seed 002)."""

    title: str
    unit: str
    project_name: str
    year: int
    sections: list[Section]
    # What the draft took from the record, for the tests and for a reader checking the text.
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def subtitle(self) -> str:
        return f"（{self.year}年度 {self.project_name}）"

    @property
    def placeholders(self) -> list[str]:
        """Every 【请补充：…】 left for the writer, in reading order."""
        return _placeholders(self.sections)


@dataclass(frozen=True)
class DepartmentStatement:
    """关于某年度预算绩效情况说明 of one department (seed 001)."""

    title: str
    department: str
    year: int
    sections: list[Section]
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def placeholders(self) -> list[str]:
        """Every 【请补充：…】 left for the writer, in reading order."""
        return _placeholders(self.sections)


# ---- formatting --------------------------------------------------------------------------------------------


def _wan(value: Decimal | None, what: str) -> str:
    return f"{amount_text(value)}万元" if value is not None else placeholder(what)


def _rate(value: Decimal | None, what: str = "预算执行率") -> str:
    return rate_text(value) if value is not None else placeholder(what)


def _points(value: Decimal | None, what: str) -> str:
    return f"{points_text(value)}分" if value is not None else placeholder(what)


def _clean(text: str | None) -> str:
    return " ".join(line.strip() for line in (text or "").splitlines() if line.strip())


def _sentence(text: str) -> str:
    """``text`` ending in a full stop (the record's reasons are written with or without one)."""
    text = _clean(text)
    return text if not text or text[-1] in "。！？；.;" else text + "。"


# ---- the figures every draft reads -------------------------------------------------------------------------


def _evaluation(project):
    from evaluations.models import ProjectEvaluation

    try:
        return project.evaluation
    except ProjectEvaluation.DoesNotExist:
        return None


@dataclass(frozen=True)
class _Figures:
    """One project's numbers as its published table prints them: stated where the unit stated them, else computed."""

    card: Scorecard
    rate: Decimal | None
    budget_score: Decimal | None
    total: Decimal | None
    grade: str


def _figures(project) -> _Figures:
    profile = project.fiscal_year.profile
    card = build_scorecard(project, profile)
    evaluation = _evaluation(project)
    stated_rate = evaluation.stated_execution_rate if evaluation else None
    claimed_budget = evaluation.claimed_budget_score if evaluation else None
    claimed_total = evaluation.claimed_total if evaluation else None
    claimed_grade = evaluation.claimed_grade if evaluation else ""
    computed_rate = card.budget.rate if card.budget else None
    computed_budget = card.budget.score if card.budget else None
    total = claimed_total if claimed_total is not None else card.total
    if claimed_grade:
        grade = claimed_grade
    elif claimed_total is not None:
        grade = grades.grade_for(total=claimed_total, thresholds=profile.grade_thresholds)
    else:
        grade = card.grade
    return _Figures(
        card=card,
        rate=stated_rate if stated_rate is not None else computed_rate,
        budget_score=claimed_budget if claimed_budget is not None else computed_budget,
        total=total,
        grade=grade,
    )


# ---- 项目支出绩效自评报告 ------------------------------------------------------------------------------------


def _work_section(project, fig: _Figures) -> Section:
    year = project.fiscal_year.year
    totals = fig.card.totals
    paragraphs = [
        Paragraph(
            f"根据预算绩效管理要求，本单位对{year}年度“{project.name}”项目开展了绩效自评，"
            f"共涉及资金{_wan(totals.adjusted, '项目全年预算数')}。"
            f"{placeholder('绩效自评工作的组织方式（时间、参与股室、采用的方法和资料）')}"
        )
    ]
    if project.background.strip():
        paragraphs.append(Paragraph(f"项目设立背景：{_sentence(project.background)}"))
    if project.content.strip():
        paragraphs.append(Paragraph(f"项目实施内容：{_sentence(project.content)}"))
    paragraphs.append(
        Paragraph(
            f"年度总体目标：{_sentence(project.goal_expected) or placeholder('项目年度总体绩效目标')}"
            f"实际完成情况：{_sentence(project.goal_actual) or placeholder('年度总体目标的实际完成情况')}"
        )
    )
    return Section(PROJECT_HEADINGS[0], paragraphs)


def _adjustment_word(initial: Decimal, adjusted: Decimal) -> str:
    return "调减" if adjusted < initial else "追加"


def _funding_paragraphs(project, fig: _Figures) -> list[Paragraph]:
    year = project.fiscal_year.year
    profile = project.fiscal_year.profile
    totals = fig.card.totals
    flags = fig.card.flags
    out = [Paragraph("（一）资金投入情况分析", SUBHEADING), Paragraph("1.项目资金到位情况分析", MINOR)]

    arrival = (
        f"本单位{year}年度“{project.name}”项目全年预算数为{_wan(totals.adjusted, '全年预算数')}，"
        f"全年执行数为{_wan(totals.executed, '全年执行数')}。"
    )
    sources = [line for line in project.budget_lines.all() if line.adjusted_wan is not None]
    if len(sources) > 1:
        parts = "，".join(f"{line.fund_source}{_wan(line.adjusted_wan, '金额')}" for line in sources)
        arrival += f"其中：{parts}。"
    out.append(Paragraph(arrival + placeholder("资金到位情况（到位时间、是否全部拨付到位）")))

    out.append(Paragraph("2.项目资金执行情况分析", MINOR))
    adjusted = (
        totals.initial is not None
        and totals.adjusted is not None
        and scoring.is_adjusted(initial=totals.initial, adjusted=totals.adjusted)
    )
    execution = f"{year}年年初预算安排{_wan(totals.initial, '年初预算数')}，"
    if adjusted:
        word = _adjustment_word(totals.initial, totals.adjusted)
        execution += f"预算{word}后全年预算数为{_wan(totals.adjusted, '全年预算数')}，"
    else:
        execution += f"全年预算数为{_wan(totals.adjusted, '全年预算数')}，"
    execution += (
        f"全年执行数为{_wan(totals.executed, '全年执行数')}，预算执行率为{_rate(fig.rate)}，"
        f"预算执行得分{_points(fig.budget_score, '预算执行得分')}（分值{points_text(profile.budget_weight)}分）。"
    )
    out.append(Paragraph(execution))
    if project.adjustment_reason.strip():
        out.append(Paragraph(f"预算调整理由：{_sentence(project.adjustment_reason)}"))
    if project.execution_reason.strip():
        out.append(Paragraph(f"预算执行情况说明：{_sentence(project.execution_reason)}"))
    if adjusted and not (project.adjustment_reason.strip() or project.execution_reason.strip()):
        out.append(Paragraph(placeholder(f"预算{_adjustment_word(totals.initial, totals.adjusted)}的理由")))
    if scoring.FLAG_EXECUTION_REASON_REQUIRED in flags and not project.execution_reason.strip():
        threshold = rate_text(profile.execution_reason_threshold)
        out.append(Paragraph(placeholder(f"预算执行率未达到{threshold}的原因")))

    out.append(Paragraph("3.项目资金管理情况分析", MINOR))
    out.append(Paragraph(placeholder("项目资金管理情况（财务管理制度、资金审批和拨付程序等）")))
    return out


def _indicator_sentence(line) -> str:
    ind = line.indicator
    label = f"{ind.level2}（{ind.name}）" if ind.name else f"{ind.level2}（{placeholder('三级指标名称')}）"
    target = ind.target_display or placeholder("年度指标值")
    actual = ind.actual_display or placeholder("实际完成值")
    text = (
        f"{label}：年度指标值为{target}，实际完成值为{actual}；"
        f"分值{_points(ind.weight, '分值')}，得分{_points(line.score, '得分')}。"
    )
    if ind.deviation_reason.strip():
        text += f"偏差原因分析及改进措施：{_sentence(ind.deviation_reason)}"
    else:
        short = ind.weight is not None and line.score is not None and line.score < ind.weight
        over = bool(line.result and line.result.over_achieved)
        if short or over:
            text += placeholder("偏差原因分析及改进措施")
    return text


def _indicator_paragraphs(project, fig: _Figures) -> list[Paragraph]:
    profile = project.fiscal_year.profile
    out = [Paragraph("（二）绩效目标完成情况分析", SUBHEADING)]
    # Spacer rows as published (no name, no weight) say nothing about the project.
    lines = [line for line in fig.card.lines if line.indicator.name or line.indicator.weight is not None]
    required = {level.name for level in profile.level1_categories.all() if level.required}
    number = 0
    for level in fig.card.level1_totals:
        group = [line for line in lines if line.indicator.level1 == level.name]
        if not group and level.name not in required:
            continue
        number += 1
        out.append(Paragraph(f"{number}.{level.name}完成情况分析", MINOR))
        if not group:
            out.append(Paragraph(placeholder(f"{level.name}的完成情况")))
            continue
        if level.weight:
            out.append(
                Paragraph(
                    f"{level.name}所列指标分值合计{points_text(level.weight)}分，自评得分{points_text(level.score)}分。"
                )
            )
        out.extend(Paragraph(_indicator_sentence(line)) for line in group)
    if not lines:
        out.append(Paragraph(placeholder("各项绩效指标（产出、效益、满意度）的完成情况")))
    return out


def _deviation_section(project, fig: _Figures) -> Section:
    reasons = []
    for line in fig.card.lines:
        ind = line.indicator
        if ind.deviation_reason.strip():
            reasons.append(f"{ind.name or ind.level2}：{_sentence(ind.deviation_reason)}")
    if project.execution_reason.strip():
        reasons.append(f"预算执行：{_sentence(project.execution_reason)}")
    if project.adjustment_reason.strip():
        reasons.append(f"预算调整：{_sentence(project.adjustment_reason)}")
    paragraphs = [Paragraph("（一）偏离绩效目标的原因", SUBHEADING)]
    paragraphs += [Paragraph(text) for text in reasons] or [
        Paragraph(placeholder("偏离绩效目标的原因（如无偏离，请写明“无”）"))
    ]
    if project.problems.strip():
        paragraphs.append(Paragraph(f"存在的问题：{_sentence(project.problems)}"))
    paragraphs.append(Paragraph("（二）下一步改进措施", SUBHEADING))
    paragraphs.append(Paragraph(_sentence(project.improvements) or placeholder("下一步改进措施")))
    return Section(PROJECT_HEADINGS[2], paragraphs)


def _application_section(project, fig: _Figures) -> Section:
    year = project.fiscal_year.year
    grade = f"“{fig.grade}”" if fig.grade else placeholder("自评等级")
    return Section(
        PROJECT_HEADINGS[3],
        [
            Paragraph(
                f"本项目{year}年度绩效自评得分为{_points(fig.total, '自评总分')}，自评等级为{grade}。"
                f"本单位将把自评结果应用到{year + 1}年度预算编制和项目管理中，针对自评发现的问题落实整改，"
                "更好地管理和使用项目资金。"
            ),
            Paragraph(f"自评结果按要求公开：{placeholder('公开的时间和渠道（如本级政府门户网站）')}"),
        ],
    )


def draft_project_report(project) -> ProjectReport:
    """Draft the 项目支出绩效自评报告 of ``project`` (seed 002's four sections) from the record."""
    fig = _figures(project)
    totals = fig.card.totals
    analysis = _funding_paragraphs(project, fig) + _indicator_paragraphs(project, fig)
    return ProjectReport(
        title=PROJECT_TITLE,
        unit=project.unit.name,
        project_name=project.name,
        year=project.fiscal_year.year,
        sections=[
            _work_section(project, fig),
            Section(PROJECT_HEADINGS[1], analysis),
            _deviation_section(project, fig),
            _application_section(project, fig),
        ],
        figures={
            "initial": amount_text(totals.initial),
            "adjusted": amount_text(totals.adjusted),
            "executed": amount_text(totals.executed),
            "rate": rate_text(fig.rate),
            "budget_score": points_text(fig.budget_score),
            "total": points_text(fig.total),
            "grade": fig.grade,
        },
    )


# ---- 预算绩效情况说明 ----------------------------------------------------------------------------------------


def _department_projects(fiscal_year, department):
    """The department's projects of the year that reached 已提交 (SPEC §13): a draft is no part of the statement."""
    from budgets.models import Project
    from evaluations.models import ProjectEvaluation

    return list(
        Project.objects.of_department(department)
        .filter(fiscal_year=fiscal_year, evaluation__status__in=ProjectEvaluation.REACHED_SUBMISSION)
        .select_related("fiscal_year__profile", "unit__parent", "evaluation")
        .prefetch_related("budget_lines", "indicators", "fiscal_year__profile__level1_categories")
    )


def _department_result(fiscal_year, department) -> Paragraph:
    from evaluations.models import DepartmentEvaluation
    from evaluations.reports.department_table import _load, build_department_table

    evaluation = DepartmentEvaluation.objects.filter(
        fiscal_year=fiscal_year, department=department, status__in=DepartmentEvaluation.REACHED_SUBMISSION
    ).first()
    if evaluation is None:
        return Paragraph(placeholder(f"{fiscal_year.year}年度部门整体支出绩效自评情况（如未开展，请删除本段）"))
    table = build_department_table(_load(evaluation))
    grade = f"“{table.grade}”" if table.grade else placeholder("部门整体自评等级")
    text = (
        f"组织对{fiscal_year.year}年度部门整体支出开展了绩效自评，"
        f"自评得分为{_points(table.total_score, '部门整体自评得分')}，整体评价结果为{grade}。"
    )
    conclusion = " ".join(table.conclusions[0].paragraphs)
    return Paragraph(text + (f"评价结论：{_sentence(conclusion)}" if conclusion else ""))


def _project_paragraph(project) -> tuple[Paragraph, _Figures]:
    fig = _figures(project)
    totals = fig.card.totals
    grade = f"，自评等级为“{fig.grade}”" if fig.grade else f"，自评等级为{placeholder('自评等级')}"
    text = (
        f"{project.name}项目绩效自评综述：根据年初设定的绩效目标，{project.name}项目绩效自评得分为"
        f"{_points(fig.total, '自评得分')}{grade}。项目全年预算数为{_wan(totals.adjusted, '全年预算数')}，"
        f"执行数为{_wan(totals.executed, '执行数')}，预算执行率为{_rate(fig.rate)}。"
    )
    if project.problems.strip():
        problems = _sentence(project.problems)
    else:
        reasons = [_sentence(line.indicator.deviation_reason) for line in fig.card.lines]
        reasons += [_sentence(project.execution_reason), _sentence(project.adjustment_reason)]
        problems = "".join(reason for reason in reasons if reason) or placeholder("发现的主要问题（如无，请写明“无”）")
    text += f"发现的主要问题：{problems}"
    text += f"下一步改进措施：{_sentence(project.improvements) or placeholder('下一步改进措施')}"
    return Paragraph(text), fig


def draft_department_statement(fiscal_year, department) -> DepartmentStatement:
    """Draft the 预算绩效情况说明 of ``department`` for ``fiscal_year`` (seed 001) from the record."""
    projects = _department_projects(fiscal_year, department)
    year = fiscal_year.year
    # The department's money is the 年度资金总额 of all its projects' fund rows, summed as the scorecard sums them.
    totals = budget_totals(line for project in projects for line in project.budget_lines.all())
    rate = (
        scoring.execution_rate(adjusted=totals.adjusted, executed=totals.executed)
        if totals.adjusted is not None and totals.executed is not None
        else None
    )
    names = "、".join(f"“{project.name}”" for project in projects)

    work = [
        Paragraph(
            f"根据预算绩效管理要求，本部门组织对{year}年度纳入部门预算的项目支出开展了绩效自评，"
            f"共{len(projects)}个项目，全年预算数合计{_wan(totals.adjusted, '项目全年预算数合计')}，"
            f"执行数合计{_wan(totals.executed, '项目执行数合计')}，预算执行率为{_rate(rate)}。"
            + (placeholder("项目自评的总体结论") if projects else "")
        ),
        _department_result(fiscal_year, department),
    ]
    results = []
    project_figures = {}
    if projects:
        results.append(
            Paragraph(f"本部门在{year}年度部门决算中反映{names}{len(projects)}个项目的绩效自评综述，情况如下：")
        )
        for project in projects:
            paragraph, fig = _project_paragraph(project)
            results.append(paragraph)
            project_figures[project.name] = points_text(fig.total)
        results.append(Paragraph(f"所有项目绩效自评表详见“附件：{year}年度项目支出绩效自评表”。"))
    else:
        results.append(Paragraph(placeholder(f"{year}年度项目支出绩效自评情况（系统中尚无本部门已提交的项目）")))
    other = [Paragraph(placeholder("其他需要说明的问题（如无，请写明“无”）"))]
    return DepartmentStatement(
        title=f"关于{year}年度预算绩效情况说明",
        department=department.name,
        year=year,
        sections=[
            Section(STATEMENT_HEADINGS[0], work),
            Section(STATEMENT_HEADINGS[1], results),
            Section(STATEMENT_HEADINGS[2], other),
        ],
        figures={
            "count": str(len(projects)),
            "adjusted": amount_text(totals.adjusted),
            "executed": amount_text(totals.executed),
            "rate": rate_text(rate),
            **{f"total:{name}": total for name, total in project_figures.items()},
        },
    )


# ---- renderers ---------------------------------------------------------------------------------------------


def _load(project):
    """The project with everything the draft reads, in a handful of queries."""
    from budgets.models import Project

    return (
        Project.objects.select_related("fiscal_year__profile", "unit__parent", "evaluation")
        .prefetch_related("budget_lines", "indicators", "fiscal_year__profile__level1_categories")
        .get(pk=project.pk)
    )


def _sections_text(sections: list[Section]) -> list[str]:
    lines = []
    for section in sections:
        lines.append(section.heading)
        lines.extend(paragraph.text for paragraph in section.paragraphs)
    return lines


def project_report_text(project) -> str:
    """The drafted report as plain text: title lines, then each heading and paragraph on a line of its own."""
    report = draft_project_report(_load(project))
    return "\n".join([report.unit, report.title, report.subtitle, *_sections_text(report.sections)]) + "\n"


def department_statement_text(fiscal_year, department) -> str:
    statement = draft_department_statement(fiscal_year, department)
    return "\n".join([statement.title, statement.department, *_sections_text(statement.sections)]) + "\n"


def project_report_pdf(project) -> bytes:
    from evaluations.reports.pdf import render_pdf

    return render_pdf("reports/narrative_project.html", {"report": draft_project_report(_load(project))})


def department_statement_pdf(fiscal_year, department) -> bytes:
    from evaluations.reports.pdf import render_pdf

    statement = draft_department_statement(fiscal_year, department)
    return render_pdf("reports/narrative_department.html", {"report": statement})


# --- editing: a draft's sections as text and back (the report page's textareas) ------------------------------

# Keys of ProjectEvaluation.report_sections, one per section of PROJECT_HEADINGS (the demo stores seed 002's
# published reports the same way).
SECTION_KEYS = ("work", "analysis", "deviation", "application")
_SUBHEADING_LINE = re.compile(r"^[（(][一二三四五六七八九十]+[)）]")
_MINOR_LINE = re.compile(r"^\d+\s*[.．、]")


def _bare(heading: str) -> str:
    return re.sub(r"[\s。．.：:]", "", heading)


def section_text(section: Section) -> str:
    """A section as the writer edits it: its heading, then one paragraph a line."""
    return "\n".join([section.heading, *(p.text for p in section.paragraphs)])


def paragraphs_from_text(text: str, heading: str) -> list[Paragraph]:
    """The writer's text back into paragraphs (a repeated heading line dropped, （一） and 1. lines styled)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if lines and _bare(lines[0]) == _bare(heading):
        lines = lines[1:]
    return [
        Paragraph(line, SUBHEADING if _SUBHEADING_LINE.match(line) else MINOR if _MINOR_LINE.match(line) else BODY)
        for line in lines
    ]


def with_texts(report, texts: list[str]):
    """``report`` (a ProjectReport or DepartmentStatement) with each section's text replaced by ``texts``."""
    sections = [
        Section(section.heading, paragraphs_from_text(text, section.heading))
        for section, text in zip(report.sections, texts, strict=True)
    ]
    return replace(report, sections=sections)


def project_report(project) -> ProjectReport:
    """The report as last saved by the unit (ProjectEvaluation.report_sections), else the draft."""
    project = _load(project)
    report = draft_project_report(project)
    stored = getattr(getattr(project, "evaluation", None), "report_sections", None) or {}
    if not any((stored.get(key) or "").strip() for key in SECTION_KEYS):
        return report
    pairs = zip(SECTION_KEYS, report.sections, strict=True)
    texts = [stored.get(key) or section_text(section) for key, section in pairs]
    return with_texts(report, texts)


def render_project_report(report: ProjectReport) -> bytes:
    from evaluations.reports.pdf import render_pdf

    return render_pdf("reports/narrative_project.html", {"report": report})


def render_department_statement(statement: DepartmentStatement) -> bytes:
    from evaluations.reports.pdf import render_pdf

    return render_pdf("reports/narrative_department.html", {"report": statement})
