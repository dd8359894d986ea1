"""The blank Annex 3 template a bureau fills in, generated from the same schema the validator uses.

Prevention is cheaper than feedback: the template carries the official layout (title, stamp line,
the headers as printed in the notice) and Excel data validation drawn from ``schemas/`` — the
institution types and the province's national zones as dropdowns, a date check bounded by the
batch's cutoff, length checks on phones, an ``@`` check on e-mail — with the codes' fix hints as
input messages. Every dropdown value is one the validator accepts, so a template filled from its
own lists passes ``beian check``. Header cells are protected, data cells open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

from pipeline.core.atomic import write_atomic
from pipeline.core.bureau import match_bureau
from pipeline.core.cells import cell_address
from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.problems import MessageParams, problem
from pipeline.core.schema import Bureau, ColumnSpec, FormSpec, Registers, load_form, load_registers
from pipeline.rules.validate import Context, message_params
from pipeline.write.xlsx import (
    A4,
    BASE_FORMAT,
    HEADER_FORMAT,
    TITLE_FORMAT,
    display_width,
    new_workbook,
    print_setup,
    row_height,
)

ANNEX = "附件3"
SHEET = ANNEX
GUIDE_SHEET = "填表说明"
SERIAL = "序号"
TITLE_ROW, STAMP_ROW, HEADER_ROW, FIRST_DATA_ROW = 0, 1, 2, 3
NUMBERED_ROWS = 20
"""Rows printed with a 序号 and borders; a bureau with more spaces inserts rows."""
CHECKED_ROWS = 1000
"""Rows below the header that carry the data validation, beyond the numbered ones."""
STAMP_NAME_COLUMNS = 5

# Text length bounds of the phone kinds (Excel counts characters). A fixed line with its area
# code has at least 11 digits (0 + 2-3 digit code + 8 digits, or 0 + 3 digit code + 7 digits); 20
# leaves room for dashes, brackets and an extension. A mainland mobile is exactly 11 digits.
# These cells are formatted as text, so a typed number keeps its leading 0.
PHONE_LENGTHS: dict[str, tuple[int, int]] = {"fixed_phone": (11, 20), "mobile": (11, 11)}
EXCEL_TITLE_LIMIT = 32
EXCEL_MESSAGE_LIMIT = 255


@dataclass(frozen=True)
class TemplateSpec:
    """Everything the template shows, derived from the form, the registers and the batch."""

    settings: Settings
    form: FormSpec
    registers: Registers
    bureau: Bureau | None

    @property
    def context(self) -> Context:
        s = self.settings
        return Context(
            self.form, self.registers, s.deadline, s.cutoff, s.min_age_months, self.bureau
        )

    @property
    def params(self) -> MessageParams:
        """The batch-level placeholders of the code hints (deadline, cutoff, months, zones)."""
        return message_params("", pd.Series(dtype=object), "", self.context)


def template_name(form: FormSpec, bureau: Bureau | None = None) -> str:
    """附件3-<form title>.xlsx, with the bureau's name appended when pre-filled for one."""
    suffix = f"-{bureau.name}" if bureau else ""
    return f"{ANNEX}-{form.title}{suffix}.xlsx"


def find_bureau(name: str, registers: Registers) -> Bureau:
    """The registered bureau a clerk means by ``name`` (any alias); refuse an unknown name."""
    bureau = match_bureau(name, registers)
    if bureau is None:
        names = "、".join(b.name for b in registers.bureaus)
        raise ConfigError(f"推荐单位“{name}”不在登记名单中。可用的单位：{names}。")
    return bureau


def zone_options(form: FormSpec, registers: Registers, settings: Settings) -> list[str]:
    """The zone dropdown: 否, or 是，<short name> for each national zone on the deadline."""
    yes, no = form.yes_prefixes[0], form.no_answers[0]
    return [no] + [f"{yes}，{z.short_name}" for z in registers.national_zones(settings.deadline)]


