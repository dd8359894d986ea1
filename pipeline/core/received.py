"""When a submission was received (SPEC §6): the one rule the night, the site and ``check`` share.

Received = when beian first saw that content (a night, or an upload through the site), but never
later than the file's own modification time: a file copied into the inbox last week and first
consolidated tonight is older than an upload made this morning. Ties are broken by modification
time wherever files are ordered (:func:`order_key`).
"""

from __future__ import annotations

import datetime as dt

from pipeline.core.model import FileOutcome


def received_at(first_seen: dt.datetime | None, mtime: float, now: dt.datetime) -> dt.datetime:
    """The received time of one content: its first sighting (``now`` when never seen), bounded
    by its modification time to the second (0 when unknown: no bound). Within that second the
    sighting stands as it is: the intake site stamps each upload to the microsecond as it joins
    the queue, so two uploads of one second keep the order in which the site answered them."""
    seen = first_seen or now
    if not mtime:
        return seen
    modified = dt.datetime.fromtimestamp(mtime).replace(microsecond=0)
    return modified if modified < seen.replace(microsecond=0) else seen


def stamp_received(
    outcome: FileOutcome, first_seen: dict[str, dt.datetime], now: dt.datetime
) -> None:
    """Set ``outcome.received`` from the ledger's first sightings (by SHA-256)."""
    outcome.received = received_at(first_seen.get(outcome.sha256), outcome.mtime, now)


def order_key(outcome: FileOutcome) -> tuple[dt.datetime, float, str]:
    """Oldest first: received, then modification time, then path (a stable last resort)."""
    return (outcome.received or dt.datetime.min, outcome.mtime, outcome.file)
