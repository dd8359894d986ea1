"""Judge normalised rows against the form's rules, with pandera, and report problems by cell.

The pandera schema is built from the form spec: every column gets one ``Check`` per rule code the
spec lists for it (``error=code``), so each failure case already carries its code, its column and
its position in the batch's frame, which :func:`validate_batch` maps back to the file, sheet and
Excel row it came from. The rule functions below are the mechanisms;
which column obeys which rule, and every message, is data in ``schemas/``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import pandas as pd
import pandera.pandas as pa

from pipeline.core.cells import cell_address
from pipeline.core.dates import PRECISION_WORDS, TWO_READINGS
from pipeline.core.errors import ConfigError
from pipeline.core.model import SheetTable
from pipeline.core.problems import MessageParams, Problem, problem
from pipeline.core.schema import Bureau, ColumnSpec, FormSpec, Registers
from pipeline.rules.normalise import answered

_EARLIEST = pd.Timestamp("1949-01-01")
# Columns validate_batch adds to each row: its bureau, and the zone a zone committee governs.
BUREAU_NAME = "_bureau"
BUREAU_ZONE = "_bureau_zone"
_PROVINCE_SUFFIX = "(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)"


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides the row: the batch's dates, the registers, and (for
    :func:`validate` on one file) that file's bureau."""

    form: FormSpec
    registers: Registers
    deadline: dt.date
    cutoff: dt.date
    min_age_months: int
    bureau: Bureau | None

    @property
    def national_zone_names(self) -> str:
        return "、".join(z.short_name for z in self.registers.national_zones(self.deadline))


Frame: TypeAlias = pd.DataFrame
RuleCheck = Callable[[Frame, pd.Series, str, Context], pd.Series]