def clip(text: str, limit: int) -> str:
    """Excel refuses longer validation titles and messages; the full text is in 填表说明."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def guidance(column: ColumnSpec, spec: TemplateSpec) -> str:
    """How to fill a column: the fix hints of the error codes it obeys, from schemas/codes.toml."""
    hints = [
        problem(code, file="", column=column.short_label, **spec.params).hint
        for code in column.rules
        if code.startswith("E_")
    ]
    return "".join(dict.fromkeys(hints))


def requirement(column: ColumnSpec) -> str:
    return "必填" if column.required else "选填，可留空"


def input_hint(column: ColumnSpec, spec: TemplateSpec) -> dict[str, str]:
    """The input message Excel shows when a cell of the column is selected."""
    return {
        "input_title": clip(f"{column.short_label}（{requirement(column)}）", EXCEL_TITLE_LIMIT),
        "input_message": clip(
            f"{requirement(column)}。{guidance(column, spec)}", EXCEL_MESSAGE_LIMIT
        ),
    }


def column_check(column: ColumnSpec, spec: TemplateSpec, first_cell: str) -> dict[str, Any]:
    """The Excel data validation for a column's data cells, by the column's kind."""
    kind = column.kind
    if kind == "choice":
        check: dict[str, Any] = {"validate": "list", "source": column.options}
    elif kind == "zone":
        check = {
            "validate": "list",
            "source": zone_options(spec.form, spec.registers, spec.settings),
        }
    elif kind == "date":
        check = {"validate": "date", "criteria": "<=", "value": spec.settings.cutoff}
    elif kind in PHONE_LENGTHS:
        low, high = PHONE_LENGTHS[kind]
        check = {"validate": "length", "criteria": "between", "minimum": low, "maximum": high}
    elif kind == "email":
        check = {"validate": "custom", "value": f'=ISNUMBER(FIND("@",{first_cell}))'}
    else:
        return {"validate": "any", **input_hint(column, spec)}
    return {
        **check,
        "ignore_blank": True,
        "error_type": "stop",
        "error_title": clip(f"{column.short_label}填写有误", EXCEL_TITLE_LIMIT),
        "error_message": clip(guidance(column, spec), EXCEL_MESSAGE_LIMIT),
        **input_hint(column, spec),
    }


class Formats:
    """The template's cell formats. Only data cells and the stamp name are unlocked."""

    def __init__(self, wb: Workbook) -> None:
        base = BASE_FORMAT
        self.title = wb.add_format(TITLE_FORMAT)
        self.stamp = wb.add_format({**base, "font_size": 11, "align": "right"})
        self.stamp_name = wb.add_format({**base, "font_size": 11, "bottom": 1, "locked": False})
        self.header = wb.add_format(HEADER_FORMAT)
        self.serial = wb.add_format({**base, "border": 1, "align": "center", "locked": False})
        self.guide_title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.guide_key = wb.add_format({**base, "bold": True, "valign": "top", "text_wrap": True})
        self.guide_text = wb.add_format({**base, "valign": "top", "text_wrap": True})
        self._wb, self._base = wb, base
        self._data: dict[tuple[str, bool], Format] = {}

    def data(self, kind: str, bordered: bool) -> Format:
        """Unlocked data cells: phones as text (keeps the leading 0), dates with a date format."""
        key = (kind, bordered)
        if key not in self._data:
            props: dict[str, Any] = {**self._base, "locked": False, "text_wrap": True}
            if kind in PHONE_LENGTHS:
                props["num_format"] = "@"
            elif kind == "date":
                props["num_format"] = "yyyy-mm-dd"
            if bordered:
                props["border"] = 1
            self._data[key] = self._wb.add_format(props)
        return self._data[key]


def form_widths(form: FormSpec) -> list[int]:
    """Column widths of 附件3: 序号, then each column's width from the form."""
    return [5] + [c.width for c in form.columns]


def stamp_span(form: FormSpec) -> int:
    """How many leading columns the stamp label needs; the bureau's name goes in the next one.

    The label is set a point larger than the body, hence the few units of slack.
    """
    total = 0
    for index, width in enumerate(form_widths(form)):
        total += width
        if total >= display_width(form.stamp_label) + 4:
            return index + 1
    return len(form.columns)


def stamp_name_cell(form: FormSpec) -> str:
    """Where the bureau writes its name on the stamp line, e.g. ``E2``."""
    return cell_address(STAMP_ROW + 1, stamp_span(form))


