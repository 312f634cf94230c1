"""Database bytes per démarche, table by table (issue 18.3): `python -m benchmarks.bytes_per_table [--n 200]`.

One SQLite file (engine.api, as scenario (b)); 20 démarches of warm-up, then N accepted démarches and N
instances left waiting for the agent. SQLite's `dbstat` gives the bytes in use of every table and
index (page size minus unused space) after a checkpoint; the difference divided by N is printed.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from sqlalchemy import text

from web.extensions import db

from .guichet_app import close_site, make_site
from .sizes import one_demarche, waiting_instance


def bytes_in_use() -> dict[str, int]:
    with db.engine.connect() as conn:  # type: ignore[union-attr]
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        rows = conn.execute(text("SELECT name, sum(pgsize - unused) FROM dbstat GROUP BY name")).all()
    return {name: int(size) for name, size in rows}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bytes_per_table", description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="guichet-bytes-") as tmp:
        site = make_site(Path(tmp), "bytes")
        with site.app.app_context():
            for _ in range(20):
                one_demarche(site)
            start = bytes_in_use()
            for _ in range(args.n):
                one_demarche(site)
            closed = bytes_in_use()
            for _ in range(args.n):
                waiting_instance(site)
            waiting = bytes_in_use()
        close_site(site)
    names = set(start) | set(closed) | set(waiting)
    rows = [
        ((closed.get(k, 0) - start.get(k, 0)) / args.n, (waiting.get(k, 0) - closed.get(k, 0)) / args.n, k)
        for k in names
    ]
    print(f"{'table or index':45} {'per démarche':>13} {'per waiting':>12}")
    for per_closed, per_waiting, name in sorted(rows, reverse=True):
        if per_closed >= 20 or per_waiting >= 20:
            print(f"{name:45} {per_closed:13,.0f} {per_waiting:12,.0f}")
    total_closed, total_waiting = sum(r[0] for r in rows), sum(r[1] for r in rows)
    print(f"{'total':45} {total_closed:13,.0f} {total_waiting:12,.0f}")


if __name__ == "__main__":
    main()
