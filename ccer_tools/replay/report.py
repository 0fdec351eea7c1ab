"""The step-by-step report a replay prints: one ✓/✗ line per step with its time, and on the first unmet
expectation what was expected and what was seen."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from shared.timeutil import local

__all__ = ["Failure", "ReplayResult", "Report", "render_body"]


@dataclass
class Failure:
    """What went wrong, ready to print: the check, the request, what was expected, what was seen."""

    what: str
    request: str | None = None
    problems: list[str] = field(default_factory=list)
    expected: Any = None
    seen: Any = None

    def lines(self) -> list[str]:
        out = [f"✗ {self.what}"]
        if self.request:
            out.append(f"  {self.request}")
        if self.expected is not None:
            out.append(f"  expected: {_one_line(self.expected)}")
        out += [f"  • {p}" for p in self.problems]
        if self.seen is not None:
            body = render_body(self.seen).splitlines()
            out.append("  saw:" if len(body) > 1 else f"  saw: {body[0] if body else ''}")
            if len(body) > 1:
                out += [f"    {line}" for line in body]
        return out


@dataclass
class ReplayResult:
    name: str
    source: str
    ok: bool
    steps_total: int
    steps_done: int = 0
    checks: int = 0
    events_published: int | None = None
    events_consumed: int | None = None
    jobs_run: int = 0
    wall_seconds: float = 0.0
    failed_step: int | None = None
    failure: Failure | None = None

    def summary(self) -> str:
        events = (
            "events: n/a"
            if self.events_published is None
            else f"{self.events_published} events published, {self.events_consumed} consumed"
        )
        if self.ok:
            return (
                f"✓ {self.name}: {self.steps_done} steps, {self.checks} checks, {events}, "
                f"{self.jobs_run} scheduled jobs run, {self.wall_seconds:.1f} s wall time"
            )
        where = f"step {self.failed_step} of {self.steps_total}" if self.failed_step else "set-up of the replay"
        return f"✗ {self.name}: failed at {where} after {self.wall_seconds:.1f} s ({events})"


def render_body(body: Any, max_lines: int = 40) -> str:
    """JSON with anything short kept on one line, cut after ``max_lines`` lines so that a long list
    does not drown the report."""
    text = body if isinstance(body, str) else _pretty(body, 0)
    lines = text.splitlines() or [""]
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"… ({len(lines) - max_lines} more lines)"]
    return "\n".join(lines)


def _pretty(value: Any, depth: int, width: int = 100) -> str:
    flat = _one_line(value)
    pad, close = "  " * (depth + 1), "  " * depth
    if len(flat) + len(pad) <= width or not isinstance(value, dict | list) or not value:
        return flat
    if isinstance(value, dict):
        inner = [f"{pad}{_one_line(k)}: {_pretty(v, depth + 1, width)}" for k, v in value.items()]
        return "{\n" + ",\n".join(inner) + "\n" + close + "}"
    inner = [pad + _pretty(v, depth + 1, width) for v in value]
    return "[\n" + ",\n".join(inner) + "\n" + close + "]"


def _one_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _when(at: datetime | None) -> str:
    if at is None:
        return "clock not set (wall time)"
    return local(at).isoformat(sep=" ", timespec="seconds" if at.second else "minutes")


class Report:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.section: str | None = None

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def start(self, name: str, source: str, description: str) -> None:
        self.section = None
        self.line(f"▶ {name}  ({source})")
        for text in description.splitlines():
            self.line(f"  │ {text}" if text.strip() else "  │")

    def note(self, text: str) -> None:
        self.line(f"  · {text}")

    def step(
        self,
        number: int,
        section: str,
        title: str,
        ok: bool,
        *,
        at: datetime | None,
        actor: str | None,
        request: str | None,
        status: int | None,
        millis: float,
        extra: str = "",
    ) -> None:
        if section != self.section:
            self.section = section
            self.line(f"  ── {section} ──")
        mark = "✓" if ok else "✗"
        self.line(f"  {mark} {number:>2} {title}")
        meta = [_when(at)]
        if request:
            meta.append(f"{actor} · {request} → {status if status is not None else 'no answer'}")
        meta.append(f"{millis:.0f} ms")
        if extra:
            meta.append(extra)
        self.line("       " + " · ".join(meta))

    def check(self, that: str, ok: bool) -> None:
        self.line(f"       {'✓' if ok else '✗'} {that}")

    def failure(self, failure: Failure) -> None:
        for text in failure.lines()[1:]:
            self.line(f"         {text}")

    def end(self, result: ReplayResult) -> None:
        self.line(result.summary())
        self.line()
