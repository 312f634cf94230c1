"""Rebuild common-passwords.txt: zxcvbn's most frequent passwords plus the hand-written French list.

Run from the project root after editing french-passwords.txt or changing TOP:

    .venv/bin/python forms/data/build_common_passwords.py
"""

from __future__ import annotations

from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

HERE = Path(__file__).resolve().parent
TOP = 10_000  # entries taken from zxcvbn's "passwords" list (ordered by frequency in public leaks)
HEADER = (
    "# Mots de passe courants refusés par forms/password_policy.py (comparaison insensible à la casse).\n"
    f"# Généré par build_common_passwords.py : {TOP} premiers mots de passe de zxcvbn 4.5.0"
    " + french-passwords.txt.\n"
)


def read_list(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def build() -> list[str]:
    entries = [*FREQUENCY_LISTS["passwords"][:TOP], *read_list(HERE / "french-passwords.txt")]
    return list(dict.fromkeys(entry.casefold() for entry in entries))


def main() -> None:
    entries = build()
    (HERE / "common-passwords.txt").write_text(HEADER + "\n".join(entries) + "\n", encoding="utf-8")
    print(f"{len(entries)} entries written to {HERE / 'common-passwords.txt'}")


if __name__ == "__main__":
    main()
