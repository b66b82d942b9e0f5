"""The rq cron configuration the run command starts, and its once-per-tick lock."""

import time

from portal import recurring
from portal.recurring import RUNS_KEY, SKIPS_KEY, once_per_tick

from .helpers import run_jobs


def test_cron_config_registers_the_sweepers(cron_entries):
    sweeper = cron_entries["code-sweeper"]
    assert (sweeper["func"].__module__, sweeper["func"].__name__) == ("portal.recurring", "code_sweeper")
    assert sweeper["interval"] == 60 and sweeper["queue_name"] == "portal"
    assert cron_entries["database-sweeper"]["interval"] == 300
    mailbox = cron_entries["bounce-mailbox"]
    assert (mailbox["func"].__module__, mailbox["func"].__name__) == ("portal.recurring", "bounce_mailbox")
    assert mailbox["interval"] == 60 and mailbox["queue_name"] == "portal"
    names = {entry["func"].__name__ for entry in cron_entries.values()}
    assert names <= {name for name in dir(recurring) if callable(getattr(recurring, name))}


def test_each_recurring_job_runs_once_per_tick_however_many_cron_processes_enqueue_it(app, cron_entries):
    """Two rq cron processes each enqueue every job: the second of a tick finds the lock."""
    for _cron_process in range(2):
        for entry in cron_entries.values():
            app.task_queue.enqueue(entry["func"])
    run_jobs(app)
    runs = {name.decode(): int(count) for name, count in app.redis.hgetall(RUNS_KEY).items()}
    skips = {name.decode(): int(count) for name, count in app.redis.hgetall(SKIPS_KEY).items()}
    assert runs == {name: 1 for name in cron_entries} and skips == runs
    assert not app.task_queue.failed_job_registry.count


def test_the_lock_lets_the_next_tick_run(app):
    calls = []
    with app.app_context():
        assert once_per_tick("probe", 0.2, lambda: calls.append(1)) is None
        assert once_per_tick("probe", 0.2, lambda: calls.append(2)) == "skipped"
        app.redis.pexpire(recurring.LOCK_KEY.format("probe"), 1)  # the tick ends
        time.sleep(0.01)
        once_per_tick("probe", 0.2, lambda: calls.append(3))
    assert calls == [1, 3]
