"""What every scenario shares: the démarche, its data and the timing loop."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BPMN_PATH = ROOT / "workflows" / "changement_adresse.bpmn"
DEMARCHE = "changement_adresse"
ADDRESS = {
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_ligne2": "Bâtiment B",
    "code_postal": "78140",
    "commune": "Vélizy-Villacoublay",
}
DECISION = {"decision": "acceptee", "motif": ""}
#: What the web form also needs: a date d'effet and a justificatif de domicile (a minimal PDF).
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"


def web_proof() -> dict[str, object]:
    import io

    from forms.dates import today_in_france

    return {
        "date_effet": today_in_france().isoformat(),
        "justificatif_domicile": (io.BytesIO(PDF), "facture.pdf"),
    }


#: One démarche: runs it and returns the seconds spent in its measured part.
Demarche = Callable[[], float]


@dataclass
class Result:
    """The repetitions of one scenario: each the seconds spent on `n` démarches."""

    key: str
    label: str
    n: int
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def per_second(self) -> float:
        return self.n / self.median_seconds

    @property
    def mean_ms(self) -> float:
        return self.median_seconds / self.n * 1000

    @property
    def cpu_ms(self) -> float:
        """CPU time of the process per démarche (median repetition), unmeasured glue included."""
        return statistics.median(self.cpu_seconds) / self.n * 1000


def measure(key: str, label: str, one: Demarche, *, n: int, repeat: int, warmup: int) -> Result:
    """Run `warmup` démarches unmeasured, then `repeat` repetitions of `n` measured ones.

    Wall-clock time (perf_counter) is what the figures use; the process CPU time is kept beside it
    because it is steadier when other jobs share the machine.
    """
    for _ in range(warmup):
        one()
    result = Result(key, label, n)
    for _ in range(repeat):
        cpu = time.process_time()
        result.seconds.append(sum(one() for _ in range(n)))
        result.cpu_seconds.append(time.process_time() - cpu)
    return result


def timed(func: Callable[[], object]) -> float:
    """The seconds `func` takes."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def median_time(func: Callable[[], object], times: int) -> float:
    """The median seconds of `times` calls of `func` (after one unmeasured call)."""
    func()
    return statistics.median(timed(func) for _ in range(times))
