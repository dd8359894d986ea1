"""mypy on pipeline/ is part of the checks: it type-checks cleanly under pyproject's config
(marked slow: .ci/run runs it after the quick suite)."""

from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")
pytestmark = pytest.mark.slow  # a minute of type checking: CI runs it with the long forms

ROOT = Path(__file__).parent.parent


def test_pipeline_type_checks(tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = tmp_path_factory.getbasetemp() / "mypy_cache"
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(cache),
            str(ROOT / "pipeline"),
        ]
    )
    assert status == 0, stdout + stderr
