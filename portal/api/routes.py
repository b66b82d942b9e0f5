"""The therapist app's JSON API, /api/app/v1, exactly as the spec's table."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify, request, send_file, url_for
from werkzeug.exceptions import HTTPException

from .. import limits
from ..codes.self_service import request_by_therapist
from ..devices import services as devices
from ..errors import answer_errors_under
from ..extensions import csrf, db, limiter
from ..help.links import help_page_url
from .errors import ApiError, api_error, app_error, http_error
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/app/v1")
csrf.exempt(bp)


# one budget per client address across the whole API (not one per endpoint)
limiter.shared_limit(limits.setting("API_RATE_LIMIT"), scope="app-api", key_func=limits.client_address,
                     error_message="too_many_attempts")(bp)


@bp.errorhandler(ApiError)
@bp.errorhandler(devices.Refused)
def _refused(error):
    db.session.rollback()
    return api_error(error.code, **error.extra)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return http_error(error.code)


# every error under /api/ answers in JSON, an unknown URL too
bp.record_once(lambda state: answer_errors_under(state.app, "/api/", app_error))


def _json_body(fields: dict[str, int]) -> dict[str, str]:
    """The request's JSON object with these string fields (name: maximum length), or 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("invalid_request")
    values = {}
    for name, limit in fields.items():
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
            raise ApiError("invalid_request")
        values[name] = value.strip()
    return values


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _database_info(sha256: str) -> dict:
    return {"version": sha256, "sha256": sha256, "url": url_for("api.database", _external=True)}


@bp.post("/session")
def create_session():
    body = _json_body({"email": 254, "code": 32, "device_name": 100, "platform": 40})
    device, token, database = devices.sign_in(body["email"], body["code"], body["device_name"], body["platform"])
    therapist = device.therapist
    return jsonify(token=token, therapist={"id": therapist.id, "name": therapist.full_name},
                   database=_database_info(database.sha256)), 201


CODE_REQUESTED = ("Wenn diese Adresse für die Therapeuten-App freigeschaltet ist, kommt in wenigen Minuten eine "
                  "E-Mail mit einem neuen Zugangscode. Sehen Sie bitte auch im Spam-Ordner nach.")


@bp.post("/code")
def request_code():
    """"Code anfordern": the same answer, in the same time, for every address, whether a code was
    sent or not (see ``codes.self_service``)."""
    started = time.monotonic()
    email = _json_body({"email": 254})["email"]
    if "@" not in email:
        raise ApiError("invalid_request")
    request_by_therapist(email)
    time.sleep(max(0.0, current_app.config["APP_CODE_ANSWER_SECONDS"] - (time.monotonic() - started)))
    return jsonify(status="accepted", message=CODE_REQUESTED,
                   help=help_page_url("code-kommt-nicht-an", external=True)), 202


@bp.get("/database")
def database():
    device = devices.authenticate(_bearer_token())
    path = devices.sync(device)
    etag = device.database_sha256
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
        response.set_etag(etag)
        return response
    response = send_file(path, mimetype="application/vnd.sqlite3", as_attachment=True,
                         download_name="therapeuten-datenbank.sqlite", etag=False, max_age=0)
    response.set_etag(etag)
    return response


@bp.post("/sync")
def sync():
    device = devices.authenticate(_bearer_token())
    _json_body({"version": 64})
    devices.sync(device)
    return jsonify(status="ok", database=_database_info(device.database_sha256))


@bp.delete("/session")
def delete_session():
    devices.sign_out(devices.authenticate(_bearer_token(), allow_locked=True))
    return "", 204


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(url_for("api.openapi", _external=True).rsplit("/openapi.json", 1)[0]))
