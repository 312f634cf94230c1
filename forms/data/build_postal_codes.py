"""Rebuild codes-postaux.json.gz: French postal code → communes, from two Etalab/BAN npm packages.

Sources (both MIT licence, data from INSEE's Code officiel géographique and La Poste/DGFiP):
- ``@etalab/decoupage-administratif`` 6.0.0 (``data/communes.json``): current communes with their
  postal codes, municipal arrondissements (Paris, Lyon, Marseille), overseas départements and
  collectivities (971-978, 986-988); delegated and associated communes take the codes of their
  chef-lieu, since addresses keep using their names;
- ``codes-postaux`` 4.1.2 (``codes-postaux.json``): the postal code / commune pairs of the
  « base officielle des codes postaux » with the libellé d'acheminement (« VELIZY VILLACOUBLAY »).

Run from the project root (``make postal-data`` does the same):

    npm pack @etalab/decoupage-administratif@6.0.0 codes-postaux@4.1.2   # in a scratch folder
    .venv/bin/python forms/data/build_postal_codes.py SCRATCH/etalab-decoupage-administratif-6.0.0.tgz \
        SCRATCH/codes-postaux-4.1.2.tgz

The output maps each code to ``[names shown to the family, other accepted spellings]``.
"""

from __future__ import annotations

import gzip
import json
import sys
import tarfile
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from forms.postal import normalise_commune

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "codes-postaux.json.gz"
SOURCES = "@etalab/decoupage-administratif 6.0.0 + codes-postaux 4.1.2 (MIT)"


def member(archive: Path, name: str) -> Any:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile(f"package/{name}")
        if handle is None:
            raise SystemExit(f"{name} is missing from {archive}")
        return json.load(handle)


def build(decoupage: Path, codes_postaux: Path) -> dict[str, list[list[str]]]:
    shown: dict[str, set[str]] = defaultdict(set)
    aliases: dict[str, set[str]] = defaultdict(set)
    communes = member(decoupage, "data/communes.json")
    codes_of = {c["code"]: c.get("codesPostaux", []) for c in communes if c["type"] == "commune-actuelle"}
    for commune in communes:
        codes = commune.get("codesPostaux") or codes_of.get(commune.get("chefLieu", ""), [])
        for code in codes:
            shown[code].add(commune["nom"])
    for row in member(codes_postaux, "codes-postaux.json"):
        shown[row["codePostal"]].add(row["nomCommune"])
        aliases[row["codePostal"]].add(row["libelleAcheminement"])
    table: dict[str, list[list[str]]] = {}
    for code in sorted(shown):
        names = sorted(shown[code])
        known = {normalise_commune(name) for name in names}
        extra = sorted({a for a in aliases[code] if normalise_commune(a) not in known})
        table[code] = [names, extra]
    return table


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    table = build(Path(argv[0]), Path(argv[1]))
    payload = {"source": SOURCES, "codes": table}
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    with OUTPUT.open("wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    print(f"{OUTPUT.name}: {len(table)} postal codes, {OUTPUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
