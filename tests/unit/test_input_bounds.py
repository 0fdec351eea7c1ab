"""Every input is bounded (api.md "limits"; the hardening issue): each request string of each service
has a maximum length, each number a maximum, each list a maximum number of items, each date a
documented range, all visible in the OpenAPI document. A new field without a bound fails here."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from shared.settings import SERVICES, Settings


def _app(service: str) -> FastAPI:
    module = importlib.import_module(f"services.{service}.entrypoints.app")
    return module.create_app(Settings(db_url="sqlite+aiosqlite:///:memory:"))  # type: ignore[no-any-return]


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _unbounded(schema: dict[str, Any], doc: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    """Every place under ``schema`` (a request body or parameter) that has no bound."""
    ref = schema.get("$ref")
    if ref is not None:
        if ref in seen:
            return
        seen = seen | {ref}
        yield from _unbounded(_resolve(schema, doc), doc, where, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _unbounded(sub, doc, where, seen)
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return
    if kind == "string":
        if schema.get("format") in ("date", "date-time"):
            if "1990-01-01" not in schema.get("description", "") or "2100-12-31" not in schema["description"]:
                yield f"{where}: a {schema['format']} without its documented range"
        elif "maxLength" not in schema:
            yield f"{where}: a string without maxLength"
    elif kind in ("integer", "number"):
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            yield f"{where}: a {kind} without maximum"
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            yield f"{where}: a {kind} without minimum"
    elif kind == "array":
        if "maxItems" not in schema:
            yield f"{where}: an array without maxItems"
        items = schema.get("items")
        if isinstance(items, dict):
            yield from _unbounded(items, doc, f"{where}[]", seen)
        for i, sub in enumerate(schema.get("prefixItems", [])):
            yield from _unbounded(sub, doc, f"{where}[{i}]", seen)
    elif kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from _unbounded(sub, doc, f"{where}.{name}", seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                yield f"{where}: an object with free keys without maxProperties"
            yield from _unbounded(extra, doc, f"{where}{{}}", seen)


def _request_inputs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                yield f"{method.upper()} {path} {param['in']} {param['name']}", param["schema"]
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method.upper()} {path} body ({media})", content["schema"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_string_number_list_and_date_of_a_service_is_bounded(service: str) -> None:
    doc = _app(service).openapi()
    unbounded = [problem for where, schema in _request_inputs(doc) for problem in _unbounded(schema, doc, where, set())]
    assert unbounded == []


def test_the_walk_finds_an_unbounded_field() -> None:
    """The check itself: a string, an integer, a list and a date without bounds are all reported."""
    doc = {
        "components": {
            "schemas": {
                "In": {
                    "type": "object",
                    "properties": {
                        "s": {"type": "string"},
                        "n": {"type": "integer", "minimum": 0},
                        "xs": {"type": "array", "items": {"type": "string", "maxLength": 3}},
                        "d": {"type": "string", "format": "date"},
                        "ok": {"type": "string", "maxLength": 9},
                    },
                }
            }
        }
    }
    found = list(_unbounded({"$ref": "#/components/schemas/In"}, doc, "body", set()))
    assert found == [
        "body.s: a string without maxLength",
        "body.n: a integer without maximum",
        "body.xs: an array without maxItems",
        "body.d: a date without its documented range",
    ]
