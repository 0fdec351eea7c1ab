"""Domain errors: what the domain and service layers raise when they refuse. Pure: no HTTP status,
no web framework. Each error carries a stable ``code``, an English and a Chinese message, and every
:class:`Finding` behind it.

The web edge maps an error's ``kind`` to a status (``shared.problems``); the event consumer maps it to
ack, retry or dead-letter (``shared.messaging.consumer``). Raise the subclass that says what went
wrong; raise :func:`refuse` with a list of findings to report them all at once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum
from typing import ClassVar

from shared.findings import TWO_PERSON_RULE, Finding

__all__ = [
    "ConcurrentChange",
    "Conflict",
    "DomainError",
    "ErrorKind",
    "Finding",
    "Forbidden",
    "InconsistentEvent",
    "Invalid",
    "NotFound",
    "refuse",
]


class ErrorKind(StrEnum):
    not_found = "not_found"  # it does not exist, or it is outside the caller's scope (never tell which)
    invalid = "invalid"  # the request itself is wrong; the same request will always be refused
    conflict = "conflict"  # the request is fine but the state of things does not allow it now
    forbidden = "forbidden"  # this person may not take this step (e.g. the two-person rule)
    concurrent = "concurrent"  # a row changed between read and write; nothing was written, retry
    inconsistent = "inconsistent"  # an event disagrees with what this service knows: for an operator


class DomainError(Exception):
    kind: ClassVar[ErrorKind] = ErrorKind.invalid

    def __init__(
        self,
        code: str,
        message: str,
        message_zh: str,
        *,
        findings: Sequence[Finding] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh
        self.findings: list[Finding] = (
            list(findings)
            if findings is not None
            else [Finding(code=code, message=message, message_zh=message_zh, field=field)]
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}: {self.message})"


class NotFound(DomainError):
    kind = ErrorKind.not_found

    @classmethod
    def of(cls, what: str, what_zh: str, ident: object) -> NotFound:
        """``NotFound.of("offset lot", "抵销批次", lot_id)``."""
        return cls("NOT_FOUND", f"{what} {ident} not found", f"{what_zh} {ident} 不存在")


class Invalid(DomainError):
    kind = ErrorKind.invalid


class Conflict(DomainError):
    kind = ErrorKind.conflict


class Forbidden(DomainError):
    kind = ErrorKind.forbidden


class ConcurrentChange(DomainError):
    """A row changed between reading and writing it (a guarded update matched no row): nothing is
    written and the caller may retry; an event handler is retried by the consumer."""

    kind = ErrorKind.concurrent

    def __init__(self, what: str) -> None:
        super().__init__(
            "CONCURRENT_UPDATE",
            f"{what} changed concurrently; nothing was changed, retry",
            f"{what} 被并发修改，未做任何更改，请重试",
        )


class InconsistentEvent(DomainError):
    """An event that disagrees with this service's state (an unknown lot, more than is frozen). It is
    not applied and goes to the dead-letter queue for an operator: retrying cannot make it right."""

    kind = ErrorKind.inconsistent

    def __init__(self, message: str, message_zh: str = "事件与本系统状态不一致", *, code: str = "INCONSISTENT_EVENT"):
        super().__init__(code, message, message_zh)


def refuse(
    findings: Sequence[Finding],
    summary: str,
    summary_zh: str,
    *,
    code: str | None = None,
    conflict_codes: Collection[str] = (),
) -> None:
    """Raise one error carrying every finding; return when there are none.

    The kind: :class:`Forbidden` when the two-person rule is among them, :class:`Conflict` when any
    code is in ``conflict_codes`` (about the state of things, not the request), :class:`Invalid`
    otherwise. The error's code is ``code`` when given, else the (first) finding's."""
    if not findings:
        return
    codes = {f.code for f in findings}
    cls: type[DomainError] = Invalid
    if TWO_PERSON_RULE in codes:
        cls = Forbidden
    elif codes & set(conflict_codes):
        cls = Conflict
    first = findings[0]
    if len(findings) == 1 and code is None:
        raise cls(first.code, first.message, first.message_zh, findings=findings)
    raise cls(
        code or first.code,
        f"{summary}: {len(findings)} problem(s)",
        f"{summary_zh}：共 {len(findings)} 处问题",
        findings=findings,
    )
