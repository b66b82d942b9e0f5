"""The OpenAPI 3 description of the app API, served at /api/app/v1/openapi.json."""

from __future__ import annotations


def _error(codes: list[str], wipe: bool = False, challenge: bool = False) -> dict:
    properties = {"error": {"type": "string", "enum": codes}, "message": {"type": "string"}}
    required = ["error", "message"]
    if wipe:
        properties["wipe"] = {"type": "boolean"}
    answer = {"description": ", ".join(codes), "content": {"application/json": {"schema": {
        "type": "object", "properties": properties, "required": required}}}}
    if challenge:
        answer["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer challenge"}}
    return answer


DATABASE_INFO = {
    "type": "object",
    "required": ["version", "sha256", "url"],
    "properties": {
        "version": {"type": "string", "description": "SHA-256 of the database file"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "url": {"type": "string", "format": "uri"},
    },
}
COMMON = {
    "400": _error(["invalid_request"]),
    "413": _error(["request_too_large"]),
    "429": {**_error(["too_many_attempts"]),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}},
}
AUTHENTICATED = {
    "401": _error(["invalid_token", "revoked"], wipe=True, challenge=True),
    "403": _error(["deactivated", "no_license"]),
    "409": _error(["database_not_ready"]),
}


def document(server_url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Therapeuten-App API", "version": "1.0.0",
                 "description": "Anmeldung mit Zugangscode, Therapeuten-Datenbank, Synchronisierung, Abmeldung."},
        "servers": [{"url": server_url}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"DatabaseInfo": DATABASE_INFO},
        },
        "paths": {
            "/session": {
                "post": {
                    "summary": "Ein Gerät mit E-Mail und Zugangscode anmelden",
                    "operationId": "signIn",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["email", "code", "device_name", "platform"],
                        "properties": {
                            "email": {"type": "string", "maxLength": 254},
                            "code": {"type": "string", "maxLength": 32},
                            "device_name": {"type": "string", "maxLength": 100},
                            "platform": {"type": "string", "maxLength": 40},
                        },
                    }}}},
                    "responses": {
                        "201": {"description": "angemeldet", "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["token", "therapist", "database"],
                            "properties": {
                                "token": {"type": "string"},
                                "therapist": {"type": "object", "required": ["id", "name"], "properties": {
                                    "id": {"type": "integer"}, "name": {"type": "string"}}},
                                "database": {"$ref": "#/components/schemas/DatabaseInfo"},
                            },
                        }}}},
                        "401": _error(["invalid_code"], challenge=True),
                        "403": _error(["app_disabled", "no_license"]),
                        "409": _error(["database_not_ready"]),
                        **COMMON,
                    },
                },
                "delete": {
                    "summary": "Dieses Gerät abmelden",
                    "operationId": "signOut",
                    "security": [{"bearer": []}],
                    "responses": {"204": {"description": "abgemeldet"}, "401": AUTHENTICATED["401"], **COMMON},
                },
            },
            "/code": {
                "post": {
                    "summary": "Einen neuen Zugangscode per E-Mail anfordern (\u201eCode anfordern\u201c)",
                    "description": "Antwortet für jede Adresse gleich; ein Code wird nur gesendet, wenn die Adresse "
                                   "genau einem freigeschalteten Therapeuten gehört und die Grenzen pro Adresse "
                                   "(1 pro Minute, 5 pro Stunde) eingehalten sind.",
                    "operationId": "requestCode",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["email"],
                        "properties": {"email": {"type": "string", "maxLength": 254}}}}}},
                    "responses": {
                        "202": {"description": "angenommen (ob gesendet, sagt die Antwort nicht)",
                                "content": {"application/json": {"schema": {
                                    "type": "object", "required": ["status", "message"],
                                    "properties": {"status": {"type": "string", "enum": ["accepted"]},
                                                   "message": {"type": "string"},
                                                   "help": {"type": "string", "format": "uri"}}}}}},
                        **COMMON,
                    },
                },
            },
            "/database": {
                "get": {
                    "summary": "Die Therapeuten-Datenbank laden",
                    "operationId": "downloadDatabase",
                    "security": [{"bearer": []}],
                    "parameters": [{"name": "If-None-Match", "in": "header", "required": False,
                                    "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "SQLite-Datei",
                                "headers": {"ETag": {"schema": {"type": "string"}}},
                                "content": {"application/vnd.sqlite3": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}},
                        "304": {"description": "unverändert"},
                        **AUTHENTICATED, **COMMON,
                    },
                },
            },
            "/sync": {
                "post": {
                    "summary": "Nach Änderungen fragen",
                    "operationId": "sync",
                    "security": [{"bearer": []}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["version"],
                        "properties": {"version": {"type": "string", "maxLength": 64}}}}}},
                    "responses": {
                        "200": {"description": "aktueller Stand", "content": {"application/json": {"schema": {
                            "type": "object", "required": ["status", "database"],
                            "properties": {"status": {"type": "string", "enum": ["ok"]},
                                           "database": {"$ref": "#/components/schemas/DatabaseInfo"}},
                        }}}},
                        **AUTHENTICATED, **COMMON,
                    },
                },
            },
            "/openapi.json": {
                "get": {"summary": "Diese Beschreibung", "operationId": "openapi",
                        "responses": {"200": {"description": "OpenAPI 3",
                                              "content": {"application/json": {"schema": {"type": "object"}}}}}},
            },
        },
    }
