"""The engine's one door: the only engine import of `web/` and `forms/` (with engine.db and engine.errors).

Every function takes an open SQLAlchemy session and explicit users, only flushes, and leaves the
commit to the caller (a view, a CLI command, a scheduled job), so that one transaction holds the
business change, the instance, the inbox, the history and the outbox rows. The exceptions are
`fire_due_timers` and `drain_outbox`, which are jobs and own their transactions.

The door is a package of small modules, grouped by who uses them; this module re-exports them all,
so `from engine import api` then `api.start(...)` keeps working. docs/architecture.md lists them.
An import-linter contract (pyproject.toml) keeps `web` and `forms` from reaching past it.
"""

from __future__ import annotations

from .activites import *  # noqa: F403
from .activites import __all__ as _activites
from .backoffice import *  # noqa: F403
from .backoffice import __all__ as _backoffice
from .blocks import *  # noqa: F403
from .blocks import __all__ as _blocks
from .definitions import *  # noqa: F403
from .definitions import __all__ as _definitions
from .failures import *  # noqa: F403
from .failures import __all__ as _failures
from .formulaires import *  # noqa: F403
from .formulaires import __all__ as _formulaires
from .i18n import *  # noqa: F403
from .i18n import __all__ as _i18n
from .jobs import *  # noqa: F403
from .jobs import __all__ as _jobs
from .lookups import *  # noqa: F403
from .lookups import __all__ as _lookups
from .operations import *  # noqa: F403
from .operations import __all__ as _operations
from .personal_data import *  # noqa: F403
from .personal_data import __all__ as _personal_data
from .requests import *  # noqa: F403
from .requests import __all__ as _requests
from .scale import *  # noqa: F403
from .scale import __all__ as _scale
from .scenarios import *  # noqa: F403
from .scenarios import __all__ as _scenarios
from .service_requests import *  # noqa: F403
from .service_requests import __all__ as _service_requests
from .studio import *  # noqa: F403
from .studio import __all__ as _studio
from .tasks import *  # noqa: F403
from .tasks import __all__ as _tasks
from .views import *  # noqa: F403
from .views import __all__ as _views

__all__ = [
    *_activites,
    *_backoffice,
    *_blocks,
    *_definitions,
    *_failures,
    *_formulaires,
    *_i18n,
    *_jobs,
    *_lookups,
    *_operations,
    *_personal_data,
    *_requests,
    *_scale,
    *_scenarios,
    *_service_requests,
    *_studio,
    *_tasks,
    *_views,
]
