"""The shape of docs/shape.md and style.md, enforced: pure domains, a service layer that speaks in
domain errors through repositories, thin routes laid out one way, services that never import each
other, and a ``shared`` package that holds only the backbone."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 80


def _modules(service: str, layer: str) -> list[str]:
    base = ROOT / "services" / service / layer
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in base.rglob("*.py") if p.stem != "__init__"
    )


def _loaded_after_importing(modules: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(k for k in ('fastapi', 'starlette', 'sqlalchemy', 'aio_pika') if k in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            yield node.module or ""
            for alias in node.names:
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def _files(service: str, layer: str) -> list[Path]:
    return sorted((ROOT / "services" / service / layer).rglob("*.py"))


@pytest.mark.parametrize("service", SERVICES)
def test_a_domain_layer_loads_no_web_orm_or_broker_library(service: str) -> None:
    assert _loaded_after_importing(_modules(service, "domain")) == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_layer_loads_no_web_framework(service: str) -> None:
    loaded = _loaded_after_importing(_modules(service, "service_layer"))
    assert "fastapi" not in loaded and "starlette" not in loaded


@pytest.mark.parametrize("service", SERVICES)
def test_domain_and_service_layer_raise_domain_errors_not_http_problems(service: str) -> None:
    offenders = []
    for layer in ("domain", "service_layer"):
        for path in _files(service, layer):
            for name in _imports(path):
                if name.startswith(("shared.problems", "shared.webapp", "shared.auth", "fastapi", "starlette")):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


@pytest.mark.parametrize("service", SERVICES)
def test_handlers_reach_data_only_through_repositories(service: str) -> None:
    """No SQL in the service layer: only its unit of work (which attaches the repositories) may
    touch SQLAlchemy, and no handler uses the session."""
    offenders = []
    for path in _files(service, "service_layer"):
        text = path.read_text(encoding="utf-8")
        if path.name != "unit_of_work.py":
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in _imports(path) if n.startswith("sqlalchemy")]
        if "uow.session" in text or ".session." in text:
            offenders.append(f"{path.relative_to(ROOT)}: uses the session")
    assert offenders == []


@pytest.mark.parametrize("service", SERVICES)
def test_no_handler_or_route_is_longer_than_about_80_lines(service: str) -> None:
    long = []
    for layer in ("service_layer", "entrypoints"):
        for path in _files(service, layer):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_one_api_layout(service: str) -> None:
    base = ROOT / "services" / service
    for required in ("bootstrap.py", "entrypoints/api/__init__.py", "entrypoints/api/deps.py", "entrypoints/app.py"):
        assert (base / required).is_file(), f"{service}: {required} is missing"
    routers = sorted((base / "entrypoints" / "api" / "routers").glob("*.py"))
    assert routers, f"{service}: no entrypoints/api/routers package"
    for path in routers:
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"services.{service}.entrypoints.api.routers.{path.stem}")
        for name in dir(module):
            router = getattr(module, name)
            if type(router).__name__ == "APIRouter":
                assert router.tags, f"{path.relative_to(ROOT)}: {name} has no tags"
                assert router.prefix or name == "ops_router", f"{path.relative_to(ROOT)}: {name} has no prefix"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_bootstraps_with_fakes(service: str) -> None:
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    assert callable(bootstrap.bootstrap) and callable(bootstrap.definition)
    assert bootstrap.definition().name == service


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_another_service(service: str) -> None:
    others = [s for s in SERVICES if s != service]
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "services" / service).rglob("*.py")
        for name in _imports(path)
        if any(name.startswith(f"services.{o}") for o in others)
    ]
    assert offenders == []


def test_shared_holds_only_the_backbone() -> None:
    """No service, and no tooling (replay, command line, benchmarks): those talk to the services
    over REST and AMQP from their own package."""
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "shared").rglob("*.py")
        for name in _imports(path)
        if name.startswith(("services", "ccer_tools", "typer", "rich"))
    ]
    assert offenders == []
    assert not (ROOT / "shared" / "replay").exists()
    assert not (ROOT / "shared" / "cli.py").exists()


def test_routing_keys_are_written_once_in_the_event_catalogue() -> None:
    """An event is named by its class: a routing key spelled as a string anywhere else in the code is
    a second place to change (handler tables, emits and the topology all go through the class)."""
    from shared.events.contracts import EVENT_TYPES

    catalogue = ROOT / "shared" / "events" / "contracts.py"
    found = []
    for path in sorted([*(ROOT / "services").rglob("*.py"), *(ROOT / "shared").rglob("*.py")]):
        if path == catalogue or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in EVENT_TYPES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert found == [], "name the event class instead:\n" + "\n".join(found)


def _deliveries_by_routing_key(paths: list[Path]) -> list[str]:
    """Each ``deliver(...)`` call that names its event by a routing-key string (a literal, or a
    module-level name bound to one) or hands over a dict, rather than the event's contract class."""
    from shared.events.contracts import EVENT_TYPES

    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        keys = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value in EVENT_TYPES
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name != "deliver":
                continue
            arguments = [*node.args, *(k.value for k in node.keywords if k.arg != "envelope")]
            for arg in arguments:
                by_key = (isinstance(arg, ast.Constant) and arg.value in EVENT_TYPES) or (
                    isinstance(arg, ast.Name) and arg.id in keys
                )
                by_attribute = isinstance(arg, ast.Attribute) and arg.attr == "event_type"
                as_dict = isinstance(arg, ast.Dict | ast.DictComp) or (
                    isinstance(arg, ast.Call) and getattr(arg.func, "id", None) == "dict"
                )
                if by_key or by_attribute or as_dict:
                    found.append(f"{path.relative_to(path.parents[3])}:{node.lineno}: {ast.unparse(node)[:90]}")
    return found


def test_service_layer_tests_deliver_typed_events_not_routing_keys_and_dicts() -> None:
    """A test hands a service the other service's event as its contract class (``OffsetFrozenV1(...)``),
    so a contract change breaks the test where the payload is built; a routing-key string or a dict
    payload would keep passing against a contract that no longer exists."""
    paths = sorted((ROOT / "tests" / "unit" / "service_layer").glob("*.py"))
    assert paths
    found = _deliveries_by_routing_key(paths)
    assert found == [], "deliver the contract class (deliver(OffsetFrozenV1(...))) instead:\n" + "\n".join(found)
