"""Import every web area's models so that the shared metadata is complete (Alembic, tests)."""

import engine.api  # noqa: F401  (registers the engine's tables, the documents' included)
from web.accounts.models import (
    AccountToken,
    AgentGroup,
    CaptchaChallenge,
    LoginAttempt,
    ServiceKey,
    User,
    user_family,
    user_group,
)
from web.actualites.models import NewsItem
from web.admin.models import AgentAbsence
from web.backoffice.models import SavedFilter
from web.famille.models import Activity, Child, ChildService, Enrolment, FamilyMember, FamilyRecord
from web.notifications.models import Notification
from web.structures.models import Closure, Facility, OpeningRange
from web.studio.models import StudioAudit, StudioDraft

__all__ = [
    "AccountToken",
    "Activity",
    "AgentAbsence",
    "AgentGroup",
    "CaptchaChallenge",
    "Child",
    "ChildService",
    "Closure",
    "Enrolment",
    "Facility",
    "FamilyMember",
    "FamilyRecord",
    "LoginAttempt",
    "NewsItem",
    "Notification",
    "OpeningRange",
    "SavedFilter",
    "ServiceKey",
    "StudioAudit",
    "StudioDraft",
    "User",
    "user_family",
    "user_group",
]
