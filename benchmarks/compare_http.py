"""Server CPU per démarche of two checkouts, in interleaved rounds of one run (`--base DIR`).

`python -m benchmarks.compare_http --base /tmp/guichet-before [--rounds 4] [--n 40] [--follow]
[--server serve]`

Each round starts the `guichet run` server of benchmarks/http_server.py twice, once with the code of
`--base` (a plain copy of another commit, put first on PYTHONPATH; `git archive COMMIT | tar -x -C
DIR`) and once with this checkout, and measures both the same way; the medians and the ratio are
printed, with (a) measured in the same run. Alternating the two sides spreads the machine's load over
both, which matters on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics

from . import spiff_only
from .common import measure
from .http_server import measure_http, percentile


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare_http", description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--follow", action="store_true")
    parser.add_argument("--server", choices=("run", "serve"), default="run", help="guichet run or serve")
    args = parser.parse_args()
    floor = measure(
        "a", "SpiffWorkflow alone", spiff_only.scenario_a(spiff_only.parse_spec()), n=100, repeat=3, warmup=10
    )
    sides: dict[str, list[float]] = {"before": [], "after": []}
    p95: dict[str, list[float]] = {"before": [], "after": []}
    kept = os.environ.get("PYTHONPATH")
    for _ in range(args.rounds):
        for side in ("before", "after"):
            if side == "before":
                os.environ["PYTHONPATH"] = args.base
            elif kept is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = kept
            result = measure_http(n=args.n, repeat=1, warmup=10, follow=args.follow, kind=args.server)
            sides[side].append(result.cpu_ms)
            steps = [v for values in result.timings.per_step.values() for v in values]
            p95[side].append(percentile(steps, 0.95) * 1000)
            print(
                f"  {side:6} {result.cpu_ms:7.2f} ms CPU/démarche, step p95 {p95[side][-1]:6.1f} ms",
                flush=True,
            )
    before, after = statistics.median(sides["before"]), statistics.median(sides["after"])
    a_ms = floor.cpu_ms
    print(f"(a) {a_ms:.2f} ms CPU/démarche")
    for side, value in (("before", before), ("after", after)):
        side_p95 = statistics.median(p95[side])
        print(f"{side:6}: {value:.2f} ms (d/a {value / a_ms:.1f}), step p95 {side_p95:.1f} ms")
    print(f"after/before = {after / before:.2f}")


if __name__ == "__main__":
    main()
