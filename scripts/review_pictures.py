"""Render the pictures of docs/manual/07-审核与推荐.md from the shipped sample batch.

Consolidates the sample inbox in a temporary batch folder, records a few review decisions as a
clerk would (``beian review``), consolidates again, then prints the 评审 sheet and the two sheets
of the 推荐名单 with LibreOffice (``soffice --headless --convert-to pdf``) and turns the first
page of each into a PNG at 100 dpi with poppler's ``pdftoppm`` (reduced to 16 colours with
Pillow). Needs LibreOffice Calc and poppler-utils. Run from the repository root:

    PYTHONPATH=. .venv/bin/python scripts/review_pictures.py
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl
from PIL import Image  # Pillow: in the venv with the ocr extra (rapidocr needs it)
from typer.testing import CliRunner

from pipeline.cli import app

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "docs" / "images"
DECISIONS = [
    ("长沙市科学技术局", "麓谷创客工场", "推荐", "九类证明材料齐全，运营成效突出"),
    ("长沙市科学技术局", "枫林创客中心", "推荐", "导师、场地、入驻团队材料齐全"),
    ("长沙市科学技术局", "黄兴智造空间", "退回", "成立时间只写到月，请写明具体日期并附营业执照"),
    ("长沙高新技术产业开发区管理委员会", "月湖双创基地", "推荐", ""),
    ("株洲市科学技术局", "栗雨创客中心", "不推荐", "未报送附件1、附件2"),
    ("湘潭市科学技术局", "九华梦工场", "推荐", ""),
    ("衡阳市科学技术局", "南岳电商创业园", "推荐", ""),
    ("岳阳市科学技术局", "君山双创基地", "退回", "运营主体注册地不在湖南省，请核实"),
]
PICTURES = [  # (workbook name prefix, sheet, picture)
    ("湖南省众创空间备案汇总表", "评审", "review-sheet.png"),
    ("湖南省推荐备案众创空间名单", "推荐名单", "recommended-list.png"),
    ("湖南省推荐备案众创空间名单", "材料目录", "binding-catalogue.png"),
]


def consolidate(folder: Path) -> Path:
    """The sample batch, consolidated twice around the clerk's decisions; its outputs folder."""
    for part in ("inbox", "prior"):
        shutil.copytree(REPO / part, folder / part)
    config = (REPO / "beian.toml").read_text(encoding="utf-8")
    (folder / "beian.toml").write_text(config.replace('form = "schemas/annex3_2016.toml"', ""))
    config_option = ["--config", str(folder / "beian.toml")]
    runner = CliRunner()
    assert runner.invoke(app, ["run", *config_option]).exit_code == 0
    decisions = folder / "评审.csv"
    lines = ["推荐单位,众创空间名称,结论,理由", *(",".join(d) for d in DECISIONS)]
    decisions.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    answer = runner.invoke(
        app, ["review", str(decisions), "--who", "省生产力促进中心", *config_option]
    )
    assert answer.exit_code == 0, answer.output
    assert runner.invoke(app, ["run", *config_option]).exit_code == 0
    return next((folder / "outbox").iterdir())


def picture(workbook: Path, sheet: str, out: Path, work: Path) -> None:
    """The first printed page of one sheet of a workbook, as a PNG at 100 dpi."""
    book = openpyxl.load_workbook(workbook)
    for other in [s for s in book.sheetnames if s != sheet]:
        del book[other]
    single = work / f"{out.stem}.xlsx"
    book.save(single)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",  # beside any running office
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(single),
        ],
        check=True,
        capture_output=True,
    )
    pdf = single.with_suffix(".pdf")
    prefix = work / out.stem
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    # 16 colours are plenty for a printed table: a tenth of the bytes in the repository.
    Image.open(prefix.with_suffix(".png")).convert("RGB").quantize(colors=16).save(
        out, optimize=True
    )


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        outputs = consolidate(work / "batch")
        for prefix, sheet, name in PICTURES:
            workbook = next(outputs.glob(f"{prefix}_*.xlsx"))
            picture(workbook, sheet, IMAGES / name, work)
            print(IMAGES / name)


if __name__ == "__main__":
    main()
