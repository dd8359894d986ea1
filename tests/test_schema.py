"""Meta-tests on schemas/: every code has its Chinese words, every rule its mechanism, and the
form's lists and registers never say two things about one spelling."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import string
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from conftest import FORM
from helpers import write_config

from pipeline.core.errors import ConfigError
from pipeline.core.schema import SCHEMAS_DIR, fold, load_catalogue, load_form, load_registers
from pipeline.read.workbook import header_key, header_lookup
from pipeline.rules.validate import RULES, check_decided, rules_of

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"
CATALOGUE = load_catalogue()
REGISTERS = load_registers()
CJK = re.compile(r"[\u4e00-\u9fff]")
CODE_LITERAL = re.compile(r"""["']([FEWI]_[A-Z_]+)["']""")


def form_codes() -> set[str]:
    data = tomllib.loads((SCHEMAS_DIR / "annex3_2016.toml").read_text(encoding="utf-8"))
    return {code for column in data["columns"] for code in column.get("rules", ())}


def source_codes() -> set[str]:
    return {
        code for path in PIPELINE.rglob("*.py") for code in CODE_LITERAL.findall(path.read_text())
    }


@pytest.mark.parametrize("code", sorted(CATALOGUE.codes))
def test_every_code_has_a_chinese_message_and_hint(code: str) -> None:
    spec = CATALOGUE[code]
    assert CJK.search(spec.message), code
    assert CJK.search(spec.hint), code
    assert spec.severity in ("file", "error", "warning", "notice")
    for text in (spec.message, spec.hint):
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name]
        assert all(name.isidentifier() for name in fields), (code, fields)


def test_every_rule_of_the_form_is_in_the_catalogue_and_has_a_check() -> None:
    codes = form_codes() | {"E_REQUIRED"}
    assert codes - set(CATALOGUE.codes) == set()
    assert codes - set(RULES) == set()


def test_every_check_is_a_catalogued_rule_the_form_uses() -> None:
    assert set(RULES) - set(CATALOGUE.codes) == set()
    assert set(RULES) - form_codes() - {"E_REQUIRED"} == set()


def test_every_code_the_pipeline_raises_is_catalogued() -> None:
    found = source_codes()
    assert "F_NO_HEADER" in found and "E_FORMULA" in found
    assert found - set(CATALOGUE.codes) == set()


def test_rules_of_put_required_first() -> None:
    assert rules_of(FORM.column("founded"))[:2] == ["E_REQUIRED", "E_DATE"]
    assert rules_of(FORM.column("fax")) == ["E_PHONE", "W_PHONE_AREA_ADDED"]


# --- the form -----------------------------------------------------------------------------------


def test_columns_in_the_printed_order() -> None:
    assert [c.short_label for c in FORM.columns] == [
        "众创空间名称",
        "运营管理主体",
        "地址",
        "成立时间",
        "机构性质",
        "负责人",
        "联系人",
        "办公电话",
        "手机",
        "传真",
        "电子邮件",
        "是否在国家高新区",
        "是否在国家级科技企业孵化器或大学科技园",
    ]
    assert [c.required for c in FORM.columns].count(False) == 1


def test_no_header_spelling_names_two_columns() -> None:
    owners: dict[str, set[str]] = {}
    for column in FORM.columns:
        for text in (column.label, *column.aliases):
            owners.setdefault(header_key(text), set()).add(column.field)
    assert {key: fields for key, fields in owners.items() if len(fields) > 1} == {}


def test_every_label_and_alias_finds_its_column() -> None:
    lookup = header_lookup(FORM)
    for column in FORM.columns:
        for text in (column.label, *column.aliases):
            assert lookup[header_key(text)] == column.field, text


def test_no_spelling_means_two_institution_types() -> None:
    spellings = Counter(
        fold(s)
        for canonical, synonyms in FORM.column("institution_type").choices
        for s in (canonical, *synonyms)
    )
    assert [s for s, n in spellings.items() if n > 1] == []
    assert FORM.column("institution_type").options == ["事业单位", "国有企业", "民营企业", "其他"]


def test_yes_and_no_words_do_not_overlap() -> None:
    no = {fold(w) for w in (*FORM.no_answers, *FORM.no_prefixes)}
    assert no & {fold(w) for w in FORM.yes_prefixes} == set()
    assert (FORM.yes_prefixes[0], FORM.no_answers[0]) == ("是", "否")


# --- the registers ------------------------------------------------------------------------------


def test_bureau_codes_and_spellings_are_unique() -> None:
    codes = Counter(b.code for b in REGISTERS.bureaus)
    spellings = Counter(fold(s) for b in REGISTERS.bureaus for s in b.spellings)
    assert [c for c, n in codes.items() if n > 1] == []
    assert [s for s, n in spellings.items() if n > 1] == []


def test_zone_committees_name_register_zones() -> None:
    official = {z.official_name for z in REGISTERS.zones}
    committees = [b for b in REGISTERS.bureaus if b.zone]
    assert committees and {b.zone for b in committees} <= official
    assert all(re.fullmatch(r"0\d{2,3}", b.area_code) for b in REGISTERS.bureaus)


def test_zone_spellings_are_unique() -> None:
    spellings = Counter(fold(s) for z in REGISTERS.zones for s in z.spellings)
    assert [s for s, n in spellings.items() if n > 1] == []


def test_six_national_zones_on_the_deadline() -> None:
    national = REGISTERS.national_zones(dt.date(2016, 4, 14))
    assert [z.short_name for z in national] == [
        "长沙高新区",
        "株洲高新区",
        "湘潭高新区",
        "益阳高新区",
        "衡阳高新区",
        "郴州高新区",
    ]


