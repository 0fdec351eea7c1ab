"""The route tables of the four services, read from their FastAPI apps, and the roles each route's
dependencies admit (no I/O: the apps are built, never started)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from shared.api_deps import AccessTable
from shared.auth import ROLES, get_principal
from shared.settings import Settings

__all__ = ["SERVICES", "Route", "access_table", "app_of", "routes_of"]

SERVICES = ("new_ccer_registry", "legacy_ccer_registry", "allowance_registry", "provincial_review")


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str
    admits: frozenset[str] | None  # the roles its dependencies admit; None: no token asked for

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    def __str__(self) -> str:
        return f"{self.service}: {self.key}"


@cache
def app_of(service: str) -> FastAPI:
    app: FastAPI = importlib.import_module(f"services.{service}.entrypoints.app").create_app(Settings())
    return app


def access_table(service: str) -> AccessTable:
    table: AccessTable = importlib.import_module(f"services.{service}.entrypoints.api.access").ACCESS
    return table


def _admitted(dependant: Dependant) -> frozenset[str] | None:
    """The roles the route's ``require(...)`` dependencies admit (all of them when it only asks for
    a valid token), or None when nothing asks for a token."""
    admitted: frozenset[str] | None = None
    for sub in _walk(dependant):
        if sub.call is get_principal:
            admitted = admitted if admitted is not None else frozenset(ROLES)
        elif getattr(sub.call, "__name__", "").startswith("require_"):
            roles = frozenset(inspect.getclosurevars(sub.call).nonlocals["allowed"])
            admitted = roles if admitted is None else admitted & roles
    return admitted


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)


def routes_of(service: str) -> list[Route]:
    found: list[Route] = []
    for context in iter_route_contexts(app_of(service).routes):
        original: Any = context.original_route
        admits = _admitted(original.dependant) if isinstance(original, APIRoute) else None
        for method in sorted((context.methods or set()) - {"HEAD"}):
            found.append(Route(service, method, str(context.path), admits))
    return found
