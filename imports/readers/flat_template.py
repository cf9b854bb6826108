"""The downloadable flat import template of a rule profile (SPEC §10.1): sheets 项目 and 绩效指标 with their
Chinese headers, and a 填写说明 sheet describing every column, its aliases, signs and units. Read back by
``imports.readers.flat``."""

from io import BytesIO

from budgets.models import RuleProfile
from evaluations.reports.excel import write_cell
from imports.readers.flat import HELP_SHEET, INDICATOR_SHEET, PROJECT_SHEET
from imports.resources.columns import (
    FUND_MEASURES,
    FUND_SOURCE_ALIASES,
    INDICATOR_COLUMNS,
    PROJECT_HEAD_COLUMNS,
    PROJECT_OPTIONAL_COLUMNS,
    PROJECT_TAIL_COLUMNS,
    Column,
    fund_header,
    fund_source_names,
)
from imports.wording import GRADES


def _fund_columns(profile: RuleProfile) -> list[Column]:
    measure_aliases = {"全年预算数": "调整后预算数", "全年执行数": "预算执行数"}
    source_aliases = {canonical: alias for alias, canonical in FUND_SOURCE_ALIASES.items()}
    columns = []
    for source in fund_source_names(profile):
        for measure in FUND_MEASURES:
            aliases = []
            if measure in measure_aliases:
                aliases.append(fund_header(source, measure_aliases[measure]))
            if source in source_aliases:
                aliases.append(fund_header(source_aliases[source], measure))
            columns.append(
                Column(
                    fund_header(source, measure),
                    f"{source}的{measure}，单位万元（可保留 6 位小数）；没有这项资金的留空。",
                    tuple(aliases),
                    14,
                )
            )
    return columns


GENERAL_NOTES = (
    "每个项目在“项目”表中占一行；每个三级指标在“绩效指标”表中占一行，按“年度 + 预算单位 + 项目名称”"
    "（或项目编码）对应到“项目”表中的项目。",
    "金额单位均为万元，可保留至 6 位小数，按所填数值原样保存；年度资金总额由系统按各资金来源合计，不必填写。",
    "指标性质填 ≥、>、=、≤、< 或 定性；也可以把“≥95%”整体写在“年度指标值”中，系统会拆分出符号、数值和单位。",
    "定性指标的实际完成值填 达成年度指标、部分达成年度指标并具有一定效果 或 未达成年度指标且效果较差；"
    "其他写法按原文保留并提示。",
    "数字可以写成数值或文字，全角数字、千分位逗号和“100.00%”都能识别；“/”“—”表示没有内容。",
    "表头可以使用下表“也可写作”中的名称；表头中的空格、换行、全角字符以及“（万元）”“（50分）”等后缀会被忽略。",
    "“项目”表中留空的单元格表示不修改系统中已有的内容，填写“/”表示清空。“绩效指标”表中列出的项目，"
    "其指标以本表为准：按在本表中的先后顺序对应已有指标，多出的已有指标会被删除。",
    "系统中还没有的主管部门和预算单位会自动新建，预览时逐一列出。",
    "导入前先预览：列出将新增、更新的记录以及每个问题所在的工作表、行和列；有任何错误时不会写入任何数据。"
    "重新导入同一个文件不会产生变化。",
    "得分高于分值等历史数据按原样导入，由智能审核提示，不会被自动改正。",
)


def _write_header(ws, columns: list[Column]):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    style = {
        "font": Font(bold=True),
        "fill": PatternFill("solid", fgColor="DDEBF7"),
        "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True),
    }
    for index, column in enumerate(columns, 1):
        write_cell(ws, 1, index, column.header, style=style)
        ws.column_dimensions[get_column_letter(index)].width = max(column.width, len(column.header) * 2 + 2)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"


def _add_list(ws, columns: list[Column], header: str, values: tuple[str, ...]):
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    index = next(i for i, c in enumerate(columns, 1) if c.header == header)
    letter = get_column_letter(index)
    validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    validation.showErrorMessage = False  # a suggestion list, not a lock: other wordings are still read
    validation.add(f"{letter}2:{letter}5000")
    ws.add_data_validation(validation)


def flat_template_xlsx(profile: RuleProfile) -> bytes:
    """The downloadable flat template for ``profile``: sheets 项目 and 绩效指标 with their Chinese headers (bold,
    sized, header frozen) and a 填写说明 sheet describing every column, its aliases, signs and units."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    project_columns = [*PROJECT_HEAD_COLUMNS, *_fund_columns(profile), *PROJECT_TAIL_COLUMNS]
    indicator_columns = list(INDICATOR_COLUMNS)
    workbook = Workbook()
    projects = workbook.active
    projects.title = PROJECT_SHEET
    _write_header(projects, project_columns)
    _add_list(projects, project_columns, "项目类型", ("常年项目", "一次性项目"))
    _add_list(projects, project_columns, "自评等级", GRADES)
    indicators = workbook.create_sheet(INDICATOR_SHEET)
    _write_header(indicators, indicator_columns)
    _add_list(indicators, indicator_columns, "指标性质", ("≥", ">", "=", "≤", "<", "定性"))

    notes = workbook.create_sheet(HELP_SHEET)
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = {"font": Font(bold=True), "alignment": wrap}
    write_cell(
        notes, 1, 1, f"绩效自评导入模板填写说明（规则方案：{profile.name}）", style={"font": Font(bold=True, size=14)}
    )
    row = 3
    for number, note in enumerate(GENERAL_NOTES, 1):
        write_cell(notes, row, 1, f"{number}. {note}", style={"alignment": wrap})
        notes.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        notes.row_dimensions[row].height = 32
        row += 1
    row += 1
    for index, title in enumerate(("工作表", "列名", "必填", "说明", "也可写作"), 1):
        write_cell(notes, row, index, title, style=bold)
    notes.freeze_panes = None
    row += 1
    listed = (
        [(PROJECT_SHEET, c) for c in project_columns]
        + [(f"{PROJECT_SHEET}（可选列）", c) for c in PROJECT_OPTIONAL_COLUMNS]
        + [(INDICATOR_SHEET, c) for c in indicator_columns]
    )
    for sheet_name, column in listed:
        cells = (sheet_name, column.header, "是" if column.required else "", column.help, "、".join(column.aliases))
        for index, value in enumerate(cells, 1):
            write_cell(notes, row, index, value, style={"alignment": wrap})
        row += 1
    for letter, width in zip("ABCDE", (16, 26, 6, 70, 36), strict=True):
        notes.column_dimensions[letter].width = width

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
