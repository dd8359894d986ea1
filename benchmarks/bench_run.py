"""Benchmark ``beian run`` and ``beian check`` end to end on generated workbooks, against a plain
pandas script, and print every target of issue 10 with PASS or MISS.

Run by hand from the repository root with the project's environment (it is not part of the test
suite)::

    .venv/bin/python benchmarks/bench_run.py --rows 25 --repeat 3      # the provincial batch
    .venv/bin/python benchmarks/bench_run.py --rows 2000 --repeat 3    # 20 x 2,000 = 40,000 rows
    .venv/bin/python benchmarks/bench_run.py --rows 10000 --repeat 3   # 20 x 10,000 = 200,000 rows

Options: ``--bureaus N`` (first N registered bureaus; default every bureau in
``schemas/bureaus.csv``), ``--workdir DIR`` (keep the generated files there instead of a temporary
folder), ``--prior-rows`` (size of the generated earlier batch, 0 for none), ``--check-rows``
(rows of the workbook ``beian check`` is timed on, default 100), ``--error-rate``, ``--repeat``
(every figure is the best of N runs; all N are printed), ``--skip-pandas``, ``--no-bytecode``
(keep ``PYTHONDONTWRITEBYTECODE`` from the environment; by default the children run as on an
installed machine, reading and writing cached bytecode), ``--profile FILE`` (also run
``pipeline.run.run`` under cProfile and print the hot spots), ``--seed``.

What it does and measures:

1. Generates one ``.xlsx`` per bureau in the official Annex 3 layout (title, stamp line naming the
   bureau, the header labels of the form spec loaded with ``pipeline.core.schema.load_form``) with
   ``--rows`` invented, varied, mostly valid rows (about 5 % carry a mistake), a small prior
   batch, and one ``--check-rows`` workbook for ``beian check``. Generation is timed separately
   and is not part of any measurement.
2. Times ``beian run --inbox --outbox --ledger --prior`` as a subprocess: wall time including
   interpreter start-up and imports, and peak RSS of that process. Each measured command is
   launched from its own fresh ``python -c`` wrapper, which reads ``RUSAGE_CHILDREN`` after its
   single child has ended, so every figure belongs to one process and nothing else. Measured: the
   cold run (empty ledger and outbox) and a second run with nothing changed.
3. Runs ``pipeline.run.run(settings)`` in a separate subprocess (again cold) and prints
   ``RunReport.timings``: read, normalise_validate, dedupe, write. The reading workers are started
   before the imports, as the ``beian`` command starts them (pipeline/launch.py).
4. Times ``beian check <one workbook> --prior`` end to end, and
   ``pipeline.selfcheck.check_files`` in an already running process (the intake site's case:
   imports done, first call done, then the best of ``--repeat`` further calls).
5. Times a naive pandas script in its own subprocess: ``pandas.read_excel(f, header=2)`` (default
   engine, openpyxl) for every file + ``pandas.concat`` + ``to_excel`` (xlsxwriter), and
   read_excel + concat alone.

Targets (issue 10), printed with PASS or MISS: a batch of at most 1,000 rows under 3 s end to end;
``beian check`` of one workbook under 1.5 s end to end and under 0.3 s in a running process; from
40,000 rows on, faster than the plain pandas read_excel+concat+to_excel of the same run; peak
RSS under 2 GB; a night with nothing new under 2 s. The exit status is 1 when a target is missed,
2 when a run failed. Linux or macOS only (``resource``); the machine's load average is printed
beside the figures, since a shared machine slows them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.metadata
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere: the package is importable
    sys.path.insert(0, str(REPO))

try:
    import xlsxwriter

    from pipeline.core.config import load_settings
    from pipeline.core.schema import Bureau, FormSpec, Registers, Zone, load_form, load_registers
    from pipeline.read.filetype import MAX_DATA_ROWS
except ImportError as exc:  # pragma: no cover - environment problem
    sys.exit(f"bench_run: cannot import {exc.name}; run with the project's venv python.")

Cell = str | int | float | dt.datetime

# --- invented values ------------------------------------------------------------------------------

# Two pools of characters that look like Chinese company names. No character of a pool occurs in the
# suffixes below, in a city name, or in the other pool, so two names that differ in one "word"
# (two characters) differ in both characters and stay clearly below beian's 85 % similarity.
POOL_A = (
    "云启星汇博智联优达恒瑞华思源和泰嘉盛信宏安卓睿拓鼎远晨光峰望凯誉正佳弘裕锦腾骏诚合颐蓝朗辰明志"
)
POOL_B = (
    "谷原林桥屏城湾港岭川江园岸门溪堂苑阁轩巢舍营塔台厅街巷埠屿滩渡坪坡岗冲塘池田亭楼府畈廊湄泽峦岚"
)
WORDS_PER_NAME = 4
NAME_SUFFIXES = ["众创空间", "创客空间", "创新工场", "创业社区", "孵化中心", "创客工场"]
OPERATOR_SUFFIXES = [
    ("科技有限公司", "民营企业"),
    ("文化传播有限公司", "民营企业"),
    ("企业管理有限公司", "民营企业"),
    ("孵化器管理有限公司", "民营企业"),
    ("科技发展有限责任公司", "民营企业"),
    ("投资集团有限公司", "国有企业"),
    ("产业发展有限公司", "国有企业"),
    ("生产力促进中心", "事业单位"),
    ("职业技术学院", "事业单位"),
    ("青年创业协会", "其他"),
]
TYPE_SPELLINGS = {
    "民营企业": ["民营企业"] * 8 + ["民营", "私营企业"],
    "国有企业": ["国有企业"] * 8 + ["国企", "国有控股"],
    "事业单位": ["事业单位"] * 8 + ["事业", "事业单位法人"],
    "其他": ["其他"] * 4 + ["社会团体", "民办非企业单位"],
}
ROADS = [
    "麓谷大道",
    "岳麓大道",
    "芙蓉中路",
    "人民东路",
    "建设北路",
    "解放西路",
    "韶山路",
    "雨花路",
    "银盆南路",
    "东风路",
    "迎宾路",
    "书院路",
    "桐梓坡路",
    "文昌路",
    "滨江路",
    "新华路",
    "湘江路",
    "金星大道",
    "体育路",
    "红旗路",
]
BUILDINGS = ["", "", "", "创业大厦", "科技园", "孵化楼", "产业园", "研发中心"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉晓东海燕波斌宇浩凯鹏飞云亮婷雪琴琳颖"  # noqa: E501
MOBILE_PREFIXES = [
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "182",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "180",
    "189",
    "177",
    "173",
]
MAIL_PREFIXES = ["office", "zckj", "service", "contact", "info", "chuangke", "space", "hr"]
MISTAKES = [
    "mobile",
    "email",
    "too_young",
    "bad_date",
    "type",
    "contact",
    "zone_name",
    "zone_unknown",
    "phone",
    "address_outside",
]


if len(POOL_A) != len(POOL_B) or len(POOL_A) % 7 == 0 or set(POOL_A) & set(POOL_B):
    raise SystemExit("bench_run: POOL_A and POOL_B must be disjoint, of one length, not 7k")


def word(position: int, digit: int) -> str:
    """The ``digit``-th two-character word at ``position``; two different digits at one position
    give words that differ in both characters (both index maps are injective)."""
    n = len(POOL_A)
    return POOL_A[(digit + 11 * position) % n] + POOL_B[(7 * digit + 3 + 13 * position) % n]


def words(code: int) -> str:
    """A number below len(POOL_A) ** WORDS_PER_NAME spelled as four two-character words."""
    n, out = len(POOL_A), []
    for position in range(WORDS_PER_NAME):
        code, digit = divmod(code, n)
        out.append(word(position, digit))
    return "".join(out)


def code_space() -> int:
    return len(POOL_A) ** WORDS_PER_NAME


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def office_phone(rng: random.Random, area: str) -> str:
    """A fixed line of the bureau's city: 0731 has 8-digit numbers, the other cities 7."""
    local = (
        ("8" + f"{rng.randrange(10**7):07d}")
        if area == "0731"
        else (rng.choice("2345678") + f"{rng.randrange(10**6):06d}")
    )
    style = rng.random()
    if style < 0.8:
        return f"{area}-{local}"
    if style < 0.9:
        return f"({area}){local}"
    if style < 0.97:
        return f"{area} {local}"
    return local  # area code left out: accepted with W_PHONE_AREA_ADDED


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def founded(rng: random.Random) -> Cell:
    """A founding date 2005-01 .. 2015-09: mostly a real Excel date, some typed as text."""
    day = dt.date(2005, 1, 1) + dt.timedelta(
        days=rng.randrange((dt.date(2015, 9, 30) - dt.date(2005, 1, 1)).days)
    )
    style = rng.random()
    if style < 0.7:
        return dt.datetime(day.year, day.month, day.day)
    if style < 0.85:
        return f"{day.year}年{day.month}月"
    if style < 0.9:
        return f"{day.year}年{day.month}月{day.day}日"
    if style < 0.95:
        return f"{day.year}.{day.month}"
    return day.isoformat()


