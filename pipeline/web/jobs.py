"""立即汇总: the nightly consolidation started from the clerk's page, in the background.

The job calls :func:`pipeline.run.run` — the same lock, ledger and writers as ``beian run`` — in a
thread, and keeps its progress (files read of files to read) and its result for the page to poll.
A run that finds the lock held ends at once with the lock's message (the other run goes on).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.core.config import Settings
from pipeline.core.errors import BeianError
from pipeline.run import run
from pipeline.write.summary import counts_line


def site_holder(job: Job) -> str:
    """How a ``beian run`` that finds the lock held names this job."""
    return f"网上报送站点的“立即汇总”（{job.account}，{job.started[:16]} 开始）"


@dataclass
class Job:
    """One background consolidation and what the page shows of it."""

    id: str
    account: str
    state: str = "running"
    done: int = 0
    total: int = 0
    current: str = ""
    started: str = field(default_factory=lambda: dt.datetime.now().isoformat(sep=" ")[:19])
    finished: str = ""
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Jobs:
    """The site's consolidations, started one at a time (the run lock guards the rest)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, account: str) -> Job:
        job = Job(secrets.token_hex(8), account)
        with self._lock:
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job,), daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def latest(self) -> Job | None:
        with self._lock:
            return max(self._jobs.values(), key=lambda j: j.started, default=None)

    def _run(self, job: Job) -> None:
        def step(name: str, total: int) -> None:
            job.done, job.total, job.current = job.done + 1, total, name

        try:
            report = run(self.settings, progress=step, wait=0, holder=site_holder(job))
        except BeianError as exc:
            job.state, job.message = "failed", str(exc)
        except Exception as exc:  # the page must learn of any failure, not a silent thread
            job.state, job.message = "failed", f"汇总失败：{type(exc).__name__}: {exc}"
        else:
            job.counts = report.counts
            job.state = "done"
            job.message = (
                counts_line(report.counts)
                if report.changed
                else "收件箱与上次汇总相比没有变化，未重写任何输出。"
            )
        job.finished = dt.datetime.now().isoformat(sep=" ")[:19]