def _form_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (SCHEMAS_DIR / "annex3_2016.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "form.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_an_unknown_kind_is_refused_when_the_form_loads(tmp_path: Path) -> None:
    path = _form_with(tmp_path, 'kind = "mobile"', 'kind = "cellphone"')
    with pytest.raises(ConfigError) as caught:
        load_form(path)
    assert str(caught.value).startswith(
        f"表样文件 {path} 第 9 个 [[columns]]（field = mobile）的 kind “cellphone” 未知；"
    )


def test_an_unknown_rule_code_is_refused_when_the_form_loads(tmp_path: Path) -> None:
    path = _form_with(tmp_path, '"E_MOBILE"', '"E_MOBIL"')
    with pytest.raises(ConfigError) as caught:
        load_form(path)
    assert str(caught.value) == (
        f"表样文件 {path} 第 9 个 [[columns]]（field = mobile）的 rules 中有未定义的代码 E_MOBIL；"
        "请先在 schemas/codes.toml 中写明它的提示和修改建议。"
    )


def test_a_catalogued_code_no_rule_decides_is_refused_when_the_form_is_validated(
    tmp_path: Path,
) -> None:
    path = _form_with(tmp_path, '"E_MOBILE"', '"E_DUPLICATE_ROW"')
    form = load_form(path)
    with pytest.raises(ConfigError) as caught:
        check_decided(form)
    assert str(caught.value) == (
        f"表样文件 {path} 第 9 个 [[columns]]（field = mobile）的 rules 中 E_DUPLICATE_ROW "
        f"不是逐列检查的规则；请从该列的 rules 中删去，可用：{'、'.join(RULES)}。"
    )


def test_every_rule_code_of_the_stock_form_is_decided() -> None:
    check_decided(FORM)
    assert FORM.source == SCHEMAS_DIR / "annex3_2016.toml"


def test_an_unknown_column_key_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = _form_with(tmp_path, 'kind = "mobile"', 'kind = "mobile"\nlength = 11')
    with pytest.raises(ConfigError) as caught:
        load_form(path)
    assert str(caught.value) == (
        f"表样文件 {path} 第 9 个 [[columns]]（field = mobile）的键 length 未知；请删去或改正，"
        "可用：field、label、aliases、kind、required、rules、width、choices、detail。"
    )


@pytest.mark.parametrize(
    ("old", "new", "number", "field", "found"),
    [
        ('choices = "institution_types"\n', "", 5, "institution_type", ""),
        (
            'choices = "institution_types"',
            'choices = "institution_kinds"',
            5,
            "institution_type",
            "institution_kinds",
        ),
        (
            'kind = "mobile"',
            'kind = "mobile"\nchoices = "institution_types"',
            9,
            "mobile",
            "institution_types",
        ),
    ],
)
def test_a_choice_column_names_a_table_of_the_form_file(
    tmp_path: Path, old: str, new: str, number: int, field: str, found: str
) -> None:
    path = _form_with(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_form(path)
    assert str(caught.value) == (
        f"表样文件 {path} 第 {number} 个 [[columns]]（field = {field}）：kind 为 choice 的列须用 "
        'choices 写明本文件中列出其选项的表（如 choices = "institution_types"），其他列不写 '
        f"choices；现为 “{found}”。"
    )


def test_the_detail_of_a_column_names_every_part_of_its_kind(tmp_path: Path) -> None:
    path = _form_with(tmp_path, 'year = "成立年份", ', "")
    with pytest.raises(ConfigError) as caught:
        load_form(path)
    assert str(caught.value) == (
        f"表样文件 {path} 第 4 个 [[columns]]（field = founded）的 detail 须且只须写明 "
        "start、text、year、months（明细表中的列名）；现为 start、text、months。"
    )


def test_the_stock_form_says_its_choices_and_detail() -> None:
    column = FORM.column("institution_type")
    assert column.options == ["事业单位", "国有企业", "民营企业", "其他"]
    assert column.detail == (("value", "机构性质"),)
    assert FORM.column("founded").detail_label("year") == "成立年份"
    assert [c.field for c in FORM.of_kind("date")] == ["founded"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[answers]", "[answer]", "中的节 [answer] 未知（是不是 answers？）；请删去或改正，可用："),
        ("header_search_rows = ", "header_rows = ", "的 [form] 中的键 header_rows 未知（是不是 "),
        ('title = "申请备案的众创空间信息汇总表"\n', "", "的 [form] 缺少 title；请补上。"),
        (
            "header_search_rows = 20",
            'header_search_rows = "20"',
            "的 [form] 中 header_search_rows 须是整数",
        ),
        ("no = [", "nope = [", "的 [answers] 中的键 nope 未知"),
        ('stamp_markers = ["盖章"', 'stamp_markers = [1, "盖章"', "stamp_markers 的每一项须是文字"),
        ("[form]", "[form", "不是有效的 TOML"),
    ],
)
def test_the_form_file_is_checked_whole_when_it_loads(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """Every section and key of the form file, not only its columns: a typo is a ConfigError
    naming the file and the key (SPEC §12), never a KeyError half-way through a night."""
    path = _form_with(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_form(path)
    assert str(caught.value).startswith(f"表样文件 {path}")
    assert message in str(caught.value)


def test_a_broken_form_file_stops_the_night_with_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    schemas = shutil.copytree(SCHEMAS_DIR, tmp_path / "schemas")
    form = _form_with(schemas, "[answers]", "[answer]")
    config = write_config(tmp_path)
    config.write_text(
        config.read_text(encoding="utf-8") + f'form = "{form.as_posix()}"\n', encoding="utf-8"
    )
    (tmp_path / "inbox").mkdir()
    done = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert done.exit_code == 2, done.output
    assert "[answer] 未知" in done.output
    assert "Traceback" not in done.output