def _required(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    return present


def _date(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    start = norm[f"{field}_start"]
    bad = start.isna() | (start < _EARLIEST) | (start > pd.Timestamp(ctx.deadline))
    return ~(present & bad)


def _valid_date(norm: Frame, field: str, ctx: Context) -> pd.Series:
    start = norm[f"{field}_start"]
    return start.notna() & (start >= _EARLIEST) & (start <= pd.Timestamp(ctx.deadline))


def _too_young(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    return ~(_valid_date(norm, field, ctx) & (norm[f"{field}_start"] > pd.Timestamp(ctx.cutoff)))


def _ambiguous(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    cutoff = pd.Timestamp(ctx.cutoff)
    straddles = (norm[f"{field}_start"] <= cutoff) & (norm[f"{field}_end"] > cutoff)
    return ~(_valid_date(norm, field, ctx) & straddles)


def _two_readings(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    return norm[f"{field}_precision"] != TWO_READINGS


def _single(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    return ~(present & norm[f"{field}_several"])


def _implied(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    return ~norm[f"{field}_implied"]


def _parse_ok(norm: Frame, present: pd.Series, field: str) -> pd.Series:
    """An empty cell or one normalise could parse (its ``{field}_valid`` fact)."""
    return ~present | norm[f"{field}_valid"]


def _institution_type(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    """E_INSTITUTION_TYPE: a filled cell names one of the form's institution types
    (spellings in the form file, matched by :func:`pipeline.rules.normalise.institution_type`)."""
    return _parse_ok(norm, present, field)


def _phone(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    """E_PHONE: a filled cell is a fixed line (:func:`pipeline.rules.normalise.parse_fixed`)."""
    return _parse_ok(norm, present, field)


def _mobile(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    """E_MOBILE: a filled cell is an 11-digit mainland mobile
    (:func:`pipeline.rules.normalise.parse_mobile`)."""
    return _parse_ok(norm, present, field)


def _email(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    """E_EMAIL: a filled cell is an address by syntax (rules.normalise.parse_email)."""
    return _parse_ok(norm, present, field)


def _area_added(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    return ~(present & norm[f"{field}_area_added"])


def _named(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    text = norm[f"{field}_text"] if f"{field}_text" in norm else norm[field]
    return ~((norm[f"in_{field}"] == "是") & (text == ""))


def _zone_known(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    named = (norm[f"in_{field}"] == "是") & (norm[f"{field}_text"] != "")
    national = norm[f"{field}_since"].notna() & (
        norm[f"{field}_since"] <= pd.Timestamp(ctx.deadline)
    )
    return ~(named & ~national)


def _zone_bureau(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    own = norm[BUREAU_ZONE]
    return ~((own != "") & (norm[field] != "") & (norm[field] != own))


def _outside_pattern(ctx: Context) -> str:
    """Another province named where an address names its province: at the start (中国 aside),
    so 长沙市…北京市场 stays home."""
    names = "|".join(map(re.escape, ctx.registers.province.others))
    return f"^(?:中国)?(?:{names}){_PROVINCE_SUFFIX}"


def _address_outside(norm: Frame, present: pd.Series, field: str, ctx: Context) -> pd.Series:
    outside = norm[field].str.contains(_outside_pattern(ctx), regex=True)
    return ~(outside & ~norm[field].str.contains(ctx.registers.province.short, regex=False))


RULES: dict[str, RuleCheck] = {
    "E_REQUIRED": _required,
    "E_DATE": _date,
    "E_TOO_YOUNG": _too_young,
    "W_FOUNDED_AMBIGUOUS": _ambiguous,
    "W_FOUNDED_TWO_READINGS": _two_readings,
    "W_SEVERAL_VALUES": _single,
    "E_INSTITUTION_TYPE": _institution_type,
    "E_PHONE": _phone,
    "W_PHONE_AREA_ADDED": _area_added,
    "E_MOBILE": _mobile,
    "E_EMAIL": _email,
    "E_ZONE_NAME_MISSING": _named,
    "E_ZONE_UNKNOWN": _zone_known,
    "W_ZONE_BUREAU": _zone_bureau,
    "W_ZONE_FROM_BUREAU": _implied,
    "E_INCUBATOR_NAME_MISSING": _named,
    "W_ADDRESS_OUTSIDE": _address_outside,
}


def rules_of(column: ColumnSpec) -> list[str]:
    """The rule codes a column obeys, E_REQUIRED first when it is required."""
    return (["E_REQUIRED"] if column.required else []) + list(column.rules)


def check_decided(form: FormSpec) -> None:
    """Refuse a form whose columns list a catalogued code that no rule here decides (say
    E_DUPLICATE_ROW on a column): it would fail as a KeyError mid-run or never be raised.
    Checked here rather than in schema.py, which RULES cannot be imported into."""
    for number, column in enumerate(form.columns, start=1):
        undecided = [code for code in column.rules if code not in RULES]
        if undecided:
            raise ConfigError(
                f"表样文件 {form.source} 第 {number} 个 [[columns]]（field = {column.field}）"
                f"的 rules 中 {'、'.join(undecided)} 不是逐列检查的规则；"
                f"请从该列的 rules 中删去，可用：{'、'.join(RULES)}。"
            )


def build_schema(norm: Frame, present: Frame, ctx: Context) -> pa.DataFrameSchema:
    """The pandera schema of this form, its checks bound to this batch's rows and context;
    the form's rule codes are checked first (check_decided)."""
    check_decided(ctx.form)

    def bound(rule: RuleCheck, field: str) -> Callable[[pd.Series], pd.Series]:
        def check(series: pd.Series) -> pd.Series:
            return rule(norm, present[field], field, ctx).reindex(series.index, fill_value=True)

        return check

    columns = {
        col.field: pa.Column(
            str,
            nullable=True,
            checks=[
                pa.Check(bound(RULES[code], col.field), name=code, error=code)
                for code in rules_of(col)
            ],
        )
        for col in ctx.form.columns
    }
    return pa.DataFrameSchema(columns, strict=False)


def failures(norm: Frame, present: Frame, ctx: Context) -> pd.DataFrame:
    """Run pandera lazily; one line per failing (row, column, code)."""
    schema = build_schema(norm, present, ctx)
    try:
        schema.validate(norm[ctx.form.fields], lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["check"].isin(RULES.keys())]
        return cases[["index", "column", "check"]].rename(
            columns={"index": "row", "column": "field", "check": "code"}
        )
    return pd.DataFrame(columns=["row", "field", "code"])


class RowCells:
    """One row of a frame, read cell by cell when a message asks for it: taking the whole row
    (``frame.loc[row]``) of the wide normalised frame costs ≈1 ms per problem, and most
    messages need none of it. ``columns`` caches each column asked for as an array of Python
    objects (shared by every row of the frame); ``row`` is a position."""

    def __init__(self, frame: Frame, row: int, columns: dict[str, Any]) -> None:
        self.frame, self.row, self.columns = frame, row, columns

    def __getitem__(self, column: str) -> Any:
        if column not in self.columns:
            self.columns[column] = self.frame[column].to_numpy(dtype=object)
        return self.columns[column][self.row]

    def get(self, column: str, default: Any = None) -> Any:
        return self[column] if column in self.frame.columns else default


def message_params(code: str, row: pd.Series | RowCells, field: str, ctx: Context) -> MessageParams:
    """The extra placeholders a code's message needs, from the failing row."""
    params: MessageParams = {
        "deadline": ctx.deadline.isoformat(),
        "cutoff": ctx.cutoff.isoformat(),
        "months": ctx.min_age_months,
        "zones": ctx.national_zone_names,
        "home": ctx.registers.province.name,
    }
    if code == "E_DATE" and pd.notna(row.get(f"{field}_start")):
        start = row[f"{field}_start"]
        params["detail"] = "（早于1949年）" if start < _EARLIEST else "（晚于截止日期）"
    elif code == "W_FOUNDED_AMBIGUOUS":
        params["precision"] = PRECISION_WORDS.get(row[f"{field}_precision"], "日")
    elif code == "W_PHONE_AREA_ADDED":
        params["fixed"] = row[field]
    elif code == "E_ZONE_UNKNOWN" and row.get(field):
        since = row[f"{field}_since"].date().isoformat()
        params["detail"] = f"（{row[field]} {since} 才成为国家高新区）"
    elif code in ("W_ZONE_BUREAU", "W_ZONE_FROM_BUREAU"):
        params.update(bureau=row[BUREAU_NAME], zone=row[field])
    elif code == "W_ADDRESS_OUTSIDE":
        found = re.search(_outside_pattern(ctx), row[field])
        params["province"] = found.group(0).removeprefix("中国") if found else ""
    return params


@dataclass(frozen=True)
class Part:
    """One sheet's rows to validate: its file, its table as read, its normalised rows, its bureau
    (a file filled on several sheets gives a Part per sheet)."""

    file: str
    table: SheetTable
    norm: Frame
    bureau: Bureau | None


def validate_batch(parts: list[Part], ctx: Context) -> list[list[Problem]]:
    """Every rule failure of every file, as problems at their cells, per file in ``parts`` order.

    All files are judged in one pandera call (its fixed cost per call is large beside a bureau's
    few dozen rows); problems come sorted by row, then by column in form order.
    """
    if not parts:
        return []
    norm = pd.concat(
        [
            p.norm.assign(
                **{
                    BUREAU_NAME: p.bureau.name if p.bureau else "",
                    BUREAU_ZONE: p.bureau.zone if p.bureau else "",
                }
            )
            for p in parts
        ],
        ignore_index=True,
    )
    raw = pd.concat([p.table.frame for p in parts], ignore_index=True)
    part_of = [i for i, p in enumerate(parts) for _ in range(len(p.norm))]
    row_of = [int(r) for p in parts for r in p.norm.index]
    present = answered(raw, ctx.form)
    cases = failures(norm, present, ctx)
    labels = {c.field: c.short_label for c in ctx.form.columns}
    order = {f: i for i, f in enumerate(ctx.form.fields)}
    cases = cases.assign(
        part=cases["row"].map(part_of.__getitem__),
        excel_row=cases["row"].map(row_of.__getitem__),
        pos=cases["field"].map(order),
    ).sort_values(["part", "excel_row", "pos"], kind="stable")
    found: list[list[Problem]] = [[] for _ in parts]
    typed = {f: raw[f].to_numpy(dtype=object) for f in cases["field"].unique()}
    columns: dict[str, Any] = {}
    for uid, field, code, index in cases[["row", "field", "code", "part"]].itertuples(index=False):
        part, row_number = parts[index], row_of[uid]
        col = part.table.columns.get(field)
        found[index].append(
            problem(
                code,
                file=part.file,
                sheet=part.table.sheet,
                cell=cell_address(row_number, col) if col is not None else "",
                column=labels[field],
                value=typed[field][uid],
                row=row_number,
                **message_params(code, RowCells(norm, uid, columns), field, ctx),
            )
        )
    return found


def validate(file: str, table: SheetTable, norm: Frame, ctx: Context) -> list[Problem]:
    """:func:`validate_batch` for one file, whose bureau is the context's."""
    return validate_batch([Part(file, table, norm, ctx.bureau)], ctx)[0]
