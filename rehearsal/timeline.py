"""Timeline: what each instance did when, relative to the start of the run (monotonic clock)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby


@dataclass
class Span:
    """One event on one instance (or the fleet): start, end, outcome, an optional note."""

    who: str
    what: str
    start: float
    end: float | None = None
    ok: bool = True
    note: str = ""
    group: str = ""

    def text(self) -> str:
        """`ApplicationStop 2.1s`, with FAILED and the note when there are any."""
        took = (
            "" if self.end is None or self.end == self.start else f" {self.end - self.start:.1f}s"
        )
        flag = "" if self.ok else " FAILED"
        note = f" ({self.note})" if self.note else ""
        return f"{self.what}{took}{flag}{note}"


@dataclass
class Timeline:
    """Spans grouped per instance and deployment: `t+12.3s instance-1 d-0002 v2: BlockTraffic
    0.4s, ApplicationStop 2.1s, …`; marks get a line of their own."""

    t0: float = field(default_factory=time.monotonic)
    spans: list[Span] = field(default_factory=list)

    def mark(self, what: str, who: str = "fleet") -> None:
        """A point event."""
        now = time.monotonic()
        self.spans.append(Span(who, what, now, now))

    @contextlib.contextmanager
    def span(self, who: str, what: str, group: str = "") -> Iterator[Span]:
        """A timed event; set .ok / .note on the yielded span."""
        span = Span(who, what, time.monotonic(), group=group)
        self.spans.append(span)
        try:
            yield span
        except BaseException:
            span.ok = False
            raise
        finally:
            span.end = time.monotonic()

    def at(self, t: float) -> float:
        """Seconds since the start of the run."""
        return t - self.t0

    def lines(self) -> list[str]:
        """One line per mark and per (instance, deployment), in start order."""
        ordered = sorted(self.spans, key=lambda s: s.start)
        out = []
        for (who, group), run in groupby(ordered, key=lambda s: (s.who, s.group or id(s))):
            spans = list(run)
            label = f" {group}:" if isinstance(group, str) else ""
            body = ", ".join(s.text() for s in spans)
            out.append(f"t+{self.at(spans[0].start):5.1f}s {who}{label} {body}")
        return out
