"""A real IMAP server for the tests: Dovecot from Debian's packages (bin/test installs it as root),
run in the foreground on a free loopback port with its own configuration, mail and state in a
temporary directory of its own (not pytest's: Dovecot's users could not enter that one). Any user
name, password ``geheim``."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from portal.devtools.embedded_redis import free_port

PASSWORD = "geheim"
CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
{users}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
"""


def _binary() -> str:
    found = shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)
    if found is None:
        raise RuntimeError("Dovecot fehlt: bin/test installiert es als root mit apt-get (dovecot-imapd).")
    return found


class Dovecot:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="portal-test-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, user: str = "bounces", folder: str = "INBOX") -> str:
        return f"imap://{user}:{PASSWORD}@127.0.0.1:{self.port}/{folder}"

    def _write_config(self) -> Path:
        if os.geteuid() == 0:  # Dovecot runs its logins as unprivileged users, which its package creates
            users = "default_internal_user = dovecot\ndefault_login_user = dovenull"
            owner = pwd.getpwnam("dovecot")
        else:
            owner = pwd.getpwuid(os.geteuid())
            users = f"default_internal_user = {owner.pw_name}\ndefault_login_user = {owner.pw_name}"
        for part in ("run", "state", "mail", "home"):
            (self.root / part).mkdir(parents=True, exist_ok=True)
        for part in ("mail", "home"):
            os.chown(self.root / part, owner.pw_uid, owner.pw_gid)
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port, password=PASSWORD, users=users,
                                        uid=owner.pw_uid, gid=owner.pw_gid))
        return config

    def start(self) -> Dovecot:
        config = self._write_config()
        self.process = subprocess.Popen([_binary(), "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    if conn.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Dovecot antwortet nicht: {(self.root / 'dovecot.log').read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
