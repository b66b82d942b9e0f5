"""``rq cron portal.cron_config``: the portal's recurring jobs, run by ``worker.py``'s queue."""

from rq import cron

from portal.codes.jobs import sweep

cron.register(sweep, queue_name="portal", interval=60, name="code-sweeper")
