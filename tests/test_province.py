"""The province is data (schemas/province.toml beside the registers): its names, its department
and the other provinces; another province edits that file and no code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from conftest import edited_schemas

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.schema import load_form, load_province, load_registers
from pipeline.dedupe.match import name_key
from pipeline.rules.validate import Context, message_params
from pipeline.write.workbook import consolidated_name

HOME = load_registers().province


def test_the_stock_province() -> None:
    assert (HOME.name, HOME.short, HOME.department) == ("湖南省", "湖南", "湖南省科学技术厅")
    assert HOME.spellings == ("湖南省", "湖南")
    assert "湖南" not in HOME.others and "广东" in HOME.others


def test_an_unknown_key_is_refused_naming_the_file_and_key(tmp_path: Path) -> None:
    path = (
        edited_schemas(
            tmp_path, "province.toml", 'short = "湖南"', 'short = "湖南"\nshorter = "湘"'
        )
        / "province.toml"
    )
    with pytest.raises(ConfigError) as caught:
        load_province(path)
    assert str(caught.value) == (
        f"省份文件 {path} 中的键 shorter 未知；"
        "请删去或改正，可用：name、short、department、others。"
    )


def test_a_missing_key_is_refused(tmp_path: Path) -> None:
    path = (
        edited_schemas(tmp_path, "province.toml", 'department = "湖南省科学技术厅"', "")
        / "province.toml"
    )
    with pytest.raises(ConfigError) as caught:
        load_province(path)
    assert str(caught.value) == (
        f"省份文件 {path} 缺少 department，或它不是文字；请按原样写明 department。"
    )


def test_another_province_needs_only_its_file(tmp_path: Path, settings: Settings) -> None:
    folder = edited_schemas(tmp_path, "province.toml", 'name = "湖南省"', 'name = "广东省"')
    for old, new in (
        ('short = "湖南"', 'short = "广东"'),
        ("湖南省科学技术厅", "广东省科学技术厅"),
    ):
        path = folder / "province.toml"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    registers = load_registers(folder)
    province = registers.province
    keys = name_key(pd.Series(["广东省麓谷创客工场", "湖南省麓谷创客工场"]), province)
    assert keys.tolist() == ["麓谷创客工场", "湖南省麓谷创客工场"]
    there = dataclasses.replace(settings, form=folder / "annex3_2016.toml")
    assert consolidated_name(there) == f"广东省众创空间备案汇总表_{settings.batch}.xlsx"
    ctx = Context(load_form(there.form), registers, settings.deadline, settings.cutoff, 18, None)
    assert message_params("W_ADDRESS_OUTSIDE", pd.Series({"a": "北京市"}), "a", ctx)["home"] == (
        "广东省"
    )
