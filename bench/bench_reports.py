"""Benchmark of the published reports: the summary sheet as Excel and PDF, and one 项目支出绩效自评表 PDF.

Each figure is compared with the raw library doing the same work in the same run, because the machine is
noisy and only ratios hold: openpyxl write-only writing the same cells (and, for reference, raw XlsxWriter,
which summary_xlsx uses), and one WeasyPrint call on a plain HTML table of the same seven columns and text.
Runs against a throwaway test database (SQLite, or PostgreSQL when DATABASE_URL is set). Peak memory is
ru_maxrss of this process and of the largest child process.
Usage: `SECRET_KEY=x .venv/bin/python bench/bench_reports.py [--rows 5000] [--pdf-rows 2000] [--repeat 5]`.
"""

import argparse
import html
import logging
import os
import resource
import statistics
import sys
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

# ~80 characters each; an opinion takes 3 to 5 of them.
PARAGRAPHS = (
    "一、项目资金到位及时，预算执行率达到百分之九十五以上，资金使用符合相关管理办法规定，会计核算规范，未发现截留挤占挪用资金的情况。",
    "二、绩效目标设定基本明确，产出指标与效益指标能够反映项目实施内容，但部分指标值设置偏低，未能充分体现项目的实际产出和预期效果。",
    "三、自评报告内容较为完整，佐证材料基本齐全，但满意度调查样本数量偏少，调查方法说明不够清晰，建议今后进一步规范调查程序和记录。",
    "四、项目管理制度健全，实施过程中能够按照计划推进，但个别子项目进度滞后，年末集中支付的情况较为突出，需要加强预算执行进度管理。",
    "五、建议单位进一步完善绩效指标体系，细化量化指标，强化绩效监控结果运用，将自评发现的问题与下年度预算安排有效衔接并认真整改。",
)
GRADES = ("优", "良", "中", "差")


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def peak_rss_mb():
    """(this process, largest child) peak resident set size in MB (ru_maxrss is in KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def populate(year_number, n_rows, bureau=None):
    """``n_rows`` projects over 10 departments of 5 units each, every one with a completed finance review."""
    from accounts.models import Organisation
    from budgets.models import FiscalYear, Project, RuleProfile
    from evaluations.models import FinanceReview, ProjectEvaluation

    if bureau is None:
        bureau = Organisation.objects.create(name="基准市财政局", kind="finance_bureau")
    departments = [
        Organisation.objects.get_or_create(name=f"基准市第{d + 1}主管部门", kind="department", parent=bureau)[0]
        for d in range(10)
    ]
    units = [
        Organisation.objects.get_or_create(name=f"{dept.name}下属第{u + 1}预算单位", parent=dept)[0]
        for dept in departments
        for u in range(5)
    ]
    year = FiscalYear.objects.create(
        finance_bureau=bureau, year=year_number, profile=RuleProfile.objects.get(code="national")
    )
    projects = Project.objects.bulk_create(
        Project(
            fiscal_year=year,
            unit=units[i % len(units)],
            name=f"{year_number}年度重点民生保障专项资金项目第{i:05d}号",
            code=f"B{year_number}{i:05d}",
        )
        for i in range(n_rows)
    )
    evaluations = ProjectEvaluation.objects.bulk_create(
        ProjectEvaluation(project=p, claimed_grade=GRADES[i % 3]) for i, p in enumerate(projects)
    )
    FinanceReview.objects.bulk_create(
        FinanceReview(
            evaluation=e,
            status=FinanceReview.Status.COMPLETED,
            grade=GRADES[(i + 1) % 4],
            opinion_html="".join(f"<p>{PARAGRAPHS[(i + k) % 5]}</p>" for k in range(3 + i % 3)),
        )
        for i, e in enumerate(evaluations)
    )
    return bureau, year


def raw_xlsxwriter(cells):
    import xlsxwriter

    buffer = BytesIO()
    with xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True}) as wb:
        ws = wb.add_worksheet()
        for index, row in enumerate(cells):
            ws.write_row(index, 0, row)
    return buffer.getvalue()


def raw_xlsx(cells):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in cells:
        ws.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


RAW_CSS = (
    "@page { size: A4 landscape; margin: 14mm 12mm 16mm 12mm; }"
    'html { font-family: "Noto Serif CJK SC", serif; font-size: 8.5pt; }'
    "table { border-collapse: collapse; width: 100%; } td { border: 0.6pt solid #000; }"
)


def raw_pdf(cells):
    from weasyprint import HTML

    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v)).replace(chr(10), '<br>')}</td>" for v in row) + "</tr>"
        for row in cells
    )
    document = f"<html><head><style>{RAW_CSS}</style></head><body><table>{body}</table></body></html>"
    return HTML(string=document).write_pdf()


def bench_xlsx(year, repeat):
    from evaluations.reports.summary import build_summary, summary_xlsx

    sheet = build_summary(fiscal_year=year)
    cells = [row.cells for row in sheet.rows]
    build = timed(lambda: build_summary(fiscal_year=year), repeat)
    ours = timed(lambda: summary_xlsx(build_summary(fiscal_year=year)), repeat)
    raw = timed(lambda: raw_xlsx(cells), repeat)
    raw_xw = timed(lambda: raw_xlsxwriter(cells), repeat)
    return len(cells), ours, build, raw, raw_xw


def bench_pdf(year, repeat, raw_repeat):
    from pypdf import PdfReader

    from evaluations.reports.pdf import render_pdf
    from evaluations.reports.summary import build_summary, summary_pdf

    sheet = build_summary(fiscal_year=year)
    cells = [row.cells for row in sheet.rows]
    content = summary_pdf(sheet)
    reader = PdfReader(BytesIO(content))
    pages = len(reader.pages)
    for index in (0, pages // 2, pages - 1):  # the stamped page numbers run on across the chunks
        footer = f"第{index + 1}页共{pages}页"
        assert footer in "".join(reader.pages[index].extract_text().split()), footer
    ours = timed(lambda: summary_pdf(build_summary(fiscal_year=year)), repeat)
    ours_peak = peak_rss_mb()
    # The same template in one WeasyPrint call in this process (what summary_pdf does below its threshold).
    single = timed(lambda: render_pdf("reports/summary.html", {"sheet": build_summary(fiscal_year=year)}), 1)
    raw_pages = len(PdfReader(BytesIO(raw_pdf(cells))).pages)
    raw = timed(lambda: raw_pdf(cells), raw_repeat)
    return len(cells), pages, ours, ours_peak, single, raw, raw_pages


def bench_project_table(repeat):
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from budgets.models import Project
    from evaluations.demo import load_demo
    from evaluations.reports.project_table import project_table_pdf

    load_demo()
    project = Project.objects.filter(name="人才发展资金").first()
    project_table_pdf(project)  # warm: imports, fonts, CSS
    built = timed(lambda: project_table_pdf(project), repeat)
    # The download as the browser gets it: the whole request through middleware, login and permission checks.
    client = Client()
    client.force_login(User.objects.filter(role="finance_reviewer", organisation=project.fiscal_year.finance_bureau)[0])
    url = reverse("reports:project_table", kwargs={"pk": project.pk, "fmt": "pdf"})

    def download():
        response = client.get(url, secure=True)
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), response.status_code

    download()
    return built, timed(download, repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000, help="rows of the Excel summary")
    parser.add_argument("--pdf-rows", type=int, default=2_000, help="rows of the PDF summary")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--raw-pdf-repeat", type=int, default=1, help="the raw PDF takes about a minute a run")
    parser.add_argument("--only", choices=("xlsx", "pdf", "table"), action="append")
    args = parser.parse_args()
    only = set(args.only or ("xlsx", "pdf", "table"))

    setup_test_environment()
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    # No collected static files here: plain storage, as in the tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        start = time.perf_counter()
        bureau, xlsx_year = populate(2030, args.rows)
        _, pdf_year = populate(2031, args.pdf_rows, bureau)
        print(
            f"database: {connection.vendor}; {args.rows} + {args.pdf_rows} summary rows created "
            f"in {time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs"
        )
        if "table" in only:
            ours, download = bench_project_table(args.repeat)
            print(
                f"project table PDF (人才发展资金, warm, data + HTML + PDF): median {ours * 1000:.0f} ms; "
                f"its download (HTTP request through the whole stack): median {download * 1000:.0f} ms"
            )
        if "xlsx" in only:
            n, ours, build, raw, raw_xw = bench_xlsx(xlsx_year, args.repeat)
            print(
                f"summary Excel ({n} rows, build_summary + summary_xlsx): ours {ours:.2f} s "
                f"(of which build_summary {build:.2f} s); "
                f"raw openpyxl write-only {raw:.2f} s; ratio {ours / raw:.2f} "
                f"(raw XlsxWriter constant-memory, unstyled: {raw_xw:.2f} s)"
            )
        if "pdf" in only:
            n, pages, ours, (own, child), single, raw, raw_pages = bench_pdf(
                pdf_year, max(1, args.repeat // 2), args.raw_pdf_repeat
            )
            print(
                f"summary PDF ({n} rows, build_summary + summary_pdf, {pages} pages): ours {ours:.1f} s; "
                f"raw one-call WeasyPrint {raw:.1f} s ({raw_pages} pages); ratio {ours / raw:.2f}; "
                f"peak RSS during ours: this process {own:.0f} MB, largest worker {child:.0f} MB; "
                f"(our template in one call in this process: {single:.1f} s, ratio {single / raw:.2f})"
            )
        own, child = peak_rss_mb()
        print(f"peak RSS over the whole run: this process {own:.0f} MB, largest child {child:.0f} MB")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
