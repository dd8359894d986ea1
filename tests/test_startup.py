"""Start-up time: a command loads only the libraries its path needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a fresh interpreter, which has imported nothing yet."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )


def test_start_up_loads_no_library_it_does_not_need() -> None:
    """python-docx and openpyxl cost start-up time on every command; only a Word form or the
    template needs the first, and nothing on the nightly path needs the second."""
    code = "import sys, pipeline.cli; print(sorted({'docx', 'openpyxl'} & set(sys.modules)))"
    done = python(code)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["run", "--help"], ["check", "--bogus"], ["--version"], ["schedule", "--help"]],
)
def test_help_version_and_option_errors_load_no_library(argv: list[str]) -> None:
    """Each command imports the library when it runs: help, the version and a mistyped option
    answer at once, without pandas, pandera, pyarrow or the writers."""
    code = (
        "import sys\n"
        "from pipeline.cli import app\n"
        "try:\n"
        f"    app({argv!r}, prog_name='beian')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'pandas', 'pandera', 'pyarrow', 'numpy', 'xlsxwriter', 'rapidfuzz'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    done = python(code)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


def test_reading_modules_load_no_pandas_before_the_workers_start() -> None:
    """The launcher and the sandbox must be cheap to import: workers start before pandas loads."""
    code = "import sys, pipeline.launch, pipeline.read.sandbox; print('pandas' in sys.modules)"
    done = python(code)
    assert done.stdout.strip() == "False"


def test_status_loads_no_validation() -> None:
    """``beian status`` reads the ledger and prints; pandera and the nightly stages are not its."""
    code = "import sys, pipeline.cli_print, pipeline.state.status; print('pandera' in sys.modules)"
    assert python(code).stdout.strip() == "False"
