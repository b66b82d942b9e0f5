"""The blueprint every check-in page of the portal registers on (endpoint names "checkin.…")."""

from flask import Blueprint

bp = Blueprint("checkin", __name__, url_prefix="/kurse")