def write_form(wb: Workbook, spec: TemplateSpec, fmt: Formats) -> None:
    """附件3: title, stamp line, header, numbered rows, validation, protection, print setup."""
    ws = wb.add_worksheet(SHEET)
    form = spec.form
    columns = list(form.columns)
    labels = [SERIAL] + [c.label for c in columns]
    widths = form_widths(form)
    kinds = ["serial"] + [c.kind for c in columns]
    last_col = len(labels) - 1
    last_row = FIRST_DATA_ROW + NUMBERED_ROWS - 1

    for col, (width, kind) in enumerate(zip(widths, kinds, strict=True)):
        ws.set_column(col, col, width, fmt.data(kind, bordered=False))
    ws.set_row(TITLE_ROW, 30)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, form.title, fmt.title)
    ws.set_row(STAMP_ROW, 24)
    span = stamp_span(form)
    ws.merge_range(STAMP_ROW, 0, STAMP_ROW, span - 1, form.stamp_label, fmt.stamp)
    name_end = min(span + STAMP_NAME_COLUMNS - 1, last_col)
    ws.merge_range(
        STAMP_ROW,
        span,
        STAMP_ROW,
        name_end,
        spec.bureau.name if spec.bureau else "",
        fmt.stamp_name,
    )
    ws.set_row(HEADER_ROW, row_height(labels, widths, bold=True))
    for col, label in enumerate(labels):
        ws.write_string(HEADER_ROW, col, label, fmt.header)
    for number, row in enumerate(range(FIRST_DATA_ROW, last_row + 1), start=1):
        ws.write_number(row, 0, number, fmt.serial)
        for col, kind in enumerate(kinds[1:], start=1):
            ws.write_blank(row, col, None, fmt.data(kind, bordered=True))

    ws.data_validation(
        HEADER_ROW,
        0,
        HEADER_ROW,
        0,
        {"validate": "any", "input_title": SERIAL, "input_message": "按顺序编号；可不填。"},
    )
    checked_to = FIRST_DATA_ROW + CHECKED_ROWS - 1
    for col, column in enumerate(columns, start=1):
        ws.data_validation(
            HEADER_ROW, col, HEADER_ROW, col, {"validate": "any", **input_hint(column, spec)}
        )
        first_cell = cell_address(FIRST_DATA_ROW + 1, col)
        ws.data_validation(
            FIRST_DATA_ROW, col, checked_to, col, column_check(column, spec, first_cell)
        )

    ws.freeze_panes(FIRST_DATA_ROW, 0)
    ws.protect(
        "", {"insert_rows": True, "delete_rows": True, "format_columns": True, "format_rows": True}
    )
    print_setup(ws, HEADER_ROW)
    ws.print_area(TITLE_ROW, 0, last_row, last_col)
    ws.center_horizontally()


def guide_lines(spec: TemplateSpec) -> list[tuple[str, str]]:
    """填表说明: the rules of the form in plain Chinese, each drawn from schemas/ or the batch."""
    s, form = spec.settings, spec.form
    lines = [
        ("本表", f"{s.batch}众创空间备案：{form.title}（{ANNEX}）。报送截止日期：{s.deadline}。"),
        (
            "推荐单位",
            f"在“{SHEET}”表第 {STAMP_ROW + 1} 行“（盖章）：”后的单元格（{stamp_name_cell(form)}）"
            "填写推荐单位全称，如“长沙市科学技术局”。",
        ),
        (
            "怎样填写",
            f"每个众创空间填一行，从第 {FIRST_DATA_ROW + 1} 行起依次填写；行数不够时插入行。"
            "请勿修改、删除或移动表头，请勿合并单元格，请勿在表中保留示例行或说明文字。",
        ),
        (
            "成立时间",
            f"众创空间须成立{s.min_age_months}个月以上：成立时间不晚于 {s.cutoff}"
            f"（截止日期 {s.deadline} 前 {s.min_age_months} 个月）。",
        ),
    ]
    if s.priors:
        batches = "、".join(p.name for p in s.priors)
        lines.append(("不要重复报送", f"已在{batches}报送备案的众创空间不需要重复报送。"))
    lines += [(c.short_label, f"{requirement(c)}。{guidance(c, spec)}") for c in form.columns]
    lines.append(
        (
            "回执",
            "省生产力促进中心收到后返回回执：“问题清单”逐项列出需要修改的单元格，"
            "“标注”表中红色为错误、黄色为提示。请按回执修改后重新报送完整的表格，"
            "新报送的文件将整体替换之前的文件。",
        )
    )
    return lines


def write_guide(wb: Workbook, spec: TemplateSpec, fmt: Formats) -> None:
    ws = wb.add_worksheet(GUIDE_SHEET)
    widths = [16, 96]
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, 1, widths[1])
    ws.write_string(0, 0, GUIDE_SHEET, fmt.guide_title)
    for row, (key, text) in enumerate(guide_lines(spec), start=1):
        ws.write_string(row, 0, key, fmt.guide_key)
        ws.write_string(row, 1, text, fmt.guide_text)
        ws.set_row(row, row_height([key, text], widths))
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)


def _write(spec: TemplateSpec, path: Path) -> None:
    wb = new_workbook(path, f"{ANNEX} {spec.form.title}", "beian template")
    fmt = Formats(wb)
    write_form(wb, spec, fmt)
    write_guide(wb, spec, fmt)
    wb.worksheets()[0].activate()
    wb.close()


def write_template(settings: Settings, directory: Path, bureau_name: str | None = None) -> Path:
    """Write the blank template into ``directory``; the stamp line filled when a bureau is named."""
    form = load_form(settings.form)
    registers = load_registers(settings.form.parent)
    bureau = find_bureau(bureau_name, registers) if bureau_name else None
    spec = TemplateSpec(settings, form, registers, bureau)
    path = Path(directory) / template_name(form, bureau)
    write_atomic(path, lambda tmp: _write(spec, tmp))
    return path
