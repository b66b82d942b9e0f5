"""Benchmark: the support search over 500 groups and 50,000 therapists.

Prints the median time of a search by e-mail fragment and by name, and the query plan of the
text match (it must use an index: FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL). Target:
under 100 ms median.

    .venv/bin/python bench/support_search.py [--groups 500] [--therapists 50000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Practice, PracticeGroup, Therapist, therapist_practice  # noqa: E402
from portal.support.services import matching_ids, search  # noqa: E402
from portal.tenancy import search_text_for  # noqa: E402

FIRST = ["Anna", "Jonas", "Lea", "Maximilian", "Sophie", "Paul", "Marie", "Felix", "Emma", "Lukas"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]
SEARCHES = {"e-mail fragment": "t31337@", "name": "schmidt4711", "name (many hits)": "fischer"}


def build(app, groups: int, therapists: int) -> None:
    rebuild(app)
    with app.app_context():
        db.session.execute(insert(PracticeGroup), [{"name": f"Praxisgruppe {g:03d}", "created_at": datetime.now(UTC)}
                                                   for g in range(groups)])
        group_ids = list(db.session.scalars(select(PracticeGroup.id).order_by(PracticeGroup.id)))
        db.session.execute(insert(Practice), [{"group_id": g, "name": f"Praxis {g}-{p}", "city": "Köln"}
                                              for g in group_ids for p in (1, 2)])
        now = datetime.now(UTC)
        rows = []
        for i in range(therapists):
            first, last = FIRST[i % 10], f"{LAST[(i // 10) % 10]}{i}"
            email = f"t{i}@praxis{i % groups}.example"
            rows.append({"group_id": group_ids[i % groups], "first_name": first, "last_name": last, "email": email,
                         "app_enabled": i % 2 == 0, "created_at": now, "updated_at": now,
                         "search_text": search_text_for(first, last, email)})
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Therapist), rows[start:start + 5000])
        practices = {g: p for p, g in db.session.execute(select(Practice.id, Practice.group_id))}
        db.session.execute(insert(therapist_practice), [
            {"therapist_id": t, "practice_id": practices[g]}
            for t, g in db.session.execute(select(Therapist.id, Therapist.group_id))])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def plan(app, needle: str) -> str:
    with app.app_context():
        statement = matching_ids(needle)
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
        return "\n".join(" ".join(str(c) for c in row) for row in db.session.execute(text(prefix + str(compiled))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--therapists", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp}/portal.db",
                                 "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://"})
    started = time.perf_counter()
    build(app, args.groups, args.therapists)
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}; {args.groups} groups, "
          f"{args.therapists} therapists built in {time.perf_counter() - started:.1f} s")
    for label, term in SEARCHES.items():
        with app.app_context():
            hits = len(search(term))
            timings = []
            for _ in range(args.runs):
                db.session.expunge_all()
                started = time.perf_counter()
                search(term)
                timings.append(time.perf_counter() - started)
        print(f"search by {label} {term!r}: median {statistics.median(timings) * 1000:.1f} ms, "
              f"max {max(timings) * 1000:.1f} ms, {hits} hits shown")
    print("query plan of the text match:")
    print(plan(app, "t31337@"))


if __name__ == "__main__":
    main()
