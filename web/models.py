"""Import every web area's models so that the shared metadata is complete (Alembic, tests)."""

from engine.documents import Document
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
from web.actualites.models import NewsItem
from web.admin.models import AgentAbsence
from web.backoffice.models import SavedFilter
from web.famille.models import Activity, Child, ChildService, Enrolment, FamilyMember
from web.notifications.models import Notification

__all__ = [
    "AccountToken",
    "Activity",
    "AgentAbsence",
    "AgentGroup",
    "CaptchaChallenge",
    "Child",
    "ChildService",
    "Document",
    "Enrolment",
    "FamilyMember",
    "FamilyRecord",
    "LoginAttempt",
    "NewsItem",
    "Notification",
    "SavedFilter",
    "ServiceKey",
    "User",
    "user_family",
    "user_group",
]
