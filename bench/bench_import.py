"""Benchmark of the Excel import: a filled flat template of 50,000 indicator rows, dry run then commit.

Compared in the same run with openpyxl merely reading the same file (load_workbook as the importer opens it —
not read-only, data_only — and every cell value visited), because the machine is noisy and only ratios hold.
Runs against a throwaway test database: SQLite, or PostgreSQL when DATABASE_URL is set (the target is for
PostgreSQL). Usage:
`SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_bench .venv/bin/python bench/bench_import.py`
"""

import argparse
import os
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

from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

LEVELS = (
    ("产出指标", "数量指标", "培训人次", "≥", "3000", "人次", "3150"),
    ("产出指标", "质量指标", "培训合格率", "≥", "95%", "%", "96.5%"),
    ("产出指标", "时效指标", "按时完成率", "=", "100%", "%", "100%"),
    ("产出指标", "成本指标", "人均培训成本", "≤", "1200", "元", "1180"),
    ("效益指标", "社会效益指标", "就业率", "≥", "80%", "%", "83.2%"),
    ("效益指标", "经济效益指标", "人均增收", "≥", "2000", "元", "2150"),
    ("效益指标", "可持续影响指标", "长效机制", "定性", "建立", "", "达成年度指标"),
    ("满意度指标", "服务对象满意度指标", "学员满意度", "≥", "90%", "%", "93%"),
    ("产出指标", "数量指标", "培训班期数", "≥", "60", "期", "62"),
    ("效益指标", "社会效益指标", "带动就业人数", "≥", "2400", "人", "2610"),
)
WEIGHTS = ("10", "10", "10", "10", "10", "10", "10", "10", "5", "5")


def workbook_bytes(n_projects: int) -> bytes:
    from openpyxl import load_workbook

    from budgets.models import RuleProfile
    from imports.readers.flat_template import flat_template_xlsx

    wb = load_workbook(BytesIO(flat_template_xlsx(RuleProfile.objects.get(code="national"))))
    projects, indicators = wb["项目"], wb["绩效指标"]
    project_headers = [c.value for c in projects[1]]
    indicator_headers = [c.value for c in indicators[1]]
    for p in range(n_projects):
        department = f"基准市第{p % 20 + 1}局"
        unit = f"{department}第{p % 10 + 1}中心"
        name = f"职业技能培训项目{p:05d}"
        project = {
            "年度": 2024,
            "主管部门": department,
            "预算单位": unit,
            "项目名称": name,
            "项目类型": "常年项目",
            "本年财政拨款年初预算数": 579.83,
            "本年财政拨款全年预算数": 600.5,
            "本年财政拨款全年执行数": 579.83,
            "总分": 95.5,
            "自评等级": "优",
        }
        projects.append([project.get(h) for h in project_headers])
        for (level1, level2, indicator, sign, target, unit_, actual), weight in zip(LEVELS, WEIGHTS, strict=True):
            row = {
                "年度": 2024,
                "预算单位": unit,
                "项目名称": name,
                "一级指标": level1,
                "二级指标": level2,
                "三级指标": indicator,
                "指标性质": sign,
                "年度指标值": target,
                "度量单位": unit_,
                "实际完成值": actual,
                "分值": weight,
                "得分": weight,
            }
            indicators.append([row.get(h) for h in indicator_headers])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def raw_read(data: bytes) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(data), data_only=True)
    return sum(1 for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for value in row if value)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=5_000, help="projects; each has 10 indicator rows")
    parser.add_argument("--raw-repeat", type=int, default=3)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from accounts.models import Organisation
        from imports import service
        from imports.records import CREATED, UNCHANGED
        from indicators.models import Indicator

        bureau = Organisation.objects.create(name="基准市财政局", kind=Organisation.Kind.FINANCE_BUREAU)
        data = workbook_bytes(args.projects)
        rows = args.projects * len(LEVELS)
        print(f"database: {connection.vendor}; {args.projects} projects, {rows} indicator rows, {len(data):,} bytes")

        raw = statistics.median(timed(lambda: raw_read(data))[0] for _ in range(args.raw_repeat))
        dry, preview = timed(lambda: service.run(data, bureau=bureau))
        assert not preview.errors and Indicator.objects.count() == 0, preview.errors[:3]
        commit, done = timed(lambda: service.run(data, bureau=bureau, commit=True))
        assert done.committed and Indicator.objects.count() == rows
        again, repeat = timed(lambda: service.run(data, bureau=bureau, commit=True))
        history_rows = Indicator.history.count()
        # The same commit with the audit trail switched off, into a second empty city: what the trail costs.
        other = Organisation.objects.create(name="基准二市财政局", kind=Organisation.Kind.FINANCE_BUREAU)
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            unaudited, _ = timed(lambda: service.run(data, bureau=other, commit=True))
        raw_after = statistics.median(timed(lambda: raw_read(data))[0] for _ in range(args.raw_repeat))
        raw = statistics.median([raw, raw_after])

        print(f"raw openpyxl read of the same file (median of {2 * args.raw_repeat}): {raw:.1f} s")
        print(f"dry run:  {dry:.1f} s  ({rows / dry:,.0f} indicator rows/s)  ratio {dry / raw:.2f}")
        print(f"commit:   {commit:.1f} s  ({rows / commit:,.0f} indicator rows/s)  ratio {commit / raw:.2f}")
        print(f"dry run + commit: {dry + commit:.1f} s  ratio {(dry + commit) / raw:.2f}  (target ≤ 3 for each run)")
        print(
            f"commit without the audit trail: {unaudited:.1f} s; with it {commit:.1f} s "
            f"(× {commit / unaudited:.2f}; {history_rows:,} indicator history rows written)"
        )
        print(
            f"re-import of the same file: {again:.1f} s, ratio {again / raw:.2f}; "
            f"created {repeat.count(CREATED)}, unchanged {repeat.count(UNCHANGED)}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