@dataclass
class Batch:
    """What was generated, for the report."""

    files: list[Path] = field(default_factory=list)
    rows: int = 0
    mistakes: Counter[str] = field(default_factory=Counter)
    prior_rows: int = 0
    planted_prior: int = 0
    planted_batch: int = 0
    check: Path | None = None
    check_rows: int = 0


@dataclass
class RowMaker:
    """Builds rows for one batch; every row has its own unique name and operator."""

    form: FormSpec
    registers: Registers
    deadline: dt.date
    error_rate: float
    rng: random.Random
    name_codes: Iterator[int]
    operator_codes: Iterator[int]
    counter: int = 0

    def zones(self) -> tuple[Zone, ...]:
        return self.registers.national_zones(self.deadline)

    def zone_answer(self, bureau: Bureau) -> str:
        rng = self.rng
        own = next(
            (z for z in self.zones() if bureau.zone and z.official_name == bureau.zone), None
        )
        in_city = [z for z in self.zones() if z.city == bureau.city]
        if own is not None:
            zone: Zone | None = own if rng.random() < 0.95 else None
        elif in_city and rng.random() < 0.3:
            zone = rng.choice(in_city)
        else:
            zone = None
        if zone is None:
            return rng.choice(["否"] * 8 + ["无", "不在"])
        short, official = zone.short_name, zone.official_name
        return rng.choice([f"是，{short}", f"是，{short}", f"是（{short}）", f"是，{official}"])

    def row(self, bureau: Bureau) -> dict[str, Cell]:
        rng = self.rng
        self.counter += 1
        n = self.counter
        city = bureau.city.removesuffix("市")
        if len(city) > 3:  # 湘西土家族苗族自治州 -> 湘西
            city = bureau.aliases[-1]
        name = words(next(self.name_codes)) + rng.choice(NAME_SUFFIXES)
        if rng.random() < 0.3:
            name = city + name
        suffix, kind = rng.choice(OPERATOR_SUFFIXES)
        operator = city + words(next(self.operator_codes))[::-1] + suffix
        building = rng.choice(BUILDINGS)
        address = (
            ("湖南省" if rng.random() < 0.3 else "")
            + bureau.city
            + rng.choice(ROADS)
            + f"{rng.randrange(1, 999)}号"
            + (f"{building}{rng.randrange(1, 20)}楼" if building else "")
        )
        area = bureau.area_code
        phone = office_phone(rng, area)
        values: dict[str, Cell] = {
            "name": name,
            "operator": operator,
            "address": address,
            "founded": founded(rng),
            "institution_type": rng.choice(TYPE_SPELLINGS[kind]),
            "head": person(rng),
            "contact": person(rng),
            "office_phone": phone,
            "mobile": mobile(rng),
            "fax": office_phone(rng, area) if rng.random() < 0.5 else "",
            "email": f"{rng.choice(MAIL_PREFIXES)}{n}@example.com",
            "zone": self.zone_answer(bureau),
            "incubator": "否",
        }
        if rng.random() < 0.3:  # typed into Excel as a number, as bureaus do
            values["mobile"] = int(values["mobile"])  # type: ignore[arg-type]
        return values

    def spoil(self, values: dict[str, Cell], kind: str) -> None:
        """One typical mistake a bureau clerk makes."""
        rng = self.rng
        if kind == "mobile":
            values["mobile"] = mobile(rng)[:-1]
        elif kind == "email":
            values["email"] = str(values["email"]).replace("@", "", 1)
        elif kind == "too_young":
            values["founded"] = rng.choice(["2016年1月", "2015年12月", "2016.2"])
        elif kind == "bad_date":
            values["founded"] = rng.choice(["去年", "待定", "2015年13月"])
        elif kind == "type":
            values["institution_type"] = rng.choice(["合资企业", "个体户", "外资"])
        elif kind == "contact":
            values["contact"] = ""
        elif kind == "zone_name":
            values["zone"] = "是"
        elif kind == "zone_unknown":
            values["zone"] = rng.choice(["是，常德高新区", "是，怀化高新区", "是，宁乡高新区"])
        elif kind == "phone":
            values["office_phone"] = f"{rng.randrange(10**4):04d}"
        elif kind == "address_outside":
            values["address"] = "江西省萍乡市" + rng.choice(ROADS) + f"{rng.randrange(1, 999)}号"

    def rows(self, bureau: Bureau, count: int, batch: Batch) -> Iterator[dict[str, Cell]]:
        for _ in range(count):
            values = self.row(bureau)
            if self.rng.random() < self.error_rate:
                kind = self.rng.choice(MISTAKES)
                self.spoil(values, kind)
                batch.mistakes[kind] += 1
            yield values


