"""The scenario file format (YAML) and its loader.

A scenario reads top to bottom like the story it tells::

    name: 2024 offset cycle
    description: what the scenario shows
    vars: {uscc: 91110000MA01C0DE1X}            # constants, used as ${uscc}
    actors:                                      # one JWT per actor; sub defaults to the actor's name
      ncsc: {role: ncsc_operator}
      plant: {role: enterprise, org: "${uscc}"}
      bj_first: {role: province_initiator, province: "110000"}
    invariants:                                  # checked after every step from step `since` on
      - that: serial ranges stay disjoint and add up to what was issued
        since: issue-units
        serials: {as: ncsc, accounts: ["${ccer_account}"], issued: {P24001: 60000}}
    setup: [<step>, ...]                         # reported under "set-up"
    steps: [<step>, ...]

A step::

    - step: The plant freezes 30,000 t of project P24001 as lot 1   # what the report prints
      id: freeze-lot-1                           # optional, for `since`
      at: "2025-06-02T10:00:00+08:00"            # optional: move the clock of all four services first
      as: plant                                  # actor
      service: new_ccer_registry                 # or new | legacy | allowance | review
      post: /api/v1/offset-lots                  # or get | put | delete
      body: {account_id: "${ccer_account}", project_number: P24001, origin: new, quantity: 30000}
      expect_status: 201                         # default: any 2xx
      expect_codes: [OFFSET_CAP_EXCEEDED]        # for refusals: exactly these problem codes
      match: {status: frozen, quantity: 30000}   # subset match on the response body
      save: {lot1: $.lot_id}                     # capture for later ${lot1}
      expect:                                    # state checks, each after the system is quiet
        - that: the allowance registry shows the lot as pending
          service: allowance
          get: /api/v1/pending-offsets?account_id=${allowance_account}
          match: {items: [{lot_id: "${lot1}", status: pending, available: 30000}]}
        - that: serial ranges add up
          serials: {as: ncsc, accounts: ["${ccer_account}"], issued: {P24001: 60000}}

An expectation inherits the step's ``as`` and ``service`` unless it names its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ccer_tools.replay.matching import variables_in
from shared.auth import ROLES
from shared.settings import SERVICES

__all__ = [
    "Actor",
    "Call",
    "Check",
    "Scenario",
    "ScenarioError",
    "SerialCheck",
    "Step",
    "load_scenario",
    "parse_scenario",
]

SERVICE_ALIASES = {
    "new": "new_ccer_registry",
    "legacy": "legacy_ccer_registry",
    "allowance": "allowance_registry",
    "review": "provincial_review",
    **{s: s for s in SERVICES},
}
METHODS = ("get", "post", "put", "delete")
_CALL_KEYS = {"as", "service", *METHODS, "body", "headers", "expect_status", "expect_codes", "match", "save"}
_STEP_KEYS = {"step", "id", "at", "expect", *_CALL_KEYS}
_CHECK_KEYS = {"that", "serials", "reconcile", "as", "service", "get", "expect_status", "expect_codes", "match", "save"}
_INVARIANT_KEYS = _CHECK_KEYS | {"since"}
_SERIAL_KEYS = {"as", "service", "accounts", "issued"}
_TOP_KEYS = {"name", "description", "vars", "actors", "invariants", "setup", "steps"}
_ACTOR_KEYS = {"role", "sub", "org", "province", "exchange"}


class ScenarioError(ValueError):
    """A malformed scenario file; the message names the file and the place."""


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    sub: str
    org: str | None = None
    province: str | None = None
    exchange: str | None = None


@dataclass(frozen=True)
class Call:
    """One REST request and what its answer must be."""

    actor: str
    service: str
    method: str
    path: str
    body: Any = None
    headers: dict[str, Any] = field(default_factory=dict)
    expect_status: int | None = None  # None: any 2xx
    expect_codes: list[str] | None = None
    match: Any = None
    save: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.method.upper()} {self.service} {self.path}"


@dataclass(frozen=True)
class SerialCheck:
    actor: str
    service: str
    accounts: list[Any]
    issued: dict[str, Any]


@dataclass(frozen=True)
class Check:
    """An expectation on state: a GET matched against ``match``, or a serial-range check."""

    that: str
    call: Call | None = None
    serials: SerialCheck | None = None
    since: str | None = None
    reconcile: bool = False  # `ccer reconcile` across the four registries finds no discrepancy

    def starts_at(self, step: Step) -> bool:
        """Whether this invariant is checked from ``step`` on (its ``since`` step, or the first step)."""
        return step.id == self.since if self.since is not None else step.number == 1


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    section: str  # "set-up" or "steps"
    id: str | None = None
    at: datetime | None = None
    call: Call | None = None
    expect: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    source: str
    actors: dict[str, Actor]
    vars: dict[str, Any]
    steps: list[Step]
    invariants: list[Check]


class _Loader(yaml.SafeLoader):
    """Safe YAML without the timestamp resolver: ``at: 2025-06-02T10:00:00+08:00`` and
    ``registered_at: 2024-06-15`` stay strings, exactly as they go over the wire."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    return parse_scenario(document, source=str(path))


