"""The pure parts of a replay: ``${var}`` substitution, ``$.a.b[0]`` extraction, subset matching of
responses against expectations, problem codes, and the serial-range check of domain.md §3.

Nothing here does I/O, so the rules a scenario relies on are unit-tested on their own.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "ExtractError",
    "Mismatch",
    "UnboundVariable",
    "extract",
    "match",
    "problem_codes",
    "serial_number",
    "serial_problems",
    "short",
    "substitute",
]

_VAR = re.compile(r"\$\{([A-Za-z_][\w]*(?:\.[\w]+)*)\}")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MISSING = object()


class UnboundVariable(KeyError):
    """A ``${name}`` that no ``vars``/``save`` has defined (yet)."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        known = ", ".join(sorted(self.known)) or "none"
        return f"unknown variable ${{{self.name}}} (defined so far: {known})"


class ExtractError(LookupError):
    """A ``save`` path that does not lead anywhere in the response."""


# ---------------------------------------------------------------------------------------- substitution


def _lookup(name: str, variables: dict[str, Any]) -> Any:
    head, *rest = name.split(".")
    if head not in variables:
        raise UnboundVariable(name, list(variables))
    value = variables[head]
    for part in rest:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            raise UnboundVariable(name, list(variables))
    return value


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    """Replace ``${name}`` (or ``${name.field}``) everywhere in ``value``.

    A string that is exactly one ``${name}`` becomes the variable's value with its type (an int stays
    an int); inside a longer string the value is formatted in. Keys are substituted too.
    """
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), variables)
        return _VAR.sub(lambda m: _text(_lookup(m.group(1), variables)), value)
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def variables_in(value: Any) -> set[str]:
    """The variable names ``value`` refers to (to check a scenario before running it)."""
    if isinstance(value, str):
        return {m.group(1).split(".")[0] for m in _VAR.finditer(value)}
    if isinstance(value, dict):
        return set().union(*(variables_in(k) | variables_in(v) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(variables_in(v) for v in value)) if value else set()
    return set()


# ------------------------------------------------------------------------------------------ extraction

_TOKEN = re.compile(r"\.([A-Za-z_][\w]*)|\[(-?\d+)\]|\[([A-Za-z_][\w]*)=([^\]]*)\]")


def extract(document: Any, path: str) -> Any:
    """Follow ``path`` into ``document``: ``$`` is the whole body, ``.name`` a field, ``[0]`` / ``[-1]``
    a list position, ``[field=value]`` the first list element whose field equals value (compared as text),
    e.g. ``$.items[revision=2].id``."""
    if not path.startswith("$"):
        raise ExtractError(f"path {path!r} must start with $")
    value, where, pos = document, "$", 1
    while pos < len(path):
        token = _TOKEN.match(path, pos)
        if token is None:
            raise ExtractError(f"cannot parse {path!r} at {path[pos:]!r}")
        name, index, key, wanted = token.groups()
        if name is not None:
            if not isinstance(value, dict) or name not in value:
                raise ExtractError(f"{where} has no field {name!r} (saw {short(value, 300)})")
            value = value[name]
            where += f".{name}"
        elif index is not None:
            i = int(index)
            if not isinstance(value, list) or not -len(value) <= i < len(value):
                raise ExtractError(f"{where} has no element [{i}] (saw {short(value, 300)})")
            value = value[i]
            where += f"[{i}]"
        else:
            if not isinstance(value, list):
                raise ExtractError(f"{where} is not a list (saw {short(value, 300)})")
            found = [v for v in value if isinstance(v, dict) and key in v and _as_text(v[key]) == wanted]
            if not found:
                raise ExtractError(f"{where} has no element with {key}={wanted} (saw {short(value, 300)})")
            value = found[0]
            where += f"[{key}={wanted}]"
        pos = token.end()
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -------------------------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Mismatch:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


_OPERATORS = {"$len", "$ne", "$gt", "$gte", "$lt", "$lte", "$exact", "$exists", "$contains", "$each"}


def _is_operator(expected: Any) -> bool:
    return isinstance(expected, dict) and bool(expected) and all(k in _OPERATORS for k in expected)


def match(expected: Any, actual: Any, path: str = "$") -> list[Mismatch]:
    """Subset matching: every key of an expected dict must be in the actual dict and match; every element
    of an expected list must match a different element of the actual list, in any order (extra actual
    elements are fine); scalars are equal (timestamps compared as instants, so ``+08:00`` and ``Z``
    agree). An expected dict whose keys are operators checks instead of matching:
    ``{$len: 2}``, ``{$ne: x}``, ``{$gt|$gte|$lt|$lte: n}``, ``{$exact: value}`` (equal, no subset),
    ``{$exists: false}`` (the key is absent), ``{$contains: text}`` (a substring of a string),
    ``{$each: pattern}`` (every element of a non-empty list matches the pattern)."""
    if _is_operator(expected):
        return _operators(expected, actual, path)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(path, f"expected an object, saw {short(actual)}")]
        found: list[Mismatch] = []
        for key, want in expected.items():
            sub = f"{path}.{key}"
            if key not in actual:
                if _is_operator(want) and want.get("$exists") is False:
                    continue
                found.append(Mismatch(sub, f"missing (expected {short(want)})"))
                continue
            found += match(want, actual[key], sub)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [Mismatch(path, f"expected a list, saw {short(actual)}")]
        return _match_list(expected, actual, path)
    if _scalar_equal(expected, actual):
        return []
    return [Mismatch(path, f"expected {short(expected)}, saw {short(actual)}")]


