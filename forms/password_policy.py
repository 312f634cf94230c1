"""Password policy: CNIL recommendation 2022-100 (case 2) and OWASP ASVS 5.0 §6.2.

A password is accepted only when every rule below holds; `check_password` returns the messages of
the rules that fail, in the page's language (an empty list means accepted).

1. Length: 12 to 128 characters. The password is checked exactly as typed: no trimming, no Unicode
   normalisation, spaces, accents and emoji allowed; the length is the number of Unicode code points.
   No composition rule (no "one digit and one uppercase letter"): a phrase of several words is ideal.
2. Entropy, with the CNIL formula `L * log2(N) >= 50` bits (case 2: ≥ 50 bits because logins are
   throttled), L the length and N the size of the union of the character classes present:

   - lowercase a-z: 26;  uppercase A-Z: 26;  digits 0-9: 10;
   - specials: the 32 ASCII punctuation characters and the space: 33;
   - every other character (accented letters such as é or Ç, other scripts, emoji, non-ASCII spaces,
     control characters) counts as one more class of size 40. That is a deliberately low figure: the
     French accented letters alone, lower and upper case (àâäçéèêëîïôöùûüÿœæ…), are about 40, and
     anything richer (emoji, other scripts) only makes the estimate more conservative.

   So 12 lowercase letters give 56.4 bits (accepted), 15 digits 49.8 bits (refused), 16 digits
   53.2 bits (accepted).
3. Not a common password: `data/common-passwords.txt` (the 10,000 most frequent passwords of zxcvbn's
   list plus a hand-written French list, see `data/build_common_passwords.py`), compared
   case-insensitively and also without accents. The password is also refused when, after removing
   leading and trailing digits, punctuation and spaces (and the spaces, dots, hyphens and underscores
   inside), what is left (at least 3 characters) is in the list and the removed ends are weak: at most
   6 characters, or at most 4 digits (a year, a PIN) among punctuation, or digits that are a common
   password themselves. "Azertyuiop2026!", "!!Marseille13", "doudou 123456" and "soleil !!! 2026 !!!"
   are refused; "soleil83920174" (8 random digits around the word) is left to the other rules.
4. Not containing, case- and accent-insensitively and ignoring spaces and punctuation on both sides
   ("Saint-Germain-en-Laye" is found in "saintgermainenlaye"): the user name, the e-mail's local part
   and the town's name (each when it has at least 3 letters or digits), nor the word "guichet".
5. zxcvbn (4.5.0) score ≥ 3 ("safely unguessable", more than 10^8 guesses), fed with the user name,
   the e-mail, the town and "guichet" as user inputs. Only the first 100 characters are given to
   zxcvbn: it is slow on long inputs and raises past its `max_length` (72 by default, raised to 100
   here); a 100-character prefix is plenty for a verdict, so a password whose first 100 characters
   are trivial is refused whatever follows. Score 3 keeps the CNIL examples accepted when their
   characters are random (2,000 random draws each of 12 lowercase letters and of 16 digits all
   pass, so no tuning below 3 was needed); what zxcvbn refuses on top of the CNIL formula are
   keyboard walks, repetitions, sequences, dates and dictionary words ("abcdefghijkl",
   "aaaaaaaaaaaa", "1234567890123456", "soleilsoleil"). It only runs when rules 1-4 pass, so a
   password is not told it is both common and easy to guess.

`StrongPassword` is the WTForms validator; `POLICY_TEXT` the hint to show next to the field.
"""

from __future__ import annotations

