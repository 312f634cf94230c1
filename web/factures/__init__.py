"""« Mes factures » and online payment for the families; invoices, payments and reconciliation for the
agents of the finance service (issue 13)."""

from flask import Blueprint

bp = Blueprint("factures", __name__, template_folder="templates")