def parse_scenario(document: Any, *, source: str = "<scenario>") -> Scenario:
    return _Parser(source).scenario(document)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.actors: dict[str, Actor] = {}
        self.defined: set[str] = set()
        self.ids: set[str] = set()
        self.last_at: datetime | None = None

    def fail(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {where}: {message}")

    def keys(self, where: str, node: Any, allowed: set[str], required: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise self.fail(where, f"expected a mapping, got {node!r}")
        unknown = sorted(set(node) - allowed)
        if unknown:
            raise self.fail(
                where, f"unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(sorted(allowed))})"
            )
        missing = [k for k in required if k not in node]
        if missing:
            raise self.fail(where, f"missing {', '.join(missing)}")
        return node

    def scenario(self, document: Any) -> Scenario:
        doc = self.keys("top level", document, _TOP_KEYS, ("name", "actors", "steps"))
        variables = doc.get("vars") or {}
        if not isinstance(variables, dict):
            raise self.fail("vars", "expected a mapping")
        self.defined = set(variables)
        for name, node in self.keys("actors", doc["actors"], set(doc["actors"] or {})).items():
            self.actors[name] = self.actor(name, node)
        if not self.actors:
            raise self.fail("actors", "at least one actor is needed")
        raw_invariants = doc.get("invariants") or []
        if not isinstance(raw_invariants, list):
            raise self.fail("invariants", "expected a list")
        invariants = [
            self.check(f"invariant {i + 1}", node, None, None, invariant=True) for i, node in enumerate(raw_invariants)
        ]
        steps: list[Step] = []
        for section, key in (("set-up", "setup"), ("steps", "steps")):
            nodes = doc.get(key) or []
            if not isinstance(nodes, list):
                raise self.fail(key, "expected a list of steps")
            for node in nodes:
                steps.append(self.step(len(steps) + 1, section, node))
                self.check_invariant_variables(steps[-1], invariants)
        for inv in invariants:
            if inv.since is not None and inv.since not in self.ids:
                raise self.fail(f"invariant {inv.that!r}", f"since: no step has id {inv.since!r}")
        return Scenario(
            name=str(doc["name"]),
            description=str(doc.get("description") or "").strip(),
            source=self.source,
            actors=self.actors,
            vars=dict(variables),
            steps=steps,
            invariants=invariants,
        )

    def actor(self, name: str, node: Any) -> Actor:
        where = f"actor {name}"
        node = self.keys(where, node, _ACTOR_KEYS, ("role",))
        if node["role"] not in ROLES:
            raise self.fail(where, f"unknown role {node['role']!r} (one of {', '.join(ROLES)})")
        for key in ("org", "province", "exchange", "sub"):
            if key in node and not isinstance(node[key], str):
                raise self.fail(where, f'{key} must be a string; quote it in YAML ("{node[key]}")')
        return Actor(
            name=name,
            role=node["role"],
            sub=node.get("sub") or name,
            org=node.get("org"),
            province=node.get("province"),
            exchange=node.get("exchange"),
        )

    def service(self, where: str, value: Any) -> str:
        if value not in SERVICE_ALIASES:
            raise self.fail(where, f"unknown service {value!r} (one of {', '.join(SERVICE_ALIASES)})")
        return SERVICE_ALIASES[value]

    def actor_name(self, where: str, value: Any) -> str:
        if value not in self.actors:
            raise self.fail(where, f"unknown actor {value!r} (actors: {', '.join(self.actors)})")
        return str(value)

    def uses(self, where: str, *values: Any) -> None:
        unbound = sorted(set().union(*(variables_in(v) for v in values)) - self.defined)
        if unbound:
            raise self.fail(
                where, "uses " + ", ".join(f"${{{u}}}" for u in unbound) + " before any vars/save defines it"
            )

    def call(
        self,
        where: str,
        node: dict[str, Any],
        actor: str | None,
        service: str | None,
        methods: tuple[str, ...] = METHODS,
    ) -> Call:
        chosen = [m for m in methods if m in node]
        if len(chosen) != 1:
            raise self.fail(where, f"exactly one of {', '.join(methods)} is needed")
        method = chosen[0]
        actor = self.actor_name(where, node["as"]) if "as" in node else actor
        if actor is None:
            raise self.fail(where, "as: which actor makes this request?")
        service = self.service(where, node["service"]) if "service" in node else service
        if service is None:
            raise self.fail(where, "service: which service answers this request?")
        path = node[method]
        if not isinstance(path, str) or not path.startswith("/"):
            raise self.fail(where, f"{method}: a path starting with / is needed, got {path!r}")
        status = node.get("expect_status")
        if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
            raise self.fail(where, f"expect_status must be an HTTP status, got {status!r}")
        codes = node.get("expect_codes")
        if codes is not None and not (isinstance(codes, list) and all(isinstance(c, str) for c in codes)):
            raise self.fail(where, "expect_codes must be a list of problem codes")
        if codes is not None and status is not None and status < 400:
            raise self.fail(where, "expect_codes only make sense with an error expect_status")
        save = node.get("save") or {}
        if not isinstance(save, dict) or not all(isinstance(v, str) and v.startswith("$") for v in save.values()):
            raise self.fail(where, "save must map names to paths like $.lot_id")
        headers = node.get("headers") or {}
        if not isinstance(headers, dict):
            raise self.fail(where, "headers must be a mapping")
        self.uses(where, path, node.get("body"), headers, node.get("match"))
        self.defined |= set(save)
        return Call(
            actor=actor,
            service=service,
            method=method,
            path=path,
            body=node.get("body"),
            headers=headers,
            expect_status=status,
            expect_codes=codes,
            match=node.get("match"),
            save=dict(save),
        )

    def check(self, where: str, node: Any, actor: str | None, service: str | None, *, invariant: bool = False) -> Check:
        node = self.keys(where, node, _INVARIANT_KEYS if invariant else _CHECK_KEYS, ("that",))
        where = f"{where} ({node['that']})"
        since = node.get("since")
        if since is not None and not isinstance(since, str):
            raise self.fail(where, "since must be a step id")
        if "reconcile" in node:
            if node["reconcile"] is not True or any(k in node for k in ("serials", "get", "match", "save")):
                raise self.fail(where, "reconcile: true stands alone (no get, match, save or serials)")
            return Check(that=str(node["that"]), reconcile=True, since=since)
        if "serials" in node:
            if "get" in node:
                raise self.fail(where, "an expectation is either a get or a serials check, not both")
            s = self.keys(f"{where} serials", node["serials"], _SERIAL_KEYS, ("accounts", "issued"))
            s_actor = (
                self.actor_name(where, s["as"])
                if "as" in s
                else (self.actor_name(where, node["as"]) if "as" in node else actor)
            )
            if s_actor is None:
                raise self.fail(where, "serials: as: which actor reads the holdings?")
            if not isinstance(s["accounts"], list) or not isinstance(s["issued"], dict):
                raise self.fail(where, "serials: accounts is a list of account ids, issued maps project → quantity")
            if not invariant:
                self.uses(where, s["accounts"], s["issued"])
            serials = SerialCheck(
                actor=s_actor,
                service=self.service(where, s.get("service", "new_ccer_registry")),
                accounts=s["accounts"],
                issued=s["issued"],
            )
            return Check(that=str(node["that"]), serials=serials, since=since)
        if invariant:
            # Invariants' variables are checked at their `since` step (check_invariant_variables).
            defined, self.defined = self.defined, {*self.defined, *variables_in(node)}
            try:
                call = self.call(where, node, actor, service, methods=("get",))
            finally:
                self.defined = defined
        else:
            call = self.call(where, node, actor, service, methods=("get",))
        return Check(that=str(node["that"]), call=call, since=since)

    def step(self, number: int, section: str, node: Any) -> Step:
        where = f"step {number}"
        node = self.keys(where, node, _STEP_KEYS, ("step",))
        where = f"step {number} ({node['step']})"
        step_id = node.get("id")
        if step_id is not None:
            if not isinstance(step_id, str) or step_id in self.ids:
                raise self.fail(where, f"id {step_id!r} must be a unique string")
            self.ids.add(step_id)
        at = self.instant(where, node["at"]) if "at" in node else None
        actor = self.actor_name(where, node["as"]) if "as" in node else None
        service = self.service(where, node["service"]) if "service" in node else None
        call = self.call(where, node, actor, service) if any(m in node for m in METHODS) else None
        if call is None and any(k in node for k in _CALL_KEYS - {"as", "service"}):
            raise self.fail(where, "body/match/save/expect_status need a request (get/post/put/delete)")
        expect_nodes = node.get("expect") or []
        if not isinstance(expect_nodes, list):
            raise self.fail(where, "expect must be a list")
        expect = [self.check(f"{where} expectation {i + 1}", e, actor, service) for i, e in enumerate(expect_nodes)]
        if call is None and at is None and not expect:
            raise self.fail(where, "a step needs a request, a clock move (at) or expectations")
        return Step(
            number=number, title=str(node["step"]), section=section, id=step_id, at=at, call=call, expect=expect
        )

    def instant(self, where: str, value: Any) -> datetime:
        try:
            at = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise self.fail(where, f"at: not an RFC 3339 instant: {value!r}") from exc
        if at.tzinfo is None:
            raise self.fail(where, f"at: {value!r} needs a UTC offset, e.g. +08:00")
        if self.last_at is not None and at < self.last_at:
            raise self.fail(
                where,
                f"at: {value} is before the previous step's {self.last_at.isoformat()}; the clock only moves forward",
            )
        self.last_at = at
        return at

    def check_invariant_variables(self, step: Step, invariants: list[Check]) -> None:
        for inv in invariants:
            if inv.starts_at(step):
                self.uses(
                    f"invariant {inv.that!r} (from step {step.number})",
                    inv.serials.accounts if inv.serials else None,
                    inv.serials.issued if inv.serials else None,
                    inv.call.path if inv.call else None,
                    inv.call.match if inv.call else None,
                )