def write_annex3(path: Path, form: FormSpec, stamp: str, rows: Iterator[dict[str, Cell]]) -> int:
    """The official layout with xlsxwriter in constant-memory mode; returns the data row count."""
    fields = form.fields
    workbook = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False},
    )
    try:
        sheet = workbook.add_worksheet("附件3")
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_string(0, 0, form.title)
        sheet.write_string(1, 0, form.stamp_label + stamp)
        for col, column in enumerate(form.columns):
            sheet.write_string(2, col, column.label)
        count = 0
        for r, values in enumerate(rows, start=3):
            for col, name in enumerate(fields):
                value = values.get(name, "")
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, col, value, date_format)
                elif isinstance(value, int | float):
                    sheet.write_number(r, col, value)
                elif value != "":
                    sheet.write_string(r, col, value)
            count += 1
    finally:
        workbook.close()
    return count


def generate(
    workdir: Path,
    bureaus: Sequence[Bureau],
    rows: int,
    prior_rows: int,
    check_rows: int,
    error_rate: float,
    seed: int,
) -> Batch:
    """Write inbox/<bureau>.xlsx for every bureau, prior/<batch>.xlsx and check/<bureau>.xlsx
    (the workbook ``beian check`` is timed on); see the module doc."""
    settings = load_settings(REPO / "beian.toml")
    form = load_form(settings.form)
    registers = load_registers(settings.form.parent)
    known = {
        "name",
        "operator",
        "address",
        "founded",
        "institution_type",
        "head",
        "contact",
        "office_phone",
        "mobile",
        "fax",
        "email",
        "zone",
        "incubator",
    }
    unknown = [f for f in form.fields if f not in known]
    if unknown:
        print(
            f"warning: the form has fields this generator does not fill: {unknown}", file=sys.stderr
        )
    rng = random.Random(seed)
    total = rows * len(bureaus) + prior_rows + check_rows + 10
    if total > code_space():
        raise SystemExit(
            f"bench_run: at most {code_space() - prior_rows - check_rows - 10:,} rows in all."
        )
    name_codes = iter(rng.sample(range(code_space()), total))
    operator_codes = iter(rng.sample(range(code_space()), total))
    maker = RowMaker(
        form, registers, settings.deadline, error_rate, rng, name_codes, operator_codes
    )
    batch = Batch()
    inbox, prior_dir = workdir / "inbox", workdir / "prior"
    inbox.mkdir(parents=True)
    prior_dir.mkdir(parents=True)

    prior: list[dict[str, Cell]] = []
    if prior_rows:
        quiet = RowMaker(form, registers, settings.deadline, 0.0, rng, name_codes, operator_codes)
        prior = [quiet.row(bureaus[i % len(bureaus)]) for i in range(prior_rows)]
        path = prior_dir / "2016年度首批众创空间备案汇总表.xlsx"
        batch.prior_rows = write_annex3(path, form, "湖南省生产力促进中心", iter(prior))
        batch.files.append(path)

    sent: dict[str, dict[str, Cell]] = {}  # a city bureau's first row, re-sent by its zone
    for index, bureau in enumerate(bureaus):
        produced = list(maker.rows(bureau, rows, batch))
        if rows >= 4:
            if prior and index < 3:  # a space already filed in January, sent again
                produced[1] = {
                    **produced[1],
                    "name": prior[index]["name"],
                    "operator": prior[index]["operator"],
                }
                batch.planted_prior += 1
            if not bureau.zone:
                sent.setdefault(bureau.city, dict(produced[0]))
            elif bureau.city in sent:  # the zone committee sends its city's space too
                produced[2] = {**sent[bureau.city], "zone": produced[2]["zone"]}
                batch.planted_batch += 1
        path = inbox / f"{bureau.name}-众创空间汇总表.xlsx"
        batch.rows += write_annex3(path, form, bureau.name, iter(produced))
        batch.files.append(path)
    check_dir = workdir / "check"
    check_dir.mkdir()
    batch.check = check_dir / f"{bureaus[0].name}-众创空间汇总表.xlsx"
    batch.check_rows = write_annex3(
        batch.check, form, bureaus[0].name, maker.rows(bureaus[0], check_rows, Batch())
    )
    return batch


