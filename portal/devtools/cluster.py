"""The portal as production runs it, on one machine: gunicorn web servers, RQ workers
(``worker.py``), ``rq cron`` processes and the bounce receiver, each a real process started from
this checkout with the production settings, against one database and one Redis. The
multi-process test and ``bench/scale.py`` use it; any process can be killed and started again."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import redis

from .embedded_redis import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "cluster-secret-" + "x" * 32


@dataclass
class Process:
    name: str
    args: list[str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class Cluster:
    """``env`` adds to (or overrides) the production settings every process gets."""

    database_url: str
    redis_url: str
    directory: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)

    def environment(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "TEST_"))}
        env.update({
            "PORTAL_ENV": "production", "SECRET_KEY": SECRET, "PORTAL_URL": "https://portal.test",
            "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "PYTHONPATH": str(ROOT),
            "THERAPIST_DB_DIR": str(self.directory / "therapist-dbs"), "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.env)
        env.update(extra)
        return env

    def _start(self, process: Process, **extra: str) -> Process:
        process.log.parent.mkdir(parents=True, exist_ok=True)
        with process.log.open("ab") as log:
            process.popen = subprocess.Popen(process.args, cwd=ROOT, env=self.environment(**extra), stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        if process not in self.processes:
            self.processes.append(process)
        return process

    def web(self, workers: int = 2) -> Process:
        port = free_port()
        name = f"web-{port}"
        metrics = self.directory / f"metrics-{port}"
        process = Process(name, [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "--bind",
                                 f"127.0.0.1:{port}", "--workers", str(workers), "wsgi:app"],
                          self.directory / f"{name}.log", port)
        return self._start(process, PROMETHEUS_MULTIPROC_DIR=str(metrics))

    def worker(self, name: str) -> Process:
        return self._start(Process(name, [sys.executable, str(ROOT / "worker.py")], self.directory / f"{name}.log"))

    def cron(self, name: str) -> Process:
        return self._start(Process(name, [str(BIN / "rq"), "cron", "portal.cron_config", "--url", self.redis_url],
                                   self.directory / f"{name}.log"))

    def bounce_receiver(self, port: int) -> Process:
        process = Process("bounces", [str(BIN / "flask"), "--app", "wsgi", "bounces", "serve", "--host", "127.0.0.1",
                                      "--port", str(port)], self.directory / "bounces.log", port)
        return self._start(process)

    def restart(self, process: Process) -> Process:
        return self._start(process)

    def kill(self, process: Process) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would."""
        os.killpg(process.pid, signal.SIGKILL)
        process.popen.wait()

    def retire(self, process: Process) -> None:
        """SIGTERM (a worker finishes its job first), and forget the process."""
        os.killpg(process.pid, signal.SIGTERM)
        process.popen.wait(30)
        self.processes.remove(process)

    def stop(self) -> None:
        for process in self.processes:
            if process.alive():
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            if process.popen is None:
                continue
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.popen.wait()

    def wait_until_serving(self, timeout: float = 30) -> None:
        """Every web server answers /readyz, every worker has registered with Redis."""
        deadline = time.monotonic() + timeout
        webs = [p for p in self.processes if p.name.startswith("web-")]
        workers = [p for p in self.processes if p.name.startswith("worker")]
        connection = redis.Redis.from_url(self.redis_url)
        while time.monotonic() < deadline:
            dead = [p.name for p in self.processes if p.popen is not None and not p.alive()]
            if dead:
                raise RuntimeError(f"process ended: {dead}: {self.tail(dead[0])}")
            serving = all(_status(p.port, "/healthz") == 200 for p in webs)
            if serving and connection.scard("rq:workers") >= len(workers):
                return
            time.sleep(0.2)
        raise TimeoutError("the cluster did not come up")

    def tail(self, name: str, lines: int = 20) -> str:
        log = self.directory / f"{name}.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def _status(port: int, path: str) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None


class Browser:
    """A portal user's browser, reduced to what the tests need: cookies (sent also when Secure,
    as Chromium does to 127.0.0.1) and the CSRF token of the last page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                body: bytes | None = None) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if form is not None:
            body = urlencode({"csrf_token": self.csrf, **form}, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        token = re.search(r'name="csrf[-_]token"[^>]*(?:content|value)="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        return response.status, dict(response.headers), text

    def sign_in(self, email: str, password: str) -> None:
        self.request("GET", "/anmelden")
        status, headers, _ = self.request("POST", "/anmelden", {"email": email, "password": password})
        if status != 302:
            raise RuntimeError(f"sign-in refused: {status}")
        self.request("GET", "/therapeuten")
