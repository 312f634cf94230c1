"""The door hands out frozen views, never ORM rows (issue 9): checked on every name `engine.api` exports."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any

from engine import api
from engine.db import Base

MAPPED = frozenset(mapper.class_ for mapper in Base.registry.mappers)


def _types_in(hint: Any) -> set[type]:
    """Every class named by an annotation, through unions, generics, tuples and Callable."""
    if isinstance(hint, list):  # the parameters of a Callable
        return set().union(*(_types_in(arg) for arg in hint))
    found = {hint} if isinstance(hint, type) else set()
    for arg in typing.get_args(hint):
        found |= _types_in(arg)
    return found


def _door_functions() -> dict[str, Any]:
    return {name: obj for name in api.__all__ if inspect.isfunction(obj := getattr(api, name))}


def test_the_engine_tables_are_mapped_so_the_checks_below_can_fail():
    names = {cls.__name__ for cls in MAPPED}
    assert {"ProcessInstance", "HumanTask", "HistoryEvent", "OutboxMessage", "Document"} <= names


def test_no_name_exported_by_the_door_is_a_mapped_class():
    exported = [name for name in api.__all__ if isinstance(obj := getattr(api, name), type) and obj in MAPPED]
    assert exported == []


def test_no_door_function_returns_an_orm_class():
    returning_rows = {}
    for name, function in _door_functions().items():
        returned = typing.get_type_hints(function).get("return")
        rows = sorted(cls.__name__ for cls in _types_in(returned) & MAPPED)
        if rows:
            returning_rows[name] = rows
    assert returning_rows == {}


def test_the_views_the_door_exports_are_frozen_dataclasses():
    views = ["InstanceView", "DefinitionView", "InboxTask", "TaskView", "DocumentView", "RequestView"]
    views += ["QueueRow", "HistoryEntry", "OutgoingMessage", "Draft"]
    for name in views:
        view = getattr(api, name)
        assert dataclasses.is_dataclass(view), name
        assert view.__dataclass_params__.frozen, name  # type: ignore[attr-defined]


def test_the_service_context_shows_the_request_through_properties_and_a_view_not_its_row():
    """What service operations (web/<area>/operations.py) receive: its public fields and properties
    name no mapped class; the row stays private to the engine (`_row`)."""
    context = api.ServiceContext
    hints = typing.get_type_hints(context)
    public = {name: hint for name, hint in hints.items() if not name.startswith("_")}
    assert not {name for name, hint in public.items() if _types_in(hint) & MAPPED}
    properties = {
        name: typing.get_type_hints(member.fget).get("return")
        for name, member in inspect.getmembers(context)
        if isinstance(member, property) and not name.startswith("_")
    }
    assert "view" in properties
    assert not {name for name, hint in properties.items() if _types_in(hint) & MAPPED}
    assert _types_in(hints["_row"]) & MAPPED  # the check can fail: the private row is mapped
