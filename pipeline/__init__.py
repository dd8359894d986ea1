"""beian: collect, check and consolidate Hunan maker-space (众创空间) filing forms.

For scripts: ``pipeline.consolidate(...)`` and ``pipeline.check(...)`` return records
(:mod:`pipeline.api`); they are loaded on first use, so importing a stage stays light.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "check", "consolidate"]


def __getattr__(name: str) -> Any:
    if name in ("check", "consolidate"):
        from pipeline import api

        return getattr(api, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
