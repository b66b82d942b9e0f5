"""The portal as gunicorn serves it, plus a trivial endpoint to compare the sync against.
Used by bench/api_sync.py only: ``gunicorn --chdir bench sync_server:app``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal import create_app  # noqa: E402

app = create_app()
app.add_url_rule("/bench/trivial", "bench_trivial", lambda: "ok")
