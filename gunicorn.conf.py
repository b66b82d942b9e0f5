"""gunicorn's settings, read from the working directory: ``gunicorn wsgi:app``.

Several worker processes share their metrics through PROMETHEUS_MULTIPROC_DIR (emptied when the
server starts, a dead worker's live figures dropped), logs go to stderr (the portal's own lines
as text or JSON, see LOG_FORMAT), the access log (GUNICORN_ACCESS_LOG) leaves out the secrets an
address may carry, and the port comes from PORT."""

import os
import shutil

from gunicorn.glogging import Logger
from prometheus_client import multiprocess


class PortalLogger(Logger):
    """gunicorn's lines about requests without the secrets a URL may carry (a link's token, a
    pairing code), by the portal's own rule. It is imported where such a line is written, in a
    worker, which has loaded the portal already; the master never imports the portal."""

    def atoms(self, resp, req, environ, request_time):
        from portal.url_secrets import redact

        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}

    def exception(self, msg, *args, **kwargs):  # a worker's "Error handling request <uri>"
        if args:
            from portal.url_secrets import redact

            args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)
        super().exception(msg, *args, **kwargs)


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") else None
errorlog = "-"
logger_class = PortalLogger


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
