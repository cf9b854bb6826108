"""The narrative drafts in the browser's pages: edited, saved by the unit, exported as PDF; seen only by those
who may see the record."""

import re
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Organisation, User
from budgets.models import FiscalYear, Project
from evaluations.demo import load_demo
from evaluations.filling.services import project_create

pytestmark = pytest.mark.django_db


def _text(content):
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages))


@pytest.fixture
def draft(db):
    load_demo()
    year = FiscalYear.objects.get(year=2025, finance_bureau__name="东莞市财政局")
    return project_create(fiscal_year=year, unit=Organisation.objects.get(name="东莞市技师学院"), name="报告测试项目")


def _sections(response):
    return [text for _, text in response.context["sections"]]


def test_the_unit_edits_saves_and_exports_its_report(client, draft):
    client.force_login(User.objects.get(username="unit"))
    url = reverse("reports:project_report", args=[draft.pk])
    page = client.get(url)
    texts = _sections(page)
    texts[0] = texts[0] + "\n本单位于2025年3月成立自评工作小组。"

    saved = client.post(url, {"action": "save", **{f"section-{n}": t for n, t in enumerate(texts)}})
    again = client.get(url)
    pdf = client.post(url, {"action": "pdf", **{f"section-{n}": t for n, t in enumerate(texts)}})

    draft.evaluation.refresh_from_db()
    assert (page.status_code, saved.status_code, pdf["Content-Type"]) == (200, 302, "application/pdf")
    assert draft.evaluation.report_sections["work"].endswith("本单位于2025年3月成立自评工作小组。")
    assert _sections(again)[0].endswith("本单位于2025年3月成立自评工作小组。")
    assert "本单位于2025年3月成立自评工作小组。" in _text(pdf.content)
    assert "一、绩效自评工作开展情况" in _text(pdf.content)


def test_a_reviewer_may_read_and_export_but_not_save_and_another_unit_may_not_open_it(client, draft):
    url = reverse("reports:project_report", args=[draft.pk])
    client.force_login(User.objects.get(username="dept"))
    read = client.get(url)
    download = client.get(url, {"format": "pdf"})
    save = client.post(url, {"action": "save", "section-0": "改写", "section-1": "", "section-2": "", "section-3": ""})
    client.force_login(User.objects.get(username="unit2"))
    other = client.get(url)

    draft.evaluation.refresh_from_db()
    assert (read.status_code, download.status_code, save.status_code, other.status_code) == (200, 200, 403, 403)
    assert draft.evaluation.report_sections in ({}, None)


def test_a_published_seed_002_report_is_shown_as_published_not_redrafted(db):
    from evaluations.reports.narrative import SECTION_KEYS, project_report, section_text

    load_demo()
    project = Project.objects.get(name="数据系统维护费")
    published = project.evaluation.report_sections

    report = project_report(project)

    shown = [section_text(section) for section in report.sections]
    first_lines = [
        published[key].splitlines()[1].strip() for key in SECTION_KEYS if len(published[key].splitlines()) > 1
    ]
    assert [line in "\n".join(shown) for line in first_lines] == [True] * len(first_lines)
    assert report.sections[0].heading == "一、绩效自评工作开展情况"


def test_the_department_statement_is_drafted_for_ones_own_department_only(client, db):
    load_demo()
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    own = Organisation.objects.get(name="东莞市人力资源和社会保障局")
    other = Organisation.objects.create(name="东莞市另一局", kind=Organisation.Kind.DEPARTMENT, parent=own.parent)
    client.force_login(User.objects.get(username="dept"))

    page = client.get(reverse("reports:department_statement", args=[2024, own.pk]))
    pdf = client.get(reverse("reports:department_statement", args=[2024, own.pk]), {"format": "pdf"})
    refused = client.get(reverse("reports:department_statement", args=[2024, other.pk]))

    assert (page.status_code, pdf["Content-Type"], refused.status_code) == (200, "application/pdf", 403)
    assert f"关于{year.year}年度预算绩效情况说明" in _text(pdf.content)


def test_a_report_text_with_a_nul_character_is_refused_and_comes_back_as_typed(client, draft):
    """PostgreSQL stores no NUL in jsonb: a crafted save answered 500 there (issue 15); now the page comes back,
    400, with the typed texts and a Chinese message, and nothing is saved."""
    client.force_login(User.objects.get(username="unit"))
    url = reverse("reports:project_report", args=[draft.pk])
    texts = _sections(client.get(url))
    texts[1] = "项目资金\x00已全部拨付。"

    refused = client.post(url, {"action": "save", **{f"section-{n}": t for n, t in enumerate(texts)}})

    draft.evaluation.refresh_from_db()
    assert refused.status_code == 400
    assert "无法保存的控制字符" in refused.content.decode()
    assert _sections(refused)[1].endswith("项目资金\x00已全部拨付。")
    assert draft.evaluation.report_sections in ({}, None)
