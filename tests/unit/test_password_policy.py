"""Password policy (CNIL 2022-100 case 2, OWASP ASVS 5.0 §6.2): pure checks and the WTForms validator."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from forms import password_policy
from forms.password_policy import (
    MSG_APP_WORD,
    MSG_COMMON,
    MSG_EMAIL,
    MSG_GUESSABLE,
    MSG_LOW_ENTROPY,
    MSG_TOO_LONG,
    MSG_TOO_SHORT,
    MSG_TOWN,
    MSG_USERNAME,
    POLICY_TEXT,
    StrongPassword,
    check_password,
    entropy_bits,
)

DATA = Path(password_policy.__file__).resolve().parent / "data"

# Random-looking strings, so that only the rule under test can refuse them.
LOWER_11 = "kdjfhqmzlrt"
LOWER_12 = "kdjfhqmzlrtp"
DIGITS_15 = "827193504618273"
DIGITS_16 = "8271935046182734"
PHRASE_64 = "Ma grand-mère Hélène cuisine 🍲 des crêpes au sarrasin le mardi !"
PHRASE_128 = (
    "Le héron 🐦 au long bec emmanché d'un long cou côtoyait une rivière ; l'onde était "
    "transparente ainsi qu'aux plus beaux jours ☀️."  # ☀️ is two code points (sun + U+FE0F)
)


def _read(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_sample_phrases_have_the_lengths_the_tests_rely_on() -> None:
    assert (len(LOWER_11), len(LOWER_12), len(DIGITS_15), len(DIGITS_16)) == (11, 12, 15, 16)
    assert (len(PHRASE_64), len(PHRASE_128)) == (64, 128)


@pytest.mark.parametrize(
    ("password", "bits", "expected"),
    [
        pytest.param(LOWER_11, 51.7, [MSG_TOO_SHORT], id="11-lowercase-too-short"),
        pytest.param(LOWER_12, 56.4, [], id="12-lowercase-accepted"),
        pytest.param(DIGITS_15, 49.8, [MSG_LOW_ENTROPY], id="15-digits-49.8-bits-refused"),
        pytest.param(DIGITS_16, 53.2, [], id="16-digits-53.2-bits-accepted"),
        pytest.param("Kdjfhqmzlrtp", 68.4, [], id="upper-and-lower-52-symbols"),
        pytest.param("kdjf;hqm zlrt", 76.5, [], id="specials-include-space-33"),
        pytest.param(PHRASE_64, 64 * math.log2(26 + 26 + 33 + 40), [], id="64-char-phrase-accents-emoji"),
        pytest.param(PHRASE_128, 128 * math.log2(26 + 26 + 33 + 40), [], id="128-char-phrase"),
        pytest.param(PHRASE_128 + "x", None, [MSG_TOO_LONG], id="129-chars-too-long"),
    ],
)
def test_cnil_length_and_entropy(password: str, bits: float | None, expected: list[str]) -> None:
    if bits is not None:
        assert round(entropy_bits(password), 1) == round(bits, 1)
    assert check_password(password) == expected


@pytest.mark.parametrize(
    ("password", "pool"),
    [
        ("", 0),
        ("abc", 26),
        ("ABC", 26),
        ("123", 10),
        ("!~ ", 33),
        ("aA1!", 95),
        ("ééé", 40),  # characters outside printable ASCII: one class of 40
        ("🐱🐶", 40),
        ("aé🐱", 66),
        ("a\tb", 66),  # a control character is "other" too
    ],
)
def test_entropy_counts_the_union_of_the_classes_present(password: str, pool: int) -> None:
    expected = len(password) * math.log2(pool) if pool else 0.0
    assert entropy_bits(password) == pytest.approx(expected)


def test_password_is_checked_exactly_as_typed() -> None:
    # A trailing space is a character: 11 letters + space reach 12 and add the specials class.
    assert check_password(LOWER_11) == [MSG_TOO_SHORT]
    assert check_password(LOWER_11 + " ") == []
    assert check_password(" " + LOWER_11) == []
    assert entropy_bits(LOWER_12 + " ") == pytest.approx(13 * math.log2(26 + 33))
    assert entropy_bits(LOWER_12 + " ") != entropy_bits(LOWER_12)
    # No Unicode normalisation: "é" typed as e + combining accent is two code points.
    composed, decomposed = "kdjfhqmzlr" + "\u00e9", "kdjfhqmzlr" + "e\u0301"
    assert check_password(composed) == [MSG_TOO_SHORT]
    assert MSG_TOO_SHORT not in check_password(decomposed)


def test_no_composition_rule() -> None:
    # Only lowercase letters and spaces: no digit, uppercase or symbol is demanded.
    assert check_password("tortue verte sous la pluie") == []


@pytest.mark.parametrize(
    "password",
    [
        # French entries, any case
        "AzertyUIOP123",
        "MonMotDePasse",
        "JeTaimeMonAmour",
        "OlympiqueDeMarseille",
        "Bonjour le Monde",
        "SOLEIL",
        "Chouchou",
        "bébé",
        "BEBE",
        "123456789123",  # nothing but digits: only an exact match can catch it
        # zxcvbn's list
        "PassWord",
        "QWERTYUIOP",
        # a listed word with a few digits or punctuation around it
        "Azertyuiop2026!",
        "!!Marseille13",
        "Nicolas1234!",
        "motdepasse 2026",
        "Mot de passe 2026",
        "Azertyuiop83920",  # up to 6 characters around the word, whatever they are
        "Mon.Mot.De.Passe!",  # separators inside the word are ignored too
        "JeTaime MonAmour 1",
        "Fraternité 1789",
        "Fraternite 1789",  # only "fraternité" is listed: accents are ignored on both sides
        "Égalité 1789",  # only "egalite" is listed
        "SECURITE!",
        "doudou 123456",
        "Marseille 1234567890!",
        "soleil !!! 2026 !!!",
    ],
)
def test_common_passwords_refused_case_insensitively(password: str) -> None:
    assert MSG_COMMON in check_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "soleil83920174",  # 8 characters around the word: left to entropy and zxcvbn
        "le soleil brille sur la mer",  # a common word inside a phrase is fine
        "azerty est un clavier français",
    ],
)
def test_common_words_inside_longer_passwords_are_not_blocklisted(password: str) -> None:
    assert check_password(password) == []


def test_blocklist_file_has_3000_unique_entries_and_the_french_list() -> None:
    common = _read(DATA / "common-passwords.txt")
    french = _read(DATA / "french-passwords.txt")
    assert len(set(common)) == len(common) >= 3000
    assert len(set(french)) >= 150
    assert set(french) <= set(common)
    assert {"azerty", "motdepasse", "soleil", "doudou", "chouchou", "marseille", "loulou"} <= set(common)
    assert {"nicolas", "jetaime", "bonjour", "coucou", "123456789", "azertyuiop"} <= set(common)


def test_blocklist_is_loaded_once_with_accent_free_forms() -> None:
    blocklist = password_policy.common_passwords()
    assert blocklist is password_policy.common_passwords()
    assert "azertyuiop" in blocklist
    # Each entry is also matched without its accents, even when the list has only the accented form.
    accented = [entry for entry in _read(DATA / "common-passwords.txt") if not entry.isascii()]
    assert len(accented) >= 10
    assert "fraternite" not in _read(DATA / "common-passwords.txt")
    assert {password_policy._fold(entry) for entry in accented} <= blocklist


@pytest.mark.parametrize(
    ("password", "inputs", "message"),
    [
        ("Mon jDupont secret 2026 !", {"username": "jdupont"}, MSG_USERNAME),
        ("xx Jeanne.Dupont 77 zz!", {"email": "jeanne.dupont@example.fr"}, MSG_EMAIL),
        ("j'habite ELANCOURT depuis 1999", {"town": "Élancourt"}, MSG_TOWN),
        ("saintgermainenlaye rocks 2026", {"town": "Saint-Germain-en-Laye"}, MSG_TOWN),
        ("Mon GUICHET préféré 2026", {}, MSG_APP_WORD),
    ],
)
def test_personal_information_refused(password: str, inputs: dict[str, str], message: str) -> None:
    assert message in check_password(password, **inputs)
    if inputs:  # the same password is accepted when the personal information differs
        assert check_password(password, username="autre", email="autre@example.fr", town="Trappes") == []


def test_short_user_name_email_local_part_and_town_are_not_looked_for() -> None:
    assert check_password("algorithme vert 2026 !", username="al", email="al@example.fr") == []
    assert check_password("le jeu du prince 2026 !", username="e.u", town="Eu") == []
    assert check_password("le jeu du prince 2026 !", username="jeu") == [MSG_USERNAME]


def test_too_long_password_reports_only_its_length() -> None:
    assert check_password("guichet " * 20, username="guichet") == [MSG_TOO_LONG]


@pytest.mark.parametrize("password", ["abcdefghijkl", "aaaaaaaaaaaa", "1234567890123456", "soleilsoleil"])
def test_zxcvbn_refuses_predictable_passwords_that_pass_the_cnil_formula(password: str) -> None:
    assert entropy_bits(password) >= 50
    assert check_password(password) == [MSG_GUESSABLE]


def test_zxcvbn_is_given_the_user_inputs() -> None:
    # The user name reversed is not "contained", but zxcvbn sees through it when told the user name.
    assert check_password("xtnopudjtrew") == []
    assert check_password("xtnopudjtrew", username="jdupontx") == [MSG_GUESSABLE]


def test_zxcvbn_sees_only_the_first_100_characters() -> None:
    predictable_prefix = "ab" * 50 + "Kq7!zR#m2vX$"
    assert check_password(predictable_prefix) == [MSG_GUESSABLE]
    assert check_password("Kq7!zR#m2vX$" + "ab" * 50) == []


def test_policy_text() -> None:
    assert POLICY_TEXT == (
        "12 caractères au minimum (128 au maximum). Pas de règle de composition : une phrase de "
        "plusieurs mots est idéale. Évitez les mots de passe courants et votre nom d'utilisateur."
    )


def test_messages_are_french() -> None:
    messages = [MSG_TOO_SHORT, MSG_TOO_LONG, MSG_LOW_ENTROPY, MSG_COMMON, MSG_USERNAME, MSG_EMAIL]
    messages += [MSG_TOWN, MSG_APP_WORD, MSG_GUESSABLE]
    messages = [str(message) for message in messages]  # lazy: French outside a request
    assert len(set(messages)) == len(messages)
    for message in messages:
        assert re.search(r"\b(mot de passe|caractères)\b", message, re.IGNORECASE), message
        assert message.endswith(".")


# --- the WTForms validator inside a real FlaskForm ---------------------------------------------------


@pytest.fixture
def form_app() -> Flask:
    application = Flask(__name__)
    application.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    Babel(application)  # the messages are lazy gettext, as in the portal (web/core/i18n.py)
    return application


TOWN_CALLS: list[int] = []


def _town() -> str:
    TOWN_CALLS.append(1)
    return "Élancourt"


class SignupForm(FlaskForm):
    username = StringField("Nom d'utilisateur")
    email = StringField("Courriel")
    password = PasswordField("Mot de passe", validators=[StrongPassword(town=_town)])


class ChangePasswordForm(FlaskForm):
    password = PasswordField("Nouveau mot de passe", validators=[StrongPassword(town="Trappes", join=False)])


def _post(form_app: Flask, form_class: type[FlaskForm], **data: str) -> FlaskForm:
    with form_app.test_request_context("/", method="POST", data=data):
        form = form_class()
        form.validate()
        return form


def test_validator_accepts_a_strong_password(form_app: Flask) -> None:
    form = _post(form_app, SignupForm, username="jdupont", email="j.dupont@example.fr", password=PHRASE_64)
    assert form.errors == {}


def test_validator_renders_minlength_but_no_maxlength(form_app: Flask) -> None:
    # No maxlength: browsers count UTF-16 code units and would cut a 128-code-point phrase with emoji.
    with form_app.test_request_context("/"):
        html = str(SignupForm().password())
    assert 'minlength="12"' in html
    assert "maxlength" not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "jdupont", "password": "Mon jdupont secret 2026 !"}, MSG_USERNAME),
        ({"email": "jeanne.dupont@example.fr", "password": "xx jeanne.dupont 77 zz!"}, MSG_EMAIL),
        ({"password": "j'habite élancourt depuis 1999"}, MSG_TOWN),
        ({"password": "kdjfhqmzlrt"}, MSG_TOO_SHORT),
        ({"password": "Azertyuiop2026!"}, MSG_COMMON),
        ({}, MSG_TOO_SHORT),
    ],
)
def test_validator_reads_the_other_fields_and_raises_french_messages(
    form_app: Flask, data: dict[str, str], message: str
) -> None:
    form = _post(form_app, SignupForm, **data)
    assert list(form.errors) == ["password"]
    assert str(message) in form.errors["password"][0]


def test_validator_calls_the_town_callable_lazily(form_app: Flask) -> None:
    TOWN_CALLS.clear()
    form = _post(form_app, SignupForm, password="j'habite élancourt depuis 1999")
    assert TOWN_CALLS == [1]
    assert form.errors["password"] == [MSG_TOWN]


def test_validator_joins_every_message_by_default(form_app: Flask) -> None:
    form = _post(form_app, SignupForm, username="azerty", password="azerty")
    assert form.errors["password"] == [f"{MSG_TOO_SHORT} {MSG_COMMON} {MSG_USERNAME}"]


def test_validator_without_the_other_fields_and_first_message_only(form_app: Flask) -> None:
    form = _post(form_app, ChangePasswordForm, password="trappes")
    assert form.errors["password"] == [MSG_TOO_SHORT]
    assert _post(form_app, ChangePasswordForm, password="tortue verte sous la pluie").errors == {}


def test_validator_accepts_callables_for_the_user_fields(form_app: Flask) -> None:
    class Form(FlaskForm):
        password = PasswordField(validators=[StrongPassword(lambda: "jdupont", lambda: "x@example.fr")])

    assert _post(form_app, Form, password="Mon jdupont secret 2026 !").errors == {"password": [MSG_USERNAME]}
