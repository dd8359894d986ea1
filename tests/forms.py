"""Helpers for the packet tests: real Annex 1 forms built in code with python-docx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import FORM, GOOD_ROW

from pipeline.core.packet_spec import PacketSpec, load_packet
from pipeline.core.schema import SCHEMAS_DIR
from pipeline.packet.annex1_docx import FormValues, build, save

PACKET = load_packet(SCHEMAS_DIR / "annex3_2016.toml")
assert PACKET is not None
SPEC: PacketSpec = PACKET

GOOD_FORM: dict[str, Any] = {
    "name": GOOD_ROW["name"],
    "operator": GOOD_ROW["operator"],
    "address": GOOD_ROW["address"],
    "founded": "2014年5月",
    "area": "约1,200平方米",
    "events": "36次",
    "residents": "20余家",
}
HEAD = ("张伟", "13907310002", "zw@example.com", "")
CONTACT = ("李娜", GOOD_ROW["mobile"], GOOD_ROW["email"], GOOD_ROW["fax"])
SECTIONS = {s.field: f"{s.short_label}的情况，共三十字以内的说明。" for s in SPEC.sections}


def form_values(
    choice: str = "民营企业",
    choice_text: str = "",
    head: tuple[str, str, str, str] = HEAD,
    contact: tuple[str, str, str, str] = CONTACT,
    sections: dict[str, str] | None = None,
    **changes: str,
) -> FormValues:
    """The form of GOOD_ROW's space, agreeing with it; keywords replace values."""
    return FormValues(
        values={**GOOD_FORM, **changes},
        choice=choice,
        choice_text=choice_text,
        contacts={"负责人": head, "联系人": contact},
        sections={**SECTIONS, **(sections or {})},
    )


def make_form(path: Path, filled: FormValues | None = None, **changes: Any) -> Path:
    """Write a filled Annex 1 .docx at ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save(build(SPEC, FORM, filled or form_values(**changes)), path)
    return path