import math
import string
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import ValidationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_ENTROPY_BITS = 50.0
MIN_ZXCVBN_SCORE = 3
ZXCVBN_MAX_CHARS = 100
OTHER_CLASS_SIZE = 40  # characters outside printable ASCII: accented letters, other scripts, emoji…
MAX_AFFIX_LENGTH = 6  # digits/punctuation around a common password still refused ("azerty2026!")
MAX_AFFIX_DIGITS = 4  # … or any length of punctuation around a year or a PIN ("soleil !!! 2026 !!!")
MIN_PERSONAL_LENGTH = 3  # shorter user names, e-mail local parts or towns ("Eu") are not looked for
MIN_CORE_LENGTH = 3  # a common password found inside digits/punctuation has at least 3 characters
APP_WORD = "guichet"

POLICY_TEXT = _l(
    "12 caractères au minimum (128 au maximum). Pas de règle de composition : une phrase de plusieurs "
    "mots est idéale. Évitez les mots de passe courants et votre nom d'utilisateur."
)

MSG_TOO_SHORT = _l("Le mot de passe doit comporter au moins %(count)d caractères.", count=MIN_LENGTH)
MSG_TOO_LONG = _l("Le mot de passe doit comporter au plus %(count)d caractères.", count=MAX_LENGTH)
MSG_LOW_ENTROPY = _l(
    "Ce mot de passe est trop simple pour sa longueur : allongez-le (par exemple 16 chiffres au "
    "lieu de 15) ou variez les caractères."
)
MSG_COMMON = _l("Ce mot de passe est trop courant : choisissez-en un autre.")
MSG_USERNAME = _l("Le mot de passe ne doit pas contenir votre nom d'utilisateur.")
MSG_EMAIL = _l("Le mot de passe ne doit pas contenir votre adresse électronique.")
MSG_TOWN = _l("Le mot de passe ne doit pas contenir le nom de la commune.")
MSG_APP_WORD = _l("Le mot de passe ne doit pas contenir le mot « guichet ».")
MSG_GUESSABLE = _l(
    "Ce mot de passe est trop facile à deviner : allongez-le ou mélangez lettres, chiffres et symboles."
)

_CLASSES: tuple[tuple[frozenset[str], int], ...] = (
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.digits), 10),
    (frozenset(string.punctuation + " "), 33),
)
_AFFIX_CHARS = string.digits + string.punctuation + " "
_INNER_SEPARATORS = str.maketrans("", "", " .-_")


def entropy_bits(password: str) -> float:
    """CNIL formula: length (code points) × log2(size of the union of the character classes used)."""
    if not password:
        return 0.0
    present = set(password)
    size = 0
    for members, class_size in _CLASSES:
        if present & members:
            size += class_size
            present -= members
    if present:  # anything left is outside the four ASCII classes
        size += OTHER_CLASS_SIZE
    return len(password) * math.log2(size)


