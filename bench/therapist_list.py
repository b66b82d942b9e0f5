"""Benchmark: the therapist list with 2,000 therapists.

Prints, for the first page, a search and a filtered view: the median server time over
repeated requests and the number of SQL queries (also for a group ten times smaller, to show
the count does not grow), and the ratio against rendering the same 25 rows from plain dicts
with Jinja alone.

    .venv/bin/python bench/therapist_list.py [--therapists 2000] [--runs 40] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from sqlalchemy import event, insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal import create_app  # noqa: E402
from portal.auth.permissions import Permission  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Appointment,
    Licence,
    LicenceKind,
    Practice,
    PracticeGroup,
    Role,
    Therapist,
    User,
    therapist_practice,
)
from portal.tenancy import search_text_for  # noqa: E402
from portal.therapists.queries import ListParams, list_therapists, row_labels  # noqa: E402

PASSWORD = "benchmark-passwort"
VIEWS = {
    "first page": "/therapeuten",
    "search": "/therapeuten?q=müller1",
    "filtered": "/therapeuten?app=aktiv&practice={practice}&sort=-name",
}

SURNAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]


def build(app, n: int, name: str) -> tuple[int, int]:
    """A licensed group with two practices, n therapists in both, three appointments each."""
    with app.app_context():
        group = PracticeGroup(name=name)
        group.licences = [Licence(kind=k, valid_from=datetime(2020, 1, 1).date()) for k in LicenceKind]
        practices = [Practice(name=f"{name} Praxis {i}", city="Köln") for i in (1, 2)]
        group.practices = practices
        db.session.add(group)
        db.session.flush()
        rows = [
            {"group_id": group.id, "first_name": f"Vorname{i}", "last_name": f"{SURNAMES[i % 10]}{i}",
             "email": f"t{i}@{name.lower().replace(' ', '')}.example", "app_enabled": i % 3 == 0,
             "search_text": search_text_for(f"Vorname{i}", f"{SURNAMES[i % 10]}{i}",
                                            f"t{i}@{name.lower().replace(' ', '')}.example"),
             "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC)}
            for i in range(n)
        ]
        db.session.execute(insert(Therapist), rows)
        ids = [t for (t,) in db.session.execute(db.select(Therapist.id).where(Therapist.group_id == group.id))]
        db.session.execute(insert(therapist_practice), [
            {"therapist_id": t, "practice_id": p.id} for t in ids for p in practices])
        start = datetime(2026, 11, 26, 8, tzinfo=UTC)
        db.session.execute(insert(Appointment), [
            {"group_id": group.id, "therapist_id": t, "practice_id": practices[0].id, "title": "KG",
             "starts_at": start + timedelta(hours=k), "duration_minutes": 30}
            for t in ids[: n * 9 // 10] for k in range(3)])
        user = User(email=f"chef@{name.lower().replace(' ', '')}.example", role=Role.CHEF, group_id=group.id)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return group.id, practices[0].id


class ServerTimer:
    """WSGI middleware that records the time spent inside the portal for each request."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.last = 0.0

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        body = b"".join(self.wsgi_app(environ, start_response))
        self.last = time.perf_counter() - started
        return [body]


def measure(app, email: str, url: str, runs: int, headers: dict | None = None) -> tuple[float, int]:
    """Median server time and SQL statements of one request to ``url``."""
    timer = app.wsgi_app = ServerTimer(app.wsgi_app)
    client = app.test_client()
    client.post("/anmelden", data={"email": email, "password": PASSWORD})
    queries = []
    with app.app_context():
        engine = db.engine

    def count(*_args, **_kwargs):
        queries.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(url, headers=headers)  # warm-up
        timings = []
        for _ in range(runs):
            queries.clear()
            response = client.get(url, headers=headers)
            timings.append(timer.last)
            assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
        app.wsgi_app = timer.wsgi_app
    return statistics.median(timings), len(queries)


def plain_page_time(app, group_id: int, path: str, runs: int) -> float:
    """Median time to render the same page from plain objects with Jinja alone.

    The view's rows are loaded once with the real query and copied into SimpleNamespace
    objects (plain dicts with attribute access); then a bare jinja2 Environment renders the
    portal's own templates from them, with trivial stand-ins for url_for, CSRF and the
    signed-in user. What the page costs beyond this is Flask, the session, the ORM and SQL.
    """
    env = Environment(loader=FileSystemLoader(str(ROOT / "portal/templates")), autoescape=True,
                      extensions=["jinja2.ext.i18n"])
    env.install_null_translations(newstyle=True)
    with app.test_request_context(path):
        params = ListParams.from_request()
        page = list_therapists(group_id, params, 25)  # TherapistRow: plain values already
        labels = row_labels()
        practices = [SimpleNamespace(id=1, name="Praxis 1"), SimpleNamespace(id=2, name="Praxis 2")]
        env.globals.update(
            url_for=lambda endpoint, **kw: "/" + endpoint + ("?" + urlencode(kw) if kw else ""),
            csrf_token=lambda: "token", can=lambda user, permission: True, Permission=Permission,
            row_labels=lambda: labels, jobs_handover_failed=lambda: False,
            get_flashed_messages=lambda **kw: [], current_lang="de", ignored_arguments=lambda: [],
            current_user=SimpleNamespace(is_authenticated=True, email="chef@x.example", role=Role.CHEF),
            request=SimpleNamespace(blueprint="therapists", full_path=path + "?"),
        )
        env.filters.update(app.jinja_env.filters)  # the portal's own filters (dates, e-mail breaks): plain functions
        template = env.get_template("therapists/index.html")
        context = {"page": page, "params": params, "practices": practices, "licences_ok": True}
        template.render(**context)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            template.render(**context)
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--therapists", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-list-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "redis://127.0.0.1:1/0",
                                 "RATELIMIT_STORAGE_URI": "memory://"})
    rebuild(app)
    small_group, small_practice = build(app, args.therapists // 10, "Klein")
    big_group, big_practice = build(app, args.therapists, "Gross")
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, runs per view: {args.runs}")
    print(f"{'view':<12} {'median ms':>10} {'queries':>8} {'queries at n/10':>16} {'jinja-only ms':>14} {'ratio':>6}")
    for label, template in VIEWS.items():
        _small_ms, small_q = measure(app, "chef@klein.example", template.format(practice=small_practice), 5)
        path = template.format(practice=big_practice)
        median, queries = measure(app, "chef@gross.example", path, args.runs)
        plain = plain_page_time(app, big_group, path, args.runs)
        print(f"{label:<12} {median * 1000:>10.2f} {queries:>8} {small_q:>16} {plain * 1000:>14.2f} "
              f"{median / plain:>6.1f}")
        fragment_headers = {"HX-Request": "true", "HX-Target": "therapist-table", "HX-Trigger": "filter-form"}
        frag, frag_q = measure(app, "chef@gross.example", path, args.runs, fragment_headers)
        print(f"{'  (htmx)':<12} {frag * 1000:>10.2f} {frag_q:>8} {'':>16} {plain * 1000:>14.2f} {frag / plain:>6.1f}")


if __name__ == "__main__":
    main()