# --- measuring ------------------------------------------------------------------------------------

# Runs one command as its only child and reports wall time and the child's peak RSS. Started fresh
# for every measurement, so RUSAGE_CHILDREN holds exactly one process.
WRAPPER = r"""
import json, resource, subprocess, sys, time
spec = json.loads(sys.argv[1])
with open(spec["log"], "wb") as log:
    start = time.perf_counter()
    proc = subprocess.run(spec["cmd"], cwd=spec["cwd"], stdout=log, stderr=subprocess.STDOUT,
                          env=spec["env"])
    wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "wall": wall, "maxrss": usage.ru_maxrss,
                  "user": usage.ru_utime, "sys": usage.ru_stime}))
"""

# pipeline.run.run in-process, optionally under cProfile; writes its findings as JSON. The reading
# workers are started before the imports, as the `beian` entry (pipeline/launch.py) starts them.
IN_PROCESS = r"""
import json, sys, time
from pathlib import Path
spec = json.loads(sys.argv[1])
start = time.perf_counter()
from pipeline.launch import workers_to_start
from pipeline.read.sandbox import prestart
prestart(workers_to_start(["run"]))
from pipeline.core.config import load_settings, with_overrides
from pipeline.run import run
imported = time.perf_counter()
settings = with_overrides(
    load_settings(None, base=Path(spec["cwd"])),
    inbox=Path(spec["inbox"]), outbox=Path(spec["outbox"]), ledger=Path(spec["ledger"]),
    priors=[Path(p) for p in spec["priors"]] or None,
)
if not spec["priors"]:
    from dataclasses import replace
    settings = replace(settings, priors=())
if spec.get("profile"):
    import cProfile
    profiler = cProfile.Profile()
    report = profiler.runcall(run, settings)
    profiler.dump_stats(spec["profile"])
else:
    report = run(settings)
done = time.perf_counter()
Path(spec["result"]).write_text(json.dumps({
    "imports": imported - start, "run": done - imported, "changed": report.changed,
    "timings": report.timings, "counts": report.counts,
}), encoding="utf-8")
"""

