"""Benchmark the dedupe stage on rows that all name one operator (SPEC §5, Cost; issue 21).

Run by hand from the repository root (not part of the test suite)::

    .venv/bin/python benchmarks/bench_dedupe.py                  # 5,000 / 20,000 / 50,000 rows
    .venv/bin/python benchmarks/bench_dedupe.py --rows 50000     # one size

Each size runs in a fresh subprocess, which builds the rows as the night hands them to dedupe
(keys, received order), then runs what ``pipeline.dedupe.dispose`` runs: repeats within a file,
matches against a prior batch of 300 spaces, and matches across bureaus. The rows are spread over
``--bureaus`` bureaus (default 14), every one naming the same operator (as 同上 filled down the
operator column gives); 2 % of them repeat, under another bureau, a name an earlier bureau sent,
and the child checks that every one of those is found as an automatic duplicate. Printed per
size: seconds of the dedupe stage, peak RSS of the child (MB, from ``resource``; Linux/macOS) and
candidate pairs. The target: under 2 GB at 50,000 rows, time about linear in the rows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, random, resource, sys, time
import pandas as pd
from pipeline.dedupe import blocking, match as dedupe
from pipeline.core.schema import load_registers

rows_wanted, bureaus_wanted, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
registers = load_registers()
bureaus = registers.bureaus[:bureaus_wanted]
hanzi = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
names, owners, copies = [], [], []
for i in range(rows_wanted):
    owner = bureaus[i * len(bureaus) // rows_wanted]
    if names and rng.random() < 0.02:
        earlier = rng.randrange(len(names))
        if owners[earlier].name != owner.name:
            copies.append(len(names))
            names.append(names[earlier])
            owners.append(owner)
            continue
    names.append("".join(rng.choices(hanzi, k=rng.randint(3, 6))) + "众创空间")
    owners.append(owner)
frame = pd.DataFrame(
    {
        "uid": range(len(names)),
        "received": pd.Timestamp("2016-04-10 22:00"),
        "bureau": [b.name for b in owners],
        "file": [b.name + ".xlsx" for b in owners],
        "name": names,
        "operator": "湖南同一众创运营管理有限公司",
    }
)
prior = pd.DataFrame(
    {
        "uid": range(300),
        "batch": "首批",
        "name": ["".join(rng.choices(hanzi, k=5)) + "创客空间" for _ in range(300)],
        "operator": "另一家公司",
    }
)
clock = time.perf_counter()
rows = dedupe.rank_rows(dedupe.add_keys(frame, registers), None, registers.province)
prior = dedupe.add_keys(prior, registers)
decisions = dedupe.Decisions.empty()
repeats = dedupe.within_file(rows, pd.Series(False, index=rows.index))
against_prior = dedupe.match_prior(rows, prior, decisions)
across = dedupe.match_batch(rows, decisions)
seconds = time.perf_counter() - clock
pairs = len(blocking.candidate_pairs(rows[["uid", "key", "opkey", "city_key", "bureau", "rank"]]))
found = set(across.loc[across["auto"].astype(bool), "uid"])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
peak_mb = peak / (1 << 20) if sys.platform == "darwin" else peak / 1024
print(json.dumps({
    "rows": len(rows), "seconds": round(seconds, 2), "peak_mb": round(peak_mb),
    "pairs": pairs, "copies": len(copies), "copies_found": len(found & set(copies)),
}))
"""


def measure(rows: int, bureaus: int, seed: int) -> dict[str, float]:
    """One size in a fresh interpreter (its peak RSS is the stage's and the imports')."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(rows), str(bureaus), str(seed)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    parser.add_argument("--bureaus", type=int, default=14)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    sizes = args.rows or [5_000, 20_000, 50_000]
    print("rows      seconds   peak MB   candidate pairs   copies found")
    missed = False
    for rows in sizes:
        got = measure(rows, args.bureaus, args.seed)
        print(
            f"{got['rows']:>6}   {got['seconds']:>8.2f}   {got['peak_mb']:>7}   "
            f"{got['pairs']:>15}   {got['copies_found']}/{got['copies']}"
        )
        missed |= got["peak_mb"] >= 2048 or got["copies_found"] != got["copies"]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
