"""Per-démarche CPU at several stored sizes, measured interleaved (issue 18.3).

`python -m benchmarks.sizes_kept build --sizes 100000,1000000 --dir D` fills one SQLite file per
size once (as `benchmarks.sizes` does: copies of a closed démarche and of an instance waiting for
the agent) and keeps it in D (≈ 13.5 GB for 1,000,000);
`python -m benchmarks.sizes_kept measure --sizes 100000,1000000 --dir D [--rounds 2]` then times 3 × 40 new
démarches (process CPU, median) on each file in turn, round after round, so that every size is
measured under the same load of the machine: `benchmarks.sizes` fills and measures one size after
the other, and on a shared machine a change of load between sizes looks like growth with size.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

from sqlalchemy import select

from web.accounts.models import User
from web.app import create_app
from web.extensions import db

from .guichet_app import Site, close_site, make_site
from .sizes import clone, one_demarche, waiting_instance


def build(directory: Path, size: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    site = make_site(directory, "sizes")
    with site.app.app_context():
        for _ in range(20):
            one_demarche(site)
        done, waiting = one_demarche(site), waiting_instance(site)
        session = db.new_session()
        begin = time.perf_counter()
        clone(session, done, size // 2, f"C{size}")
        clone(session, waiting, size - size // 2, f"W{size}")
        session.close()
        print(f"{size:,d} instances stored in {time.perf_counter() - begin:.0f} s", flush=True)
    close_site(site)


def measure(directory: Path) -> list[float]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'sizes.sqlite3'}",
            "SECRET_KEY": "benchmark-secret-key",
            "INSTANCE_PATH": str(directory / "instance"),
            "BASE_URL": "http://guichet.test",
            "MAIL_SERVER": None,
            "SCHEDULER_ENABLED": False,
            "TOWN_NAME": "Ville de Test",
            "CONTACT_EMAIL": "contact@ville.test",
        }
    )
    with app.app_context():
        session = db.session()
        users = {user.username: user for user in session.execute(select(User)).scalars()}
        for user in users.values():
            _ = user.groups
            session.expunge(user)
        db.session.remove()
        site = Site(app, users["famille"], users["accueil"])
        for _ in range(10):
            one_demarche(site)
        runs = []
        for _ in range(3):
            begin = time.process_time()
            for _ in range(40):
                one_demarche(site)
            runs.append((time.process_time() - begin) / 40 * 1000)
    close_site(site)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sizes_kept", description=__doc__)
    parser.add_argument("action", choices=["build", "measure"])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--dir", required=True, help="where the SQLite files are kept (≈ 13.5 GB for 1M)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(args.dir)
    if args.action == "build":
        for size in sizes:
            build(root / f"s{size}", size)
        return
    print(f"{'round':>5} {'stored instances':>17} {'CPU ms/démarche (median of 3 × 40)':>36}")
    for number in range(1, args.rounds + 1):
        for size in sizes:
            runs = measure(root / f"s{size}")
            print(f"{number:5d} {size:17,d} {statistics.median(runs):36.2f}", flush=True)


if __name__ == "__main__":
    main()
