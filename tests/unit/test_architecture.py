"""Boundaries of style.md: domain layers are pure, services never import each other."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", SERVICES)
def test_a_domain_layer_loads_no_web_orm_or_broker_library(service: str) -> None:
    modules = sorted(p.stem for p in (ROOT / "services" / service / "domain").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module('services.{service}.domain.' + m)\n"
        "print(json.dumps(sorted(k for k in ('fastapi', 'starlette', 'sqlalchemy', 'aio_pika') if k in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_another_service(service: str) -> None:
    others = [s for s in SERVICES if s != service]
    offenders = []
    for path in (ROOT / "services" / service).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else ([a.name for a in node.names] if isinstance(node, ast.Import) else [])
            )
            for name in names:
                if any(name.startswith(f"services.{o}") for o in others):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
