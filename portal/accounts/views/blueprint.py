"""The blueprint every page of a person's own account registers on (endpoint names "account.…")."""

from flask import Blueprint

bp = Blueprint("account", __name__)