def _match_list(expected: list[Any], actual: list[Any], path: str) -> list[Mismatch]:
    # Each expected element claims a distinct actual element; backtrack so that an early, loose
    # expectation does not steal the only element a later, stricter one could match.
    candidates = [[j for j, a in enumerate(actual) if not match(e, a)] for e in expected]

    def assign(i: int, used: frozenset[int]) -> bool:
        if i == len(expected):
            return True
        return any(assign(i + 1, used | {j}) for j in candidates[i] if j not in used)

    if assign(0, frozenset()):
        return []
    found: list[Mismatch] = []
    for i, want in enumerate(expected):
        if candidates[i]:
            continue
        sub = f"{path}[{i}]"
        if not actual:
            found.append(Mismatch(sub, f"expected an element matching {short(want)}, the list is empty"))
            continue
        # Explain against the closest element: the one with the fewest mismatches.
        closest = min((match(want, a, f"{path}[{j}]") for j, a in enumerate(actual)), key=len)
        found.append(
            Mismatch(sub, f"no element matches {short(want)}; closest differs at " + "; ".join(str(m) for m in closest))
        )
    if not found:
        found.append(
            Mismatch(
                path, f"the {len(expected)} expected elements cannot each match a different element of {short(actual)}"
            )
        )
    return found


def _operators(ops: dict[str, Any], actual: Any, path: str) -> list[Mismatch]:
    found: list[Mismatch] = []
    for op, arg in ops.items():
        ok: bool
        if op == "$each":
            if not isinstance(actual, list) or not actual:
                found.append(Mismatch(path, f"expected a non-empty list, saw {short(actual)}"))
            else:
                for i, element in enumerate(actual):
                    found += match(arg, element, f"{path}[{i}]")
            continue
        if op == "$exists":
            ok = bool(arg)  # reached only when the key is present
        elif op == "$len":
            ok = hasattr(actual, "__len__") and len(actual) == arg
            if not ok:
                size = len(actual) if hasattr(actual, "__len__") else "no length"
                found.append(Mismatch(path, f"expected length {arg}, saw {size}: {short(actual)}"))
                continue
        elif op == "$ne":
            ok = not _scalar_equal(arg, actual) if not isinstance(arg, dict | list) else arg != actual
        elif op == "$exact":
            ok = arg == actual
        elif op == "$contains":
            ok = isinstance(actual, str) and str(arg) in actual
        else:
            try:
                ok = {"$gt": actual > arg, "$gte": actual >= arg, "$lt": actual < arg, "$lte": actual <= arg}[op]
            except TypeError:
                ok = False
        if not ok:
            found.append(Mismatch(path, f"expected {op} {short(arg)}, saw {short(actual)}"))
    return found


