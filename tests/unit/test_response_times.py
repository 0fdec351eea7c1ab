"""Every instant in every response of every service is rendered in China Standard Time, +08:00
(api.md "time"; found by hand: a provincial review's ``period.deadline`` came back in UTC). The walk
goes through each route's response models, nested models included, and renders each datetime field
the way the response does: a field that would show UTC fails here."""

from __future__ import annotations

import types
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, TypeAdapter

from shared.settings import SERVICES
from tests.unit.test_input_bounds import _app

UTC_INSTANT = datetime(2024, 9, 2, 1, 30, tzinfo=UTC)


def _types_in(annotation: Any) -> Iterator[Any]:
    """The types an annotation is made of (unions, containers and Annotated taken apart)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _types_in(get_args(annotation)[0])
    elif origin in (Union, types.UnionType) or origin is not None:
        for arg in get_args(annotation):
            yield from _types_in(arg)
    else:
        yield annotation


def _datetime_fields(model: type[BaseModel], where: str, seen: set[type]) -> Iterator[tuple[str, Any]]:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        annotation = field.rebuild_annotation()
        for kind in _types_in(annotation):
            if kind is datetime:
                yield f"{where}.{name}", annotation
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                yield from _datetime_fields(kind, f"{where}.{name}", seen)


def _response_models(route: APIRoute) -> Iterator[type[BaseModel]]:
    candidates = [route.response_model] + [r.get("model") for r in route.responses.values()]
    for candidate in candidates:
        for kind in _types_in(candidate):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                yield kind


def _rendered(annotation: Any) -> Any:
    try:
        return TypeAdapter(annotation).dump_python(UTC_INSTANT, mode="json")
    except Exception as exc:  # a datetime inside a container: not rendered as a field of its own
        return f"not renderable alone: {exc}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_datetime_a_service_answers_with_is_rendered_in_plus_0800(service: str) -> None:
    fields = {
        where: annotation
        for context in iter_route_contexts(_app(service).routes)
        if isinstance(route := context.original_route, APIRoute)
        for model in _response_models(route)
        for where, annotation in _datetime_fields(model, f"{context.path} {model.__name__}", set())
    }
    assert fields, "no datetime field found: the walk is broken"
    in_utc = {where: _rendered(a) for where, a in fields.items() if _rendered(a) != "2024-09-02T09:30:00+08:00"}
    assert in_utc == {}