# pipeline.selfcheck.check_files in a running process (the intake site's case): the first call, then
# the best of `repeat` further calls on the same workbook.
CHECK_IN_PROCESS = r"""
import json, sys, time
from pathlib import Path
spec = json.loads(sys.argv[1])
start = time.perf_counter()
from pipeline.selfcheck import check_files
from pipeline.core.config import load_settings, with_overrides
imported = time.perf_counter()
settings = with_overrides(
    load_settings(None, base=Path(spec["cwd"])), priors=[Path(p) for p in spec["priors"]] or None
)
walls = []
for _ in range(spec["repeat"] + 1):
    begin = time.perf_counter()
    check_files(settings, [Path(spec["file"])], Path(spec["out"]))
    walls.append(time.perf_counter() - begin)
Path(spec["result"]).write_text(json.dumps({
    "imports": imported - start, "first": walls[0], "warm": min(walls[1:]), "walls": walls[1:],
}), encoding="utf-8")
"""

# The naive script a clerk with pandas would write.
PANDAS = r"""
import json, sys, time
from pathlib import Path
spec = json.loads(sys.argv[1])
start = time.perf_counter()
import pandas as pd
imported = time.perf_counter()
files = sorted(Path(spec["inbox"]).rglob("*.xlsx"))
merged = pd.concat([pd.read_excel(f, header=2) for f in files], ignore_index=True)
read = time.perf_counter()
if spec["write"]:
    merged.to_excel(spec["out"], index=False, engine="xlsxwriter")
written = time.perf_counter()
Path(spec["result"]).write_text(json.dumps({
    "imports": imported - start, "read_concat": read - imported, "to_excel": written - read,
    "rows": len(merged), "files": len(files),
}), encoding="utf-8")
"""


@dataclass
class Measure:
    """One measured subprocess."""

    label: str
    rows: int
    wall: float
    rss_mb: float
    cpu: float
    extra: dict[str, Any] = field(default_factory=dict)
    load: float = 0.0
    """The 1-minute load average when the measurement started."""


class BenchError(RuntimeError):
    pass


def rss_mb(maxrss: int) -> float:
    """ru_maxrss is KiB on Linux, bytes on macOS."""
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def child_env(bytecode: bool) -> dict[str, str]:
    """The environment of every measured command: as given, except that, as on an installed
    machine, cached bytecode is read and written unless ``--no-bytecode`` was given."""
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


CHILD_ENV: dict[str, str] = dict(os.environ)


def measure(
    label: str, cmd: list[str], cwd: Path, log: Path, rows: int, codes: tuple[int, ...] = (0,)
) -> Measure:
    """Run ``cmd`` as the only child of a fresh wrapper; an exit status outside ``codes`` is a
    failed run."""
    spec = {"cmd": cmd, "cwd": str(cwd), "log": str(log), "env": CHILD_ENV}
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"{label}: the measuring wrapper failed:\n{done.stderr.strip()}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["rc"] not in codes:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchError(
            f"{label}: exit status {figures['rc']} ({' '.join(cmd)})\n"
            f"--- last output ({log}) ---\n{tail}"
        )
    return Measure(
        label,
        rows,
        figures["wall"],
        rss_mb(figures["maxrss"]),
        figures["user"] + figures["sys"],
        load=load,
    )


def python_child(
    label: str, code: str, spec: dict[str, Any], cwd: Path, log: Path, rows: int
) -> Measure:
    """Measure ``python -c code`` and attach the JSON it wrote to spec['result']."""
    result = Path(spec["result"])
    result.unlink(missing_ok=True)
    found = measure(label, [sys.executable, "-c", code, json.dumps(spec)], cwd, log, rows)
    found.extra = json.loads(result.read_text(encoding="utf-8"))
    return found


def best_of(runs: list[Measure]) -> Measure:
    """The run with the lowest wall time (on a shared machine the others measure the neighbours
    too); peak RSS is the highest of all repeats, and every repeat is kept for the report."""
    chosen = min(runs, key=lambda m: m.wall)
    chosen.rss_mb = max(m.rss_mb for m in runs)
    if len(runs) > 1:
        chosen.extra["walls"] = [(round(m.wall, 2), round(m.load, 2)) for m in runs]
    return chosen


def disposition_summary(outbox: Path) -> tuple[Counter[str], Counter[str], list[Path]]:
    """Counts of dispositions.csv and files.csv after a run, and the output files."""
    found = sorted(outbox.glob("*/dispositions.csv"))
    if not found:
        raise BenchError(f"beian run wrote no dispositions.csv under {outbox}")
    batch_dir = found[0].parent
    with found[0].open(encoding="utf-8", newline="") as f:
        dispositions = Counter(r["disposition"] for r in csv.DictReader(f))
    with (batch_dir / "files.csv").open(encoding="utf-8", newline="") as f:
        statuses = Counter(r["status"] for r in csv.DictReader(f))
    return dispositions, statuses, sorted(p for p in batch_dir.iterdir() if p.is_file())


