"""`guichet serve`: Guichet under gunicorn, the production server of a multi-process deployment.

gunicorn's master forks `workers` processes of `threads` threads each. With `preload` (the default)
the app is built once in the master before the fork (less memory, faster restarts); each worker
then drops the database connections inherited from the master so that no socket is shared. A
`kill -HUP` of the master replaces the workers gracefully (requests in flight finish); with
`--no-preload` it also loads new code. The in-process scheduler runs only when there is a single
worker and `SCHEDULER_ENABLED` is on; otherwise `guichet worker` runs the jobs.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, has_app_context
from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


def scheduler_runs_in_web(app: Flask, workers: int) -> bool:
    return bool(app.config["SCHEDULER_ENABLED"]) and workers == 1


class GuichetServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask | None, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        if self.application is None:  # without preload each worker builds its own app
            from web.app import create_app

            self.application = create_app()
        return self.application


def _post_fork(server: Any, worker: Any) -> None:
    """In the new worker: forget the master's database connections (never share a socket)."""
    from web.extensions import db

    app = worker.app.application
    if app is not None:
        with app.app_context():
            if db.engine is not None:
                db.engine.dispose(close=False)


def _post_worker_init(worker: Any) -> None:
    from web import scheduler

    app = worker.wsgi
    if scheduler_runs_in_web(app, int(worker.cfg.workers)):
        scheduler.start_background(app)


def serve(
    app: Flask,
    *,
    bind: str,
    workers: int,
    threads: int,
    preload: bool,
    timeout: int,
    graceful_timeout: int,
    pidfile: str | None,
) -> None:
    if has_app_context():
        # The workers would inherit it, and the sync worker would share its `g` between requests.
        raise RuntimeError("serve() runs outside any application context")
    if not scheduler_runs_in_web(app, workers) and app.config["SCHEDULER_ENABLED"]:
        log.warning(
            "%s workers: the in-process scheduler stays off; run `guichet worker` for timers and mail",
            workers,
        )
    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "preload_app": preload,
        "timeout": timeout,
        "graceful_timeout": graceful_timeout,
        "worker_class": "gthread" if threads > 1 else "sync",
        "post_fork": _post_fork,
        "post_worker_init": _post_worker_init,
        "proc_name": "guichet",
        "accesslog": None,  # Guichet writes its own request line (web/core/logs.py)
        "errorlog": "-",
        "loglevel": str(app.config["LOG_LEVEL"]).lower(),
        "pidfile": pidfile,
        # The reverse proxy's headers are read by ProxyFix (GUICHET_TRUSTED_PROXIES), not by gunicorn.
        "forwarded_allow_ips": "",
    }
    GuichetServer(app if preload else None, options).run()
