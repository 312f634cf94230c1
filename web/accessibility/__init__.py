"""« Accessibilité »: the accessibility statement (loi 2005-102 art. 47, RGAA 4.1), linked in every footer."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template

bp = Blueprint("accessibility", __name__, template_folder="templates")

# The date the statement was written (and the automatic checks last reviewed). Change it with the text.
STATEMENT_DATE = date(2026, 11, 27)


@bp.get("/accessibilite")
def statement() -> str:
    return render_template("accessibility/statement.html", statement_date=STATEMENT_DATE)
