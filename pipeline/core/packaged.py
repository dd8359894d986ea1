"""The files that travel inside the package: form definitions and registers, blank forms, the
January first batch. Found with :mod:`importlib.resources`, so a wheel installed anywhere (pip,
pipx, a user install) finds them as a checkout does, with no source tree and no install prefix.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def packaged(name: str) -> Path:
    """The folder ``name`` shipped inside the ``pipeline`` package, as a path.

    beian is installed as files on disk (a wheel is unpacked by pip), where
    ``importlib.resources`` hands out real paths; readers, copies and SQLite all need one."""
    found = resources.files("pipeline").joinpath(name)
    if not isinstance(found, Path):
        raise RuntimeError(f"pipeline/{name} is not on disk ({found}); install beian unpacked")
    return found


SCHEMAS_DIR = packaged("schemas")
"""Form definitions, the problem-code catalogue and the registers."""
TEMPLATES_DIR = packaged("templates")
"""The blank forms a bureau fills in (``beian template`` writes the same)."""
PRIOR_DIR = packaged("prior")
"""The January first batch that ``beian init`` copies into every new batch folder."""
