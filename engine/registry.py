"""The registry of BPMN service operations: `@service("operation_id")` and the table it fills.

The web areas hold the operations (`web/<area>/operations.py`, one function per BPMN operation id,
its first argument a `engine.services.ServiceContext`); `web.app.discover_operations` imports
every such module once. The linter refuses a diagram that calls an operation not registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ServiceFunc = Callable[..., Any]


@dataclass(frozen=True)
class ServiceOperation:
    name: str
    func: ServiceFunc
    description: str


SERVICES: dict[str, ServiceOperation] = {}


def service(name: str) -> Callable[[ServiceFunc], ServiceFunc]:
    """Register a function as the BPMN service operation `name` (first argument: ServiceContext)."""

    def decorator(func: ServiceFunc) -> ServiceFunc:
        SERVICES[name] = ServiceOperation(name, func, (func.__doc__ or "").strip())
        return func

    return decorator
