"""JSON errors of the app API: {"error": "<code>", "message": "<German text>"}."""

from __future__ import annotations

from flask import jsonify

MESSAGES = {
    "invalid_request": "Die Anfrage ist unvollständig oder fehlerhaft.",
    "invalid_code": "Der Zugangscode ist ungültig oder abgelaufen. Bitte fordern Sie in Ihrer Praxis einen neuen "
                    "Code an.",
    "app_disabled": "Die App ist für Sie nicht freigeschaltet. Bitte wenden Sie sich an Ihre Praxis.",
    "no_license": "Ihre Praxisgruppe hat derzeit keine gültige Lizenz für die App. Bitte wenden Sie sich an Ihre "
                  "Praxis.",
    "database_not_ready": "Ihre Therapeuten-Datenbank wird gerade erzeugt. Bitte versuchen Sie es in einigen "
                          "Minuten erneut; Ihr Zugangscode bleibt gültig.",
    "too_many_attempts": "Zu viele Versuche. Bitte warten Sie einen Moment.",
    "invalid_token": "Diese Anmeldung ist nicht mehr gültig. Bitte melden Sie sich mit einem neuen Zugangscode an.",
    "revoked": "Ihre Berechtigung wurde entzogen. Die Daten auf diesem Gerät werden gelöscht.",
    "deactivated": "Die App wurde für Sie deaktiviert. Sie sehen weiter Ihren letzten Stand, können aber nicht "
                   "mehr synchronisieren.",
    "not_found": "Diese Adresse gibt es in der App-Schnittstelle nicht.",
    "method_not_allowed": "Diese Methode ist hier nicht erlaubt.",
    "server_error": "Ein Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
}


def api_error(status: int, code: str, **extra):
    from ..help.links import help_url

    helps = help_url("api", code, external=True)
    if helps:
        extra["help"] = helps
    response = jsonify(error=code, message=MESSAGES[code], **extra)
    response.status_code = status
    return response


class ApiError(Exception):
    """Raised inside the API to answer with a JSON error."""

    def __init__(self, status: int, code: str, **extra) -> None:
        super().__init__(code)
        self.status, self.code, self.extra = status, code, extra
