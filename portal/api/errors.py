"""JSON errors of the app API: {"error": "<code>", "message": "<German text>", "help": "<url>"}."""

from __future__ import annotations

from flask import jsonify

from ..errors import retry_after
from ..help.links import help_page_url

# code: (HTTP status, German message, help section)
ERRORS = {
    "invalid_request": (400, "Die Anfrage ist unvollständig oder fehlerhaft.", None),
    "invalid_code": (401, "Der Zugangscode ist ungültig oder abgelaufen. Bitte fordern Sie in Ihrer Praxis einen "
                          "neuen Code an.", ("code-kommt-nicht-an", None)),
    "invalid_token": (401, "Diese Anmeldung ist nicht mehr gültig. Bitte melden Sie sich mit einem neuen Zugangscode "
                           "an.", ("neues-geraet", None)),
    "revoked": (401, "Ihre Berechtigung wurde entzogen. Die Daten auf diesem Gerät werden gelöscht.",
                ("abmelden", None)),
    "app_disabled": (403, "Die App ist für Sie nicht freigeschaltet. Bitte wenden Sie sich an Ihre Praxis.",
                     ("kann-sich-nicht-anmelden", "app")),
    "no_license": (403, "Ihre Praxisgruppe hat derzeit keine gültige Lizenz für die App. Bitte wenden Sie sich an "
                        "Ihre Praxis.", ("kann-sich-nicht-anmelden", "lizenz")),
    "deactivated": (403, "Die App wurde für Sie deaktiviert. Sie sehen weiter Ihren letzten Stand, können aber "
                         "nicht mehr synchronisieren.", ("deaktiviert-nutzt-weiter", None)),
    "not_found": (404, "Diese Adresse gibt es in der App-Schnittstelle nicht.", None),
    "method_not_allowed": (405, "Diese Methode ist hier nicht erlaubt.", None),
    "request_too_large": (413, "Die Anfrage ist zu groß.", None),
    "database_not_ready": (409, "Ihre Therapeuten-Datenbank wird gerade erzeugt. Bitte versuchen Sie es in einigen "
                                "Minuten erneut; Ihr Zugangscode bleibt gültig.", ("datenbank-fehlt", None)),
    "too_many_attempts": (429, "Zu viele Versuche. Bitte warten Sie einen Moment.",
                          ("kann-sich-nicht-anmelden", "app-fehler")),
    "server_error": (500, "Ein Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.", None),
}


def api_error(code: str, **extra):
    """The JSON answer for an error code, with its status and help link."""
    status, message, section = ERRORS[code]
    if section:
        extra["help"] = help_page_url(*section, external=True)
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    if status == 401:  # RFC 6750: say how to authenticate, and why the token was not taken
        challenge = 'Bearer realm="therapeuten-app"'
        response.headers["WWW-Authenticate"] = challenge + (', error="invalid_token"' if code != "invalid_code" else "")
    return response


HTTP_ERRORS = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large", 429: "too_many_attempts"}


def http_error(status: int, otherwise: str = "invalid_request"):
    """The JSON answer for an HTTP error status (``otherwise`` for one without its own code);
    a 429 says when to try again."""
    response = api_error(HTTP_ERRORS.get(status, otherwise))
    if status == 429:
        response.headers.update(retry_after())
    return response


def app_error(status: int):
    """The JSON answer for an error the app's handlers give (e.g. an unknown URL under the API)."""
    return http_error(status, "server_error" if status >= 500 else "invalid_request")


class ApiError(Exception):
    """Raised inside the API to answer with a JSON error."""

    def __init__(self, code: str, **extra) -> None:
        super().__init__(code)
        self.code, self.extra = code, extra
