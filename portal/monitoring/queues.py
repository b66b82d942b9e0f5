"""The state of an RQ queue in figures, read from Redis (raises RedisError when it is down)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rq import Queue
from rq.job import Job


@dataclass(frozen=True)
class QueueState:
    name: str
    waiting: int
    oldest_age: float | None  # seconds the oldest waiting job has waited; None: nothing waits
    running: int
    scheduled: int
    failed: int


def oldest_waiting_age(queue: Queue) -> float | None:
    """Seconds since the job at the head of the queue was enqueued (the next a worker takes)."""
    for job_id in queue.get_job_ids(0, 5):  # a job deleted meanwhile: look at the next
        job = Job.fetch(job_id, connection=queue.connection) if queue.connection.exists(Job.key_for(job_id)) else None
        if job is not None and job.enqueued_at is not None:
            enqueued = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=UTC)
            return max(0.0, (datetime.now(UTC) - enqueued).total_seconds())
    return None


def state(queue: Queue) -> QueueState:
    """The counts the metrics and support's job page show. Reads only: RQ's clean-ups of its
    registries are left to the worker."""
    return QueueState(name=queue.name, waiting=queue.count, oldest_age=oldest_waiting_age(queue),
                      running=queue.started_job_registry.get_job_count(cleanup=False),
                      scheduled=queue.scheduled_job_registry.get_job_count(cleanup=False),
                      failed=queue.failed_job_registry.get_job_count(cleanup=False))
