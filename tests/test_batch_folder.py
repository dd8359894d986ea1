"""A batch folder of its own (SPEC §13): ``beian init``, the form named in beian.toml, the
package data found without a source tree, and the ledger's backups."""

from __future__ import annotations

import datetime as dt
import sqlite3
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from conftest import REPO, good_row
from test_end_to_end import run_cli
from test_operator import beian, first_night, lines, second_bureau, unchanged_since

from pipeline.core.config import Settings, load_settings
from pipeline.core.packaged import PRIOR_DIR, SCHEMAS_DIR, TEMPLATES_DIR
from pipeline.state.backup import KEEP, backup_ledger, backups_of
from pipeline.state.ledger import Ledger

JANUARY = "2016年度首批众创空间备案汇总表.xlsx"


def test_init_makes_a_batch_folder_that_runs_where_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "备案 工作" / "第三批"
    result = beian("init", folder, "--batch", "2016年度第三批", "--deadline", "2016-09-30")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["beian.toml", "inbox", "outbox", "prior"]
    assert [p.name for p in (folder / "prior").iterdir()] == [JANUARY]
    assert (folder / "prior" / JANUARY).read_bytes() == (PRIOR_DIR / JANUARY).read_bytes()
    text = (folder / "beian.toml").read_text(encoding="utf-8")
    assert 'form = "annex3_2016"' in text and 'name = "2016年度第三批"' in text
    assert all(line.startswith("#") for line in text.splitlines() if "：" in line)
    settings = load_settings(folder / "beian.toml")
    assert (settings.batch, settings.deadline) == ("2016年度第三批", dt.date(2016, 9, 30))
    assert settings.form == SCHEMAS_DIR / "annex3_2016.toml"
    assert settings.priors[0].path == folder / "prior" / JANUARY
    assert (settings.inbox, settings.log) == (folder / "inbox", folder / "beian.log")


def test_init_without_options_takes_the_defaults(tmp_path: Path) -> None:
    assert beian("init", tmp_path / "b").exit_code == 0
    assert load_settings(tmp_path / "b" / "beian.toml").batch == "2016年度第二批"


def test_init_uses_a_folder_holding_other_files_only(tmp_path: Path) -> None:
    (tmp_path / "通知.pdf").write_bytes(b"%PDF")
    assert beian("init", tmp_path).exit_code == 0
    assert (tmp_path / "通知.pdf").read_bytes() == b"%PDF"
    assert (tmp_path / "beian.toml").is_file()


def test_init_never_writes_over_a_batch(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "beian.toml").write_text("# mine\n", encoding="utf-8")
    result = beian("init", tmp_path)
    assert result.exit_code == 2
    assert lines(result) == [
        f"错误：文件夹 {tmp_path} 中已有 beian.toml、inbox，像是已有一个批次；"
        "beian init 不会覆盖它们，什么也没有做。请换一个新的（或空的）文件夹，"
        "如 beian init 2016年度第三批；只有其他文件的文件夹可以直接使用。"
    ]
    assert (tmp_path / "beian.toml").read_text(encoding="utf-8") == "# mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beian.toml", "inbox"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch", "a/b"], "错误：--batch “a/b”含有不能用于文件夹名的字符 /。"),
        (["--deadline", "4月14日"], "错误：--deadline “4月14日”不是日期；"),
    ],
)
def test_init_checks_its_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = beian("init", tmp_path / "b", *args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert not (tmp_path / "b").exists()


def test_init_on_a_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "b").write_text("x", encoding="utf-8")
    result = beian("init", tmp_path / "b")
    assert result.exit_code == 2
    assert lines(result) == [
        f"错误：{tmp_path / 'b'} 是一个文件，不是文件夹；请换一个新文件夹的名字。"
    ]


def test_a_form_name_that_ships_with_no_form_lists_those_that_do(tmp_path: Path) -> None:
    (tmp_path / "beian.toml").write_text('[batch]\nform = "annex3_2099"\n', encoding="utf-8")
    result = beian("run", "--config", tmp_path / "beian.toml")
    assert result.exit_code == 2
    assert lines(result) == [
        f"错误：配置文件 {tmp_path / 'beian.toml'} 中 form “annex3_2099”不是随 beian 安装的表样；"
        "可用的有：annex3_2016。自己的表样定义文件请写路径（如 my_form.toml）。"
    ]


