"""Schemathesis against each service's OpenAPI (quality.md "Fuzzing"): the services run in process
over ASGI on SQLite with the in-memory broker double, each called with a token of every role. Runs
only when ``CCER_FUZZ=1`` (CI's own step, ``.ci/run``): it takes a few minutes, not seconds."""

from __future__ import annotations

import collections
from typing import Any

import pytest

# service → status code → requests sent; printed at the end of the run (the issue asks for the counts).
SENT: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
# service → (check, failure, detail) → the operations (and statuses) where it was seen.
FAILED: dict[str, dict[tuple[str, str, str], set[str]]] = collections.defaultdict(lambda: collections.defaultdict(set))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if FAILED and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SENT:
        return
    terminalreporter.section("fuzz: requests per service")
    for service, statuses in sorted(SENT.items()):
        by_status = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
        terminalreporter.write_line(f"{service}: {sum(statuses.values())} requests ({by_status})")
    if not FAILED:
        return
    terminalreporter.section("fuzz: failures (the session fails)")
    for service, kinds in sorted(FAILED.items()):
        for (check, title, detail), where in sorted(kinds.items()):
            shown = "; ".join(sorted(where)[:4]) + (f"; … {len(where) - 4} more" if len(where) > 4 else "")
            terminalreporter.write_line(
                f"{service} | {check} | {title} | {detail} | {len(where)} operation(s): {shown}"
            )