def beian_executable(given: str | None) -> str:
    candidates = (
        [given]
        if given
        else [str(Path(sys.executable).parent / "beian"), shutil.which("beian") or ""]
    )
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise BenchError(
        "cannot find the beian command; install the package (pip install -e .) or pass --beian PATH"
    )


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def code_state() -> str:
    """Which code was measured: the commit, and a digest of pipeline/ when it has local changes."""
    import hashlib

    digest = hashlib.sha256()
    for source in sorted((REPO / "pipeline").glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "pipeline"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "unknown", "?"
    state = f"commit {head}" + (" + local changes in pipeline/" if dirty else "")
    return f"{state}; pipeline/*.py sha256 {digest.hexdigest()[:12]}"


def print_profile(path: Path, limit: int = 25) -> None:
    """The hot spots: everything by cumulative and own time, then beian's own functions."""
    import pstats

    for key in ("cumulative", "tottime"):
        print(f"\n--- cProfile: top {limit} by {key} ({path}) ---")
        pstats.Stats(str(path)).strip_dirs().sort_stats(key).print_stats(limit)
    print("\n--- cProfile: beian's own functions (pipeline/) by cumulative time ---")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(r"/pipeline/", limit)


# --- the benchmark --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=25, help="data rows per bureau (default 25)")
    parser.add_argument(
        "--bureaus",
        type=int,
        default=None,
        help="use the first N registered bureaus (default: all)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="empty or new folder for the generated batch (kept afterwards)",
    )
    parser.add_argument(
        "--prior-rows",
        type=int,
        default=50,
        help="rows of the generated earlier batch (0: none; default 50)",
    )
    parser.add_argument(
        "--error-rate", type=float, default=0.05, help="share of rows with a mistake (default 0.05)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="repeat each measurement N times, report the best wall time (default 1)",
    )
    parser.add_argument(
        "--check-rows",
        type=int,
        default=100,
        help="rows of the workbook beian check is timed on (default 100)",
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE for the measured commands (default: drop it)",
    )
    parser.add_argument("--skip-pandas", action="store_true", help="skip the pandas baselines")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="also run pipeline.run.run under cProfile, dump to FILE, print top",
    )
    parser.add_argument("--beian", default=None, help="the beian command (default: beside python)")
    parser.add_argument("--seed", type=int, default=20160408)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.bureaus is not None and args.bureaus < 1:
        parser.error("--bureaus must be at least 1")
    if args.prior_rows < 0 or not 0 <= args.error_rate <= 1 or args.repeat < 1:
        parser.error("--prior-rows >= 0, 0 <= --error-rate <= 1, --repeat >= 1")
    if args.check_rows < 1:
        parser.error("--check-rows must be at least 1")
    if args.workdir is not None and args.workdir.exists() and any(args.workdir.iterdir()):
        parser.error(f"--workdir {args.workdir} is not empty; give a new or empty folder")
    return args