def _scalar_equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, str) and isinstance(actual, str) and expected != actual:
        left, right = _instant(expected), _instant(actual)
        return left is not None and right is not None and left == right
    return bool(expected == actual)


def _instant(text: str) -> datetime | None:
    if not _ISO_INSTANT.match(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def short(value: Any, limit: int = 160) -> str:
    """A one-line JSON rendering of ``value``, cut at ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------------ problems


def problem_codes(body: Any) -> list[str]:
    """The codes of an RFC 9457 problem body: every ``errors[].code``, else the top-level ``code``."""
    if not isinstance(body, dict):
        return []
    codes = [e["code"] for e in body.get("errors") or [] if isinstance(e, dict) and "code" in e]
    if not codes and isinstance(body.get("code"), str):
        codes = [body["code"]]
    return codes


# ----------------------------------------------------------------------------------------- serials

_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def serial_number(serial: Any) -> tuple[str, int]:
    """``"CCER-P1-2024-17"`` → ``("CCER-P1-2024-", 17)``; a bare integer has an empty prefix."""
    if isinstance(serial, int) and not isinstance(serial, bool):
        return "", serial
    found = _TRAILING_NUMBER.match(str(serial))
    if found is None:
        raise ValueError(f"serial {serial!r} does not end in a number")
    return found.group(1), int(found.group(2))


def serial_problems(rows: list[dict[str, Any]], issued: dict[str, int]) -> list[str]:
    """Check domain.md §3 invariant 1 over holdings rows (``GET /accounts/{id}/holdings`` items of every
    account that holds the projects): per project, the serial ranges of all states are disjoint and add up
    to what was issued, and each row's quantity per state is the size of its ranges in that state."""
    problems: list[str] = []
    by_series: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        project = str(row.get("project_number"))
        ranges = row.get("serial_ranges") or {}
        if not isinstance(ranges, dict):
            problems.append(f"project {project}: serial_ranges is not an object: {short(ranges)}")
            continue
        where = f"project {project} (origin {row.get('origin')}, vintage {row.get('vintage')})"
        for state, pairs in ranges.items():
            size = 0
            for pair in pairs or []:
                try:
                    (p1, first), (p2, last) = serial_number(pair[0]), serial_number(pair[1])
                except (ValueError, TypeError, IndexError) as exc:
                    problems.append(f"{where}: unreadable range {short(pair)} in {state}: {exc}")
                    continue
                if p1 != p2 or last < first:
                    problems.append(f"{where}: malformed range {short(pair)} in {state}")
                    continue
                by_series.setdefault((project, p1), []).append((first, last, state))
                size += last - first + 1
            totals[project] = totals.get(project, 0) + size
            quantity = row.get(state)
            if isinstance(quantity, int) and quantity != size:
                problems.append(f"{where}: {state} is {quantity} but its ranges hold {size} units")
    for (project, prefix), spans in sorted(by_series.items()):
        spans.sort()
        for (f1, l1, s1), (f2, l2, s2) in itertools.pairwise(spans):
            if f2 <= l1:
                problems.append(
                    f"project {project}: ranges overlap: {prefix}{f1}-{prefix}{l1} ({s1}) and "
                    f"{prefix}{f2}-{prefix}{l2} ({s2})"
                )
    for project, quantity in issued.items():
        held = totals.get(str(project), 0)
        if held != quantity:
            problems.append(f"project {project}: ranges add up to {held}, issued {quantity}")
    return problems
