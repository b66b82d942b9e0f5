"""Benchmark: POST /api/app/v1/sync per second on gunicorn with two workers, against a trivial
endpoint on the same server (ratio; target at least 0.5).

    .venv/bin/python bench/api_sync.py [--seconds 5] [--clients 8] [--database-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal import create_app  # noqa: E402
from portal.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Device, Licence, LicenceKind, PracticeGroup, Therapist  # noqa: E402
from portal.therapist_db.services import generate  # noqa: E402


def load(port: int, method: str, path: str, body: bytes | None, headers: dict, seconds: float,
         clients: int) -> float:
    """Requests per second that ``clients`` threads complete in ``seconds`` (a new connection each,
    as gunicorn's sync workers close them)."""
    counts = [0] * clients
    deadline = time.perf_counter() + seconds

    def run(index: int) -> None:
        while time.perf_counter() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            assert response.status == 200, response.status
            counts[index] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    redis = EmbeddedRedis().start()
    env = {**os.environ, "PORTAL_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "PORTAL_URL": "https://bench.example",
           "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/portal.db", "REDIS_URL": redis.url,
           "THERAPIST_DB_DIR": str(tmp / "dbs"), "API_RATE_LIMIT": "1000000 per minute"}
    os.environ.update(env)
    app = create_app()
    token = secrets.token_urlsafe(32)
    rebuild(app)
    with app.app_context():
        group = PracticeGroup(name="Bench")
        group.licences = [Licence(kind=k, valid_from=date(2020, 1, 1)) for k in LicenceKind]
        db.session.add(group)
        db.session.flush()
        therapist = Therapist(group_id=group.id, first_name="Anna", last_name="Bench", email="a@b.example",
                              app_enabled=True)
        db.session.add(therapist)
        db.session.flush()
        version = generate(therapist).sha256
        db.session.add(Device(group_id=group.id, therapist_id=therapist.id, name="Bench", platform="bench",
                              token_hash=hashlib.sha256(token.encode()).digest()))
        db.session.commit()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "bench"), "-w", "2",
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "sync_server:app"], env=env)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/bench/trivial")
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)
        trivial = load(port, "GET", "/bench/trivial", None, {}, args.seconds, args.clients)
        sync = load(port, "POST", "/api/app/v1/sync", json.dumps({"version": version}).encode(),
                    {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    args.seconds, args.clients)
    finally:
        server.terminate()
        server.wait(10)
        redis.stop()
    print(f"gunicorn, 2 workers, {args.clients} clients, {args.seconds:.0f} s each, database "
          f"{env['DATABASE_URL'].split(':')[0]}")
    print(f"trivial endpoint: {trivial:.0f} requests/s; POST /sync: {sync:.0f} requests/s; ratio {sync / trivial:.2f}")


if __name__ == "__main__":
    main()