def test_a_form_path_still_overrides_the_name(tmp_path: Path) -> None:
    own = tmp_path / "表样" / "annex3.toml"
    own.parent.mkdir()
    own.write_bytes((SCHEMAS_DIR / "annex3_2016.toml").read_bytes())
    (tmp_path / "beian.toml").write_text('[batch]\nform = "表样/annex3.toml"\n', encoding="utf-8")
    assert load_settings(tmp_path / "beian.toml").form == own


def test_the_package_data_is_inside_the_package() -> None:
    """Rules, blank forms and the January batch travel in the wheel (pyproject's package-data),
    found beside the code; nothing is looked up in the source tree or the install prefix."""
    package = REPO / "pipeline"
    assert (
        package / "schemas",
        package / "templates",
        package / "prior",
    ) == (SCHEMAS_DIR, TEMPLATES_DIR, PRIOR_DIR)
    assert (SCHEMAS_DIR / "codes.toml").is_file() and (TEMPLATES_DIR / "beian.toml").is_file()
    assert not (REPO / "schemas").exists() and not (REPO / "prior").exists()


def test_pyproject_ships_every_file_of_the_package_data() -> None:
    """Every schema, template, the January batch and the site's pages match a package-data
    pattern of pyproject.toml, so the wheel carries them (.ci/run installs one and runs a night)."""
    packages = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = packages["tool"]["setuptools"]["package-data"]
    site = REPO / "pipeline" / "web"
    for folder in (SCHEMAS_DIR, TEMPLATES_DIR, PRIOR_DIR, site / "templates", site / "static"):
        for path in folder.iterdir():
            package = "pipeline.web" if site in path.parents else "pipeline"
            inside = path.relative_to(REPO / package.replace(".", "/")).as_posix()
            assert any(fnmatch(inside, p) for p in patterns[package]), inside


def ledger_with(path: Path, marker: str) -> None:
    ledger = Ledger(path)
    with ledger.transaction() as db:
        db.execute("INSERT INTO site (key, value) VALUES ('marker', ?)", (marker,))
    ledger.close()


def test_backups_keep_the_newest_fourteen_and_restore(tmp_path: Path) -> None:
    path = tmp_path / "beian-ledger.sqlite"
    ledger_with(path, "v1")
    ledger = Ledger(path)
    start = dt.datetime(2016, 4, 1, 2, 0)
    taken = [backup_ledger(ledger.db, path, start + dt.timedelta(days=i)) for i in range(KEEP + 2)]
    ledger.close()
    assert backups_of(path) == taken[2:]
    assert taken[-1].name == "beian-ledger-20160416-020000-000000.sqlite"
    assert not any(p.name.startswith(".") for p in (tmp_path / "backups").iterdir())
    # Restoring, as the manual says: copy a backup over the ledger.
    path.unlink()
    taken[-1].replace(path)
    restored = Ledger(path)
    assert restored.db.execute("SELECT value FROM site WHERE key = 'marker'").fetchone() == ("v1",)
    restored.close()


def test_a_night_that_changes_the_ledger_backs_it_up_first(
    settings: Settings, make_workbook
) -> None:
    make_workbook([good_row()])
    assert run_cli(settings).exit_code == 0
    (first,) = backups_of(settings.ledger)
    with sqlite3.connect(first) as copy:  # taken before the night: an empty ledger
        assert copy.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)
    assert run_cli(settings).exit_code == 0  # nothing new: a quiet night
    assert backups_of(settings.ledger) == [first]
    second_bureau(make_workbook)
    assert run_cli(settings).exit_code == 0
    (_, second) = backups_of(settings.ledger)
    with sqlite3.connect(second) as copy:
        assert copy.execute("SELECT COUNT(*) FROM runs").fetchone() == (2,)


def test_a_backup_that_cannot_be_written_changes_nothing(settings: Settings, make_workbook) -> None:
    before = first_night(settings, make_workbook)
    for old in backups_of(settings.ledger):
        old.unlink()
    (settings.ledger.parent / "backups").rmdir()
    (settings.ledger.parent / "backups").write_text("in the way", encoding="utf-8")
    second_bureau(make_workbook)
    result = run_cli(settings)
    assert result.exit_code == 3
    assert "错误：无法写入台账备份：" in result.output
    assert f"{settings.ledger.parent / 'backups'} 是一个文件" in result.output
    assert unchanged_since(settings, before)
