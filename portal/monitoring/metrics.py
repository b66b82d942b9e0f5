"""Prometheus metrics at ``/metrics``, for ``Authorization: Bearer $METRICS_TOKEN`` only.

Two kinds: what a web process counts as it serves (request latency by endpoint, app sign-ins by
outcome, syncs), kept in ``PROMETHEUS_MULTIPROC_DIR`` when gunicorn runs several processes (see
gunicorn.conf.py), and what is read at scrape time from the record of truth (the queues in Redis,
the mails in the database, the recurring jobs' runs), so a worker on another machine is counted
without exporting anything itself."""

from __future__ import annotations

import hmac
import os
import time

from flask import Flask, abort, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.models import AccountMail
from ..codes.models import CodeRequest
from ..extensions import db
from ..recurring import RUNS_KEY, SKIPS_KEY
from . import queues

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

LOCAL = CollectorRegistry()  # this process's own counters (used when not in multiprocess mode)
REQUEST_SECONDS = Histogram("portal_request_duration_seconds", "Time to answer a request, by endpoint",
                            ["endpoint"], registry=LOCAL,
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
APP_SIGN_INS = Counter("portal_app_sign_ins", "Therapist app sign-ins with an access code, by outcome",
                       ["outcome"], registry=LOCAL)
APP_SYNCS = Counter("portal_app_syncs", "Therapist app syncs, by outcome", ["outcome"], registry=LOCAL)
RESPONSES = Counter("portal_responses", "Answers by status class (2xx, 3xx, 4xx, 5xx): alert on 5xx",
                    ["status"], registry=LOCAL)
COUNTED = {"api.create_session": APP_SIGN_INS, "api.sync": APP_SYNCS}
MAIL_MODELS = {"code": CodeRequest, "account": AccountMail}


def _outcome(response) -> str:
    if response.status_code < 400:
        return "ok"
    body = response.get_json(silent=True) if response.is_json else None
    return str(body.get("error")) if isinstance(body, dict) and body.get("error") else str(response.status_code)


class ScrapeCollector:
    """What the record of truth says at scrape time; a part that does not answer reports 0 in
    ``portal_up`` and leaves its figures out."""

    def collect(self):
        up = GaugeMetricFamily("portal_up", "Whether the part answers the portal (1) or not (0)", labels=["part"])
        up.add_metric(["database"], 1.0 if (mails := self._mails()) is not None else 0.0)
        if mails is not None:
            yield mails
        try:
            yield from self._queues()
            yield from self._cron_runs()
            up.add_metric(["redis"], 1.0)
        except RedisError:
            up.add_metric(["redis"], 0.0)
        yield up

    def _mails(self) -> GaugeMetricFamily | None:
        family = GaugeMetricFamily("portal_mails", "Mails in the outbox by kind and delivery state "
                                   "(accepted, failed, bounced, …)", labels=["kind", "state"])
        try:
            for kind, model in MAIL_MODELS.items():
                rows = db.session.execute(select(model.delivery, func.count()).group_by(model.delivery)).all()
                for state, count in rows:
                    family.add_metric([kind, state.value], count)
        except SQLAlchemyError:
            db.session.rollback()
            return None
        return family

    def _queues(self):
        waiting = GaugeMetricFamily("portal_jobs_waiting", "Jobs waiting in the queue", labels=["queue"])
        oldest = GaugeMetricFamily("portal_jobs_oldest_age_seconds", "Age of the oldest waiting job (0: none)",
                                   labels=["queue"])
        running = GaugeMetricFamily("portal_jobs_running", "Jobs a worker is running", labels=["queue"])
        scheduled = GaugeMetricFamily("portal_jobs_scheduled", "Jobs planned for later (retries)", labels=["queue"])
        failed = GaugeMetricFamily("portal_jobs_failed", "Jobs that failed and wait for support", labels=["queue"])
        state = queues.state(current_app.task_queue)
        name = [state.name]
        waiting.add_metric(name, state.waiting)
        oldest.add_metric(name, state.oldest_age or 0.0)
        running.add_metric(name, state.running)
        scheduled.add_metric(name, state.scheduled)
        failed.add_metric(name, state.failed)
        return [waiting, oldest, running, scheduled, failed]

    def _cron_runs(self):
        for key, metric, text in ((RUNS_KEY, "portal_recurring_runs", "Runs of each recurring job (rq cron)"),
                                  (SKIPS_KEY, "portal_recurring_skips",
                                   "Enqueues of a recurring job that found it already run in this tick")):
            family = GaugeMetricFamily(metric, text, labels=["job"])
            for name, count in sorted(current_app.redis.hgetall(key).items()):
                family.add_metric([name.decode()], int(count))
            yield family


def exposition() -> bytes:
    """The text format: this process's counters (or every gunicorn process's, in multiprocess
    mode), then what the record of truth says now."""
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        MultiProcessCollector(registry, path=MULTIPROC_DIR)
    registry.register(ScrapeCollector())
    return (b"" if MULTIPROC_DIR else generate_latest(LOCAL)) + generate_latest(registry)


def authorised() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode())


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        endpoint = request.endpoint or "unknown"
        if "request_started" in g:
            REQUEST_SECONDS.labels(endpoint).observe(time.perf_counter() - g.request_started)
        RESPONSES.labels(f"{response.status_code // 100}xx").inc()  # an unhandled error's 500 too
        counter = COUNTED.get(endpoint)
        if counter is not None:
            counter.labels(_outcome(response)).inc()
        return response


__all__ = ["CONTENT_TYPE_LATEST", "authorised", "exposition", "init_app"]