def _fold(text: str) -> str:
    """Case- and accent-insensitive form, for comparisons only (never for the stored password)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _compact(text: str) -> str:
    return "".join(char for char in _fold(text) if char.isalnum())


@cache
def common_passwords() -> frozenset[str]:
    """The blocklist, loaded once: each entry casefolded, plus its accent-free form."""
    text = files(__package__).joinpath("data", "common-passwords.txt").read_text(encoding="utf-8")
    entries: set[str] = set()
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            entries.add(entry.casefold())
            entries.add(_fold(entry))
    return frozenset(entries)


def _weak_affix(affix: str, blocklist: frozenset[str]) -> bool:
    """Digits/punctuation around a word that add little: short, a year or PIN, or common themselves."""
    digits = "".join(char for char in affix if char.isdigit())
    return len(affix) <= MAX_AFFIX_LENGTH or len(digits) <= MAX_AFFIX_DIGITS or digits in blocklist


def is_common(password: str) -> bool:
    """In the blocklist, case-insensitively, or a listed word with a few digits/punctuation around it."""
    blocklist = common_passwords()
    for candidate in {password.casefold(), _fold(password)}:
        if candidate in blocklist:
            return True
        start = len(candidate) - len(candidate.lstrip(_AFFIX_CHARS))
        core = candidate[start:].rstrip(_AFFIX_CHARS)
        if not core or not _weak_affix(candidate[:start] + candidate[start + len(core) :], blocklist):
            continue
        for form in {core, core.translate(_INNER_SEPARATORS)}:
            if len(form) >= MIN_CORE_LENGTH and form in blocklist:
                return True
    return False


def _contains(password: str, needle: str) -> bool:
    """Case- and accent-insensitive, ignoring spaces and punctuation on both sides ("Saint-Cyr")."""
    compact = _compact(needle)
    return len(compact) >= MIN_PERSONAL_LENGTH and compact in _compact(password)


def _email_local_part(email: str) -> str:
    return email.rpartition("@")[0] if "@" in email else email


def check_password(password: str, *, username: str = "", email: str = "", town: str = "") -> list[str]:
    """The messages of the rules the password breaks, in the request's language (French outside a
    request); an empty list means it is accepted. zxcvbn's own feedback (English only) is never
    shown: only its score is used, the message is ours."""
    return [str(message) for message in _broken_rules(password, username, email, town)]


def _broken_rules(password: str, username: str, email: str, town: str) -> list[Any]:
    length = len(password)
    if length > MAX_LENGTH:
        return [MSG_TOO_LONG]  # nothing else is worth computing on an oversized input
    errors: list[Any] = []
    if length < MIN_LENGTH:
        errors.append(MSG_TOO_SHORT)
    elif entropy_bits(password) < MIN_ENTROPY_BITS:
        errors.append(MSG_LOW_ENTROPY)
    if is_common(password):
        errors.append(MSG_COMMON)
    username, email, town = username.strip(), email.strip(), town.strip()
    local_part = _email_local_part(email)
    if _contains(password, username):
        errors.append(MSG_USERNAME)
    if _contains(password, local_part):
        errors.append(MSG_EMAIL)
    if _contains(password, town):
        errors.append(MSG_TOWN)
    if _contains(password, APP_WORD):
        errors.append(MSG_APP_WORD)
    if not errors:
        inputs = [value for value in (username, email, local_part, town, APP_WORD) if value]
        result = zxcvbn(password[:ZXCVBN_MAX_CHARS], user_inputs=inputs, max_length=ZXCVBN_MAX_CHARS)
        if result["score"] < MIN_ZXCVBN_SCORE:
            errors.append(MSG_GUESSABLE)
    return errors


TextSource = str | Callable[[], str] | None


class StrongPassword:
    """WTForms validator applying `check_password` to the field.

    `username_field` and `email_field` name other fields of the same form whose data is read when the
    form has them (a form without such a field skips that check); each may instead be a callable
    returning the value (e.g. `lambda: current_user.username` on a change-password form), or None.
    `town` is the town's name or a callable returning it (so the web layer can pass the configured
    TOWN_NAME lazily). With `join=True` (default) every message is raised, joined by spaces;
    with `join=False` only the first one.
    """

    def __init__(
        self,
        username_field: TextSource = "username",
        email_field: TextSource = "email",
        town: TextSource = None,
        *,
        join: bool = True,
    ) -> None:
        self.username_field = username_field
        self.email_field = email_field
        self.town = town
        self.join = join
        # No "maxlength": browsers count UTF-16 code units, an emoji would count twice.
        self.field_flags = {"minlength": MIN_LENGTH}

    @staticmethod
    def _field_value(form: Any, source: TextSource) -> str:
        if source is None:
            return ""
        if callable(source):
            value = source()
        elif source in form:
            value = form[source].data
        else:
            return ""
        return value if isinstance(value, str) else ""

    def __call__(self, form: Any, field: Field) -> None:
        password = field.data if isinstance(field.data, str) else ""
        town = self.town() if callable(self.town) else self.town
        errors = check_password(
            password,
            username=self._field_value(form, self.username_field),
            email=self._field_value(form, self.email_field),
            town=town or "",
        )
        if errors:
            raise ValidationError(" ".join(errors) if self.join else errors[0])