def benchmark(args: argparse.Namespace, workdir: Path) -> int:
    settings = load_settings(REPO / "beian.toml")
    registers = load_registers(settings.form.parent)
    bureaus = registers.bureaus[: args.bureaus] if args.bureaus else registers.bureaus
    beian = beian_executable(args.beian)
    if args.rows > MAX_DATA_ROWS:
        print(
            f"note: {args.rows:,} rows per sheet is over beian's limit of {MAX_DATA_ROWS:,}; "
            "beian will refuse these files (F_TOO_MANY_ROWS)."
        )

    CHILD_ENV.clear()
    CHILD_ENV.update(child_env(not args.no_bytecode))
    code_before = code_state()
    print(f"generating {len(bureaus)} bureaus x {args.rows:,} rows in {workdir} ...", flush=True)
    clock = time.perf_counter()
    batch = generate(
        workdir, bureaus, args.rows, args.prior_rows, args.check_rows, args.error_rate, args.seed
    )
    generated = time.perf_counter() - clock
    inbox_mb = sum(p.stat().st_size for p in (workdir / "inbox").iterdir()) / 2**20
    mistakes = sum(batch.mistakes.values())
    print(
        f"generated {batch.rows:,} rows in {len(bureaus)} files ({inbox_mb:.1f} MB) + prior "
        f"{batch.prior_rows} rows in {generated:.1f} s (not measured); {mistakes:,} rows with a "
        f"mistake ({mistakes / max(batch.rows, 1):.1%}), {batch.planted_prior} re-sent from the "
        f"prior batch, {batch.planted_batch} sent by two bureaus",
        flush=True,
    )

    inbox, logs = workdir / "inbox", workdir / "logs"
    logs.mkdir()
    priors = [str(p) for p in sorted((workdir / "prior").glob("*.xlsx"))]
    run_cwd = workdir / "cwd"  # no beian.toml here: only the options below apply
    run_cwd.mkdir()
    rows = batch.rows
    results: list[Measure] = []

    def beian_cmd(tag: str) -> list[str]:
        cmd = [
            beian,
            "run",
            "--inbox",
            str(inbox),
            "--outbox",
            str(workdir / f"outbox-{tag}"),
            "--ledger",
            str(workdir / f"ledger-{tag}.sqlite"),
        ]
        for prior in priors:
            cmd += ["--prior", prior]
        return cmd

    # 1. beian run, cold (fresh outbox and ledger each repeat), then the quiet second night.
    colds, quiets = [], []
    for i in range(args.repeat):
        print(f"beian run (cold) {i + 1}/{args.repeat} ...", flush=True)
        colds.append(
            measure(
                "beian run (cold, empty ledger)",
                beian_cmd(f"cli{i}"),
                run_cwd,
                logs / f"cold{i}.log",
                rows,
            )
        )
    dispositions, statuses, outputs = disposition_summary(workdir / "outbox-cli0")
    before = {p: p.stat().st_mtime_ns for p in outputs}
    for i in range(args.repeat):
        print(f"beian run (second night) {i + 1}/{args.repeat} ...", flush=True)
        quiets.append(
            measure(
                "beian run (second, nothing changed)",
                beian_cmd("cli0"),
                run_cwd,
                logs / f"second{i}.log",
                rows,
            )
        )
    rewritten = [p.name for p in outputs if p.stat().st_mtime_ns != before[p]]
    results += [best_of(colds), best_of(quiets)]

    # 2. pipeline.run.run in its own process, cold, for the stage breakdown.
    print("pipeline.run.run in-process (cold) ...", flush=True)

    def run_spec(name: str) -> dict[str, object]:
        """What the in-process child needs: paths of its own for outbox, ledger, result."""
        return {
            "cwd": str(run_cwd),
            "inbox": str(inbox),
            "outbox": str(workdir / f"outbox-{name}"),
            "ledger": str(workdir / f"ledger-{name}.sqlite"),
            "priors": priors,
            "result": str(workdir / f"{name}.json"),
        }

    spec = run_spec("inproc")
    inproc = python_child(
        "in-process pipeline.run.run (cold)", IN_PROCESS, spec, run_cwd, logs / "inproc.log", rows
    )
    results.append(inproc)

    # 3. beian check of one workbook: end to end, then in a running process.
    assert batch.check is not None
    checks_run = []
    for i in range(args.repeat):
        print(f"beian check {i + 1}/{args.repeat} ...", flush=True)
        out = workdir / f"check-out{i}"
        out.mkdir()
        cmd = [beian, "check", str(batch.check), "--out", str(out)]
        for prior in priors:
            cmd += ["--prior", prior]
        # exit 1: the workbook has errors, as a generated one usually does
        checks_run.append(
            measure(
                "beian check (one workbook)",
                cmd,
                run_cwd,
                logs / f"check{i}.log",
                batch.check_rows,
                codes=(0, 1),
            )
        )
    check_cli = best_of(checks_run)
    results.append(check_cli)
    print("pipeline.selfcheck.check_files in a running process ...", flush=True)
    (workdir / "check-warm").mkdir()
    check_spec = {
        "cwd": str(run_cwd),
        "file": str(batch.check),
        "out": str(workdir / "check-warm"),
        "priors": priors,
        "repeat": max(args.repeat, 3),
        "result": str(workdir / "check-warm.json"),
    }
    check_warm = python_child(
        "check_files in one running process",
        CHECK_IN_PROCESS,
        check_spec,
        run_cwd,
        logs / "check-warm.log",
        batch.check_rows,
    )
    results.append(check_warm)

    # 3. The naive pandas script.
    if not args.skip_pandas:
        for write, label in (
            (False, "plain pandas read_excel+concat"),
            (True, "plain pandas read_excel+concat+to_excel"),
        ):
            print(f"{label} ...", flush=True)
            runs = []
            for i in range(args.repeat):
                spec = {
                    "inbox": str(inbox),
                    "write": write,
                    "out": str(workdir / "pandas.xlsx"),
                    "result": str(workdir / "pandas.json"),
                }
                runs.append(
                    python_child(
                        label, PANDAS, spec, run_cwd, logs / f"pandas-{int(write)}-{i}.log", rows
                    )
                )
            results.append(best_of(runs))

    profile_path: Path | None = None
    if args.profile:
        print("pipeline.run.run under cProfile (cold) ...", flush=True)
        profile_path = args.profile.resolve()
        spec = {**run_spec("prof"), "profile": str(profile_path)}
        python_child("cProfile", IN_PROCESS, spec, run_cwd, logs / "prof.log", rows)

    # --- the report ---
    print()
    print(
        f"python {platform.python_version()}, pandas {version('pandas')}, python-calamine "
        f"{version('python-calamine')}, openpyxl {version('openpyxl')}, xlsxwriter "
        f"{version('xlsxwriter')}, beian {version('beian')}; CPUs {os.cpu_count()}; "
        f"{platform.platform()}"
    )
    code_after = code_state()
    print(f"code: {code_after}")
    if code_after != code_before:
        print(
            f"warning: pipeline/ changed while the benchmark ran (was: {code_before}); "
            "the figures mix two versions"
        )
    if CHILD_ENV.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "note: PYTHONDONTWRITEBYTECODE is set; modules without a cached .pyc are compiled at "
            "every start-up (counted in the wall times)"
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"batch: {len(bureaus)} bureaus x {args.rows:,} rows = {rows:,} data rows "
        f"({inbox_mb:.1f} MB of .xlsx), prior batch {batch.prior_rows} rows"
    )
    print()
    print(f"{'measurement':<46}{'rows':>9}{'wall s':>9}{'CPU s':>8}{'peak RSS MB':>13}{'load':>7}")
    print("-" * 92)
    for m in results:
        print(
            f"{m.label:<46}{m.rows:>9,}{m.wall:>9.2f}{m.cpu:>8.2f}{m.rss_mb:>13.1f}{m.load:>7.2f}"
        )
        if "walls" in m.extra and m is not check_warm:
            print(f"{'':<6}repeats (wall s, load): {m.extra['walls']}")
        if m is inproc:
            extra = m.extra
            print(f"{'':<4}{'imports':<42}{'':>9}{extra['imports']:>9.2f}")
            timings: dict[str, float] = extra["timings"]
            order = ["read", "normalise_validate", "dedupe", "write"]
            for key in order + [k for k in timings if k not in order]:
                value = timings.get(key)
                shown = f"{value:>9.2f}" if value is not None else f"{'missing':>9}"
                print(f"{'':<4}{'stage ' + key:<42}{'':>9}{shown}")
            other = extra["run"] - sum(timings.values())
            print(f"{'':<4}{'other (lock, survey, ledger)':<42}{'':>9}{other:>9.2f}")
            print(f"{'':<4}{'run() total':<42}{'':>9}{extra['run']:>9.2f}")
        elif m is check_warm:
            extra = m.extra
            print(f"{'':<4}{'imports':<42}{'':>9}{extra['imports']:>9.2f}")
            print(f"{'':<4}{'first call':<42}{'':>9}{extra['first']:>9.2f}")
            print(f"{'':<4}{'later calls (best)':<42}{'':>9}{extra['warm']:>9.2f}")
            print(f"{'':<6}later calls (wall s): {[round(w, 3) for w in extra['walls']]}")
        elif m.label.startswith("plain pandas"):
            extra = m.extra
            if extra["rows"] != rows:
                print(f"{'':<4}note: pandas read {extra['rows']:,} rows, expected {rows:,}")
    print("-" * 92)
    print(
        "dispositions (cold run): "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(dispositions.items()))
    )
    print("files (cold run): " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print("second run rewrote: " + (", ".join(rewritten) if rewritten else "nothing"))

    problems: list[str] = []
    if sum(dispositions.values()) != rows:
        problems.append(
            f"dispositions.csv has {sum(dispositions.values()):,} rows, generated {rows:,}"
        )
    if statuses.get("live", 0) != len(bureaus):
        problems.append(f"{statuses.get('live', 0)} live files, expected {len(bureaus)}")

    cold, quiet = results[0], results[1]
    full = next((m for m in results if m.label.endswith("to_excel")), None)
    checks: list[tuple[str, bool]] = []
    if rows <= 1000:
        checks.append(("cold run under 3 s including start-up", cold.wall < 3.0))
    checks.append(("beian check of one workbook under 1.5 s end to end", check_cli.wall < 1.5))
    checks.append(("check in a running process under 0.3 s", check_warm.extra["warm"] < 0.3))
    if full is not None and rows >= 40_000:  # start-up dominates below that
        checks.append(
            ("cold run faster than plain pandas read_excel+concat+to_excel", cold.wall < full.wall)
        )
    checks.append(("cold run under 2 GB peak RSS", cold.rss_mb < 2048))
    checks.append(("a night with nothing new under 2 s", quiet.wall < 2.0))
    print()
    for text, ok in checks:
        print(f"target: {text:<62} {'PASS' if ok else 'MISS'}")
    for text in problems:
        print(f"problem: {text}")
    if profile_path is not None:
        print_profile(profile_path)
    return 0 if all(ok for _, ok in checks) and not problems else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if sys.platform == "win32":
        sys.exit("bench_run: needs the resource module (Linux or macOS).")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        workdir = args.workdir.resolve()
        cleanup = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="beian-bench-"))
        cleanup = not args.keep
    try:
        return benchmark(args, workdir)
    except BenchError as exc:
        print(f"bench_run: {exc}", file=sys.stderr)
        print(f"(generated files kept in {workdir})", file=sys.stderr)
        cleanup = False
        return 2
    finally:
        if cleanup:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
