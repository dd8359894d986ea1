"""The rules: raw cell text → canonical values (:mod:`.normalise`, with :mod:`.fastpath` for the
plain shapes) → the problems of every row, checked by the pandera schema built from ``schemas/``
(:mod:`.validate`). Every rule is found by its code in ``schemas/codes.toml``.
"""
