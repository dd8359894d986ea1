"""A batch normalised in one pass (one frame for the batch) equals its files normalised one by
one, each row with its own bureau."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from conftest import FORM, bureau, good_row

from pipeline.core.bureau import identify_bureau
from pipeline.core.schema import load_registers
from pipeline.read.workbook import read_file
from pipeline.rules.normalise import normalise_batch

REPO = Path(__file__).resolve().parent.parent


def test_a_batch_normalised_at_once_equals_its_files_one_by_one() -> None:
    registers = load_registers()
    parts = []
    for path in sorted((REPO / "inbox").glob("*.xlsx")):  # the sample batch's bureaus
        for table in read_file(path, path.name, FORM).tables:
            parts.append((table.frame, identify_bureau(table.stamp, path.name, registers)[0]))
    parts.append((parts[0][0], None))  # a file no bureau sent
    assert len(parts) >= 4
    together = normalise_batch(parts, FORM, registers)
    for part, batched in zip(parts, together, strict=True):
        alone = normalise_batch([part], FORM, registers)[0]
        pd.testing.assert_frame_equal(batched, alone)
        assert batched.index.equals(part[0].index)


def test_each_row_takes_its_own_bureaus_area_code() -> None:
    changsha, zhuzhou = bureau("长沙市科学技术局"), bureau("株洲市科学技术局")
    rows = pd.DataFrame([good_row(office_phone="88881234")], dtype=str)
    first, second = normalise_batch([(rows, changsha), (rows, zhuzhou)], FORM, load_registers())
    assert first["office_phone"].iloc[0].startswith(changsha.area_code)
    assert second["office_phone"].iloc[0].startswith(zhuzhou.area_code)
