"""Importing the 市级财政支出绩效自评结果汇总表 (seed 000): round trip, idempotency, all-or-nothing, the command."""

import json
from io import BytesIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from accounts.models import Organisation
from budgets.models import FiscalYear, Project
from evaluations.demo import load_demo
from evaluations.models import DepartmentEvaluation, FinanceReview, ProjectEvaluation
from evaluations.reports.summary import build_summary, summary_xlsx
from imports import service
from imports.records import CREATED, UNCHANGED

pytestmark = pytest.mark.django_db

DEPARTMENT = "东莞市人力资源和社会保障局"
HEADERS = ["序号", "主管部门", "预算单位", "项目名称", "自评结果", "财政抽查审核结果", "财政抽查审核意见"]


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Organisation, FiscalYear, Project, ProjectEvaluation, DepartmentEvaluation, FinanceReview)
    }


def _demo_summary():
    load_demo()
    year = FiscalYear.objects.get(year=2024, finance_bureau__name="东莞市财政局")
    department = Organisation.objects.get(name=DEPARTMENT)
    return year, build_summary(fiscal_year=year, department=department)


def _rows(sheet):
    return [
        (r.number, r.department, r.unit, r.project_name, r.self_grade, r.finance_grade, r.opinion_paragraphs)
        for r in sheet.rows
    ]


def _workbook(*rows, title="2024年度市级财政支出绩效自评结果汇总表"):
    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(HEADERS)
    for row in rows:
        ws.append(list(row))
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_our_summary_export_imports_back_unchanged_into_the_same_database():
    year, sheet = _demo_summary()
    before = _counts()

    outcome = service.run(summary_xlsx(sheet), bureau=year.finance_bureau, commit=True)

    assert (outcome.kind, outcome.year, outcome.errors, outcome.count(UNCHANGED), _counts()) == (
        "summary",
        2024,
        [],
        36,
        before,
    )


def test_our_summary_export_rebuilds_the_same_sheet_in_an_empty_city():
    _, sheet = _demo_summary()
    content = summary_xlsx(sheet)
    bureau = Organisation.objects.create(name="新建市财政局", kind=Organisation.Kind.FINANCE_BUREAU)

    outcome = service.run(content, bureau=bureau, commit=True)

    rebuilt = build_summary(fiscal_year=FiscalYear.objects.get(finance_bureau=bureau, year=2024))
    assert (outcome.committed, outcome.count(CREATED) >= 36, _rows(rebuilt)) == (True, True, _rows(sheet))
    assert "主管部门：东莞市人力资源和社会保障局" in outcome.new_organisations


def test_a_dry_run_shows_what_would_change_and_writes_nothing():
    bureau = Organisation.objects.create(name="预览市财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    before = _counts()
    content = _workbook(
        [1, "预览市教育局", "预览市第一中学", "校舍维修", "良", "中", "一、执行偏慢\n二、建议加快"],
        [2, "预览市教育局", "预览市教育局", "部门整体支出绩效自评", "优", "", ""],
    )

    outcome = service.run(content, bureau=bureau)

    assert (outcome.committed, outcome.errors, _counts()) == (False, [], before)
    assert [(c.action, c.kind, c.label) for c in outcome.changes] == [
        (CREATED, "年度", "2024 年度（全国通用（财预〔2020〕10号））"),
        (CREATED, "汇总表行", "预览市第一中学 / 校舍维修"),
        (CREATED, "部门整体自评", "预览市教育局 / 部门整体支出绩效自评"),
    ]
    assert outcome.new_organisations == ["主管部门：预览市教育局", "预算单位：预览市第一中学（预览市教育局）"]


def test_repeated_headers_are_skipped_opinions_keep_paragraphs_and_lose_markup():
    bureau = Organisation.objects.create(name="测试市财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    content = _workbook(
        [
            1,
            "测试市人社局",
            "测试市人社局",
            "就业补助",
            "优",
            "良",
            "<p>一、资金到位</p><p>二、<script>alert(1)</script>建议</p>",
        ],
        HEADERS,
        [],
        [2, "测试市人社局", "测试市技师学院", "实训基地", "良", "", "/"],
    )

    outcome = service.run(content, bureau=bureau, commit=True)

    review = FinanceReview.objects.get(evaluation__project__name="就业补助")
    assert (outcome.committed, Project.objects.filter(fiscal_year__finance_bureau=bureau).count()) == (True, 2)
    assert review.opinion_html == "<p>一、资金到位</p><p>二、建议</p>"
    assert not FinanceReview.objects.filter(evaluation__project__name="实训基地").exists()


def test_an_unknown_grade_refuses_the_whole_file_with_its_row_and_writes_nothing():
    bureau = Organisation.objects.create(name="错误市财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    before = _counts()
    content = _workbook(
        [1, "错误市人社局", "错误市人社局", "甲项目", "优", "", ""],
        [2, "错误市人社局", "错误市人社局", "乙项目", "很好", "", ""],
    )

    outcome = service.run(content, bureau=bureau, commit=True)

    assert (outcome.committed, _counts()) == (False, before)
    assert [(p.severity, p.sheet, p.row, p.column, p.message) for p in outcome.errors] == [
        ("错误", "Sheet", 4, "E", "自评结果“很好”不是优、良、中、差之一。")
    ]


def test_the_command_previews_commits_and_reports_errors_with_its_exit_status(tmp_path, capsys):
    Organisation.objects.create(name="命令市财政局", kind=Organisation.Kind.FINANCE_BUREAU)
    good = tmp_path / "good.xlsx"
    good.write_bytes(_workbook([1, "命令市人社局", "命令市人社局", "甲项目", "优", "良", "意见"]))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_workbook([1, "命令市人社局", "命令市人社局", "甲项目", "甲等", "", ""]))
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")

    statuses = {}
    for name, args in {
        "preview": [str(good)],
        "commit": [str(good), "--commit"],
        "again": [str(good), "--commit", "--format", "json"],
        "errors": [str(bad)],
        "unusable": [str(junk)],
    }.items():
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            call_command("import_excel", *args)
            raise SystemExit(0)
        statuses[name] = exited.value.code
        if name == "again":
            again = json.loads(capsys.readouterr().out)

    assert statuses == {"preview": 0, "commit": 0, "again": 0, "errors": 1, "unusable": 2}
    assert again["counts"] == {"新增": 0, "更新": 0, "不变": 1}
    assert Project.objects.filter(name="甲项目").count() == 1
