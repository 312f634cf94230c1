"""`python -m benchmarks.autoassign_overhead on|off [--n N] [--repeat R]`: the benchmarks with the
assignment directory of web.admin registered (on, as in production) or unregistered (off), to see
what asking a group's policy at each new agent task costs."""

from __future__ import annotations

import sys

import web.admin  # noqa: F401  (registers the directory, as create_app does)
from engine import autoassign

from .__main__ import main

if __name__ == "__main__":
    mode, *rest = sys.argv[1:] or ["on"]
    if mode == "off":
        autoassign.set_directory(None)
    main(rest or ["--n", "100", "--repeat", "3"])
