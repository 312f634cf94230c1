"""Import every web area's models so that the shared metadata is complete (Alembic, tests)."""

from .accounts.models import AgentGroup, User, user_group

__all__ = ["AgentGroup", "User", "user_group"]
