"""Errors raised by the engine; each carries a French message fit for the user."""

from __future__ import annotations

from .i18n import _


class EngineError(Exception):
    """Base class: `message` is French and safe to show."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DeployError(EngineError):
    """A BPMN file was refused; `errors` lists one French message per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(_("Le diagramme BPMN a été refusé : %(errors)s", errors=" ; ".join(errors)))
        self.errors = errors


class NotFound(EngineError):
    """The object does not exist, or the user may not know it exists."""

    status_code = 404


class NotAllowed(EngineError):
    """The user may see the object but not do this to it."""

    status_code = 403


class Conflict(EngineError):
    """The task or instance moved on since the user loaded it (already completed, locked, ...)."""

    status_code = 409


class ScriptError(EngineError):
    """A BPMN expression or script failed or was refused at run time.

    `instance_id` names the request it happened in, when known: the caller rolls back, then records
    the failure on it (engine/failures.py).
    """

    status_code = 500

    def __init__(self, message: str, instance_id: int | None = None) -> None:
        super().__init__(message)
        self.instance_id = instance_id
