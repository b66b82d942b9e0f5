"""The therapist app's JSON API, /api/app/v1, exactly as the spec's table."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, send_file, url_for
from werkzeug.exceptions import HTTPException

from ..appdb import generator
from ..appdb.services import ready_database
from ..errors import retry_after
from ..extensions import csrf, db, limiter
from .errors import ApiError, api_error
from .openapi import document
from .services import authenticated_device, note_contact, sign_in, sign_out

bp = Blueprint("api", __name__, url_prefix="/api/app/v1")
csrf.exempt(bp)
MAX_BODY = 16 * 1024


def _limit():
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_limit, key_func=lambda: request.remote_addr or "unknown",
              error_message="too_many_attempts")(bp)


@bp.before_request
def _refuse_oversized_bodies():
    if request.content_length is not None and request.content_length > MAX_BODY:
        return api_error(400, "invalid_request")
    return None


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    db.session.rollback()
    return api_error(error.status, error.code, **error.extra)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.code == 429:
        response = api_error(429, "too_many_attempts")
        response.headers.update(retry_after())
        return response
    if error.code == 404:
        return api_error(404, "not_found")
    if error.code == 405:
        return api_error(405, "method_not_allowed")
    return api_error(400, "invalid_request")


def _json_body(fields: dict[str, int]) -> dict[str, str]:
    """The request's JSON object with these string fields (name: maximum length), or 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request")
    values = {}
    for name, limit in fields.items():
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
            raise ApiError(400, "invalid_request")
        values[name] = value.strip()
    return values


def _database_info(sha256: str) -> dict:
    return {"version": sha256, "sha256": sha256, "url": url_for("api.database", _external=True)}


@bp.post("/session")
def create_session():
    body = _json_body({"email": 254, "code": 32, "device_name": 100, "platform": 40})
    device, token = sign_in(body["email"], body["code"], body["device_name"], body["platform"])
    therapist = device.therapist
    return jsonify(token=token, therapist={"id": therapist.id, "name": therapist.full_name},
                   database=_database_info(ready_database(therapist).sha256)), 201


@bp.get("/database")
def database():
    device = authenticated_device()
    if not device.database_ready:
        raise ApiError(409, "database_not_ready")
    note_contact(device)
    etag = device.database_sha256
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
        response.set_etag(etag)
        return response
    response = send_file(generator.path_for(device.group_id, device.therapist_id), mimetype="application/vnd.sqlite3",
                         as_attachment=True, download_name="therapeuten-datenbank.sqlite", etag=False,
                         max_age=0)
    response.set_etag(etag)
    return response


@bp.post("/sync")
def sync():
    device = authenticated_device()
    _json_body({"version": 64})
    if not device.database_ready:
        raise ApiError(409, "database_not_ready")
    note_contact(device)
    return jsonify(status="ok", database=_database_info(device.database_sha256))


@bp.delete("/session")
def delete_session():
    sign_out(authenticated_device(allow_locked=True))
    return "", 204


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(url_for("api.openapi", _external=True).rsplit("/openapi.json", 1)[0]))
