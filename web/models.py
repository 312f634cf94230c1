"""Import every web area's models so that the shared metadata is complete (Alembic, tests)."""

from web.accounts.models import (
    AccountToken,
    AgentGroup,
    CaptchaChallenge,
    FamilyRecord,
    LoginAttempt,
    ServiceKey,
    User,
    user_family,
    user_group,
)
from web.backoffice.models import SavedFilter

__all__ = [
    "AccountToken",
    "AgentGroup",
    "CaptchaChallenge",
    "FamilyRecord",
    "LoginAttempt",
    "SavedFilter",
    "ServiceKey",
    "User",
    "user_family",
    "user_group",
]
