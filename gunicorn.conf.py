"""gunicorn's settings, read from the working directory: ``gunicorn wsgi:app``.

Several worker processes share their metrics through PROMETHEUS_MULTIPROC_DIR (emptied when the
server starts, a dead worker's live figures dropped), logs go to stderr (the portal's own lines
as text or JSON, see LOG_FORMAT), and the port comes from PORT."""

import os
import shutil

from prometheus_client import multiprocess

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") else None
errorlog = "-"


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
