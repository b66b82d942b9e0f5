"""A reference device client that behaves like the therapist app, for the command line and tests.

    python -m portal.devtools.device_simulator --url http://127.0.0.1:5000 signin --email anna@praxis.de --code 123456
    python -m portal.devtools.device_simulator sync | download | signout | wipe | status

It keeps its token and the downloaded database in a folder of its own (``--dir``, default
``./devicesim``). Like the app it deletes the local database on sign-out, on ``wipe`` and when
the server answers ``revoked`` with ``wipe: true``, and keeps it when the server answers
``deactivated``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

API = "/api/app/v1"


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict
    data: bytes = b""

    @property
    def error(self) -> str | None:
        return self.body.get("error") if isinstance(self.body, dict) else None


class DeviceClient:
    """One simulated device: its state lives in ``folder``."""

    def __init__(self, folder: str | Path, base_url: str | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.state_file = self.folder / "state.json"
        self.database_file = self.folder / "therapeuten-datenbank.sqlite"
        self.state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        if base_url:
            self.state["base_url"] = base_url.rstrip("/")

    # --- state --------------------------------------------------------------------------------
    @property
    def token(self) -> str | None:
        return self.state.get("token")

    @property
    def version(self) -> str | None:
        return self.state.get("version") if self.database_file.exists() else None

    def _save(self) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2))
        os.replace(tmp, self.state_file)

    def wipe(self) -> None:
        """Forget the session and delete the local database, as a sign-out or uninstall does."""
        self.database_file.unlink(missing_ok=True)
        for key in ("token", "version", "therapist"):
            self.state.pop(key, None)
        self._save()

    # --- HTTP -----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> Answer:
        request = urllib.request.Request(self.state["base_url"] + API + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Accept", "application/json")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return self._answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return self._answer(error.code, error.headers, error.read())

    @staticmethod
    def _answer(status: int, headers, data: bytes) -> Answer:
        content_type = headers.get("Content-Type", "")
        body = json.loads(data) if data and content_type.startswith("application/json") else {}
        return Answer(status, body, dict(headers.items()), data if not body else b"")

    def _handle_refusal(self, answer: Answer) -> Answer:
        if answer.status == 401 and (answer.body.get("wipe") or answer.error == "invalid_token"):
            self.wipe()  # revoked (wipe: true) or a dead token: a full sign-in is needed
        return answer  # deactivated / no_license: keep showing what the device holds

    # --- what the app does ----------------------------------------------------------------------
    def sign_in(self, email: str, code: str, device_name: str = "Simulator", platform: str = "devicesim") -> Answer:
        answer = self._call("POST", "/session", {"email": email, "code": code, "device_name": device_name,
                                                  "platform": platform})
        if answer.status == 201:
            self.state.update(token=answer.body["token"], therapist=answer.body["therapist"])
            self._save()
            self.download()
        return answer

    def download(self) -> Answer:
        headers = {"If-None-Match": f'"{self.version}"'} if self.version else {}
        answer = self._call("GET", "/database", headers=headers)
        if answer.status == 200:
            tmp = self.database_file.with_suffix(".tmp")
            tmp.write_bytes(answer.data)
            os.replace(tmp, self.database_file)
            self.state["version"] = answer.headers.get("ETag", "").strip('"')
            self._save()
        return self._handle_refusal(answer)

    def sync(self) -> Answer:
        answer = self._call("POST", "/sync", {"version": self.version or "none"})
        if answer.status == 200 and answer.body["database"]["version"] != self.version:
            self.download()
        return self._handle_refusal(answer)

    def sign_out(self) -> Answer:
        answer = self._call("DELETE", "/session") if self.token else Answer(204, {}, {})
        self.wipe()
        return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.devtools.device_simulator",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=os.environ.get("DEVICESIM_DIR", "devicesim"))
    parser.add_argument("--url", help="Adresse des Portals, z. B. http://127.0.0.1:5000")
    commands = parser.add_subparsers(dest="command", required=True)
    signin = commands.add_parser("signin", help="mit E-Mail und Zugangscode anmelden")
    signin.add_argument("--email", required=True)
    signin.add_argument("--code", required=True)
    signin.add_argument("--device-name", default="Simulator")
    signin.add_argument("--platform", default="devicesim")
    for name, text in (("sync", "synchronisieren"), ("download", "Datenbank laden"), ("signout", "abmelden"),
                       ("wipe", "lokale Daten löschen"), ("status", "Zustand zeigen")):
        commands.add_parser(name, help=text)
    args = parser.parse_args(argv)
    client = DeviceClient(args.dir, args.url)
    if args.command not in ("wipe", "status") and "base_url" not in client.state:
        parser.error("--url fehlt (beim ersten Aufruf angeben)")
    if args.command == "signin":
        answer = client.sign_in(args.email, args.code, args.device_name, args.platform)
    elif args.command == "sync":
        answer = client.sync()
    elif args.command == "download":
        answer = client.download()
    elif args.command == "signout":
        answer = client.sign_out()
    elif args.command == "wipe":
        client.wipe()
        answer = Answer(200, {}, {})
    else:
        answer = Answer(200, {}, {})
    print(f"HTTP {answer.status} {answer.error or ''}".rstrip())
    if answer.body.get("message"):
        print(answer.body["message"])
    print(f"angemeldet: {'ja' if client.token else 'nein'}; lokale Datenbank: "
          f"{client.version or 'keine'}")
    return 0 if answer.status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
