"""``rq cron portal.cron_config``: the portal's recurring jobs, run by ``worker.py``'s queue. Two
``rq cron`` processes are safe: each job runs once per tick (portal/recurring.py)."""

import os
import time

from rq import cron

from portal import recurring

cron.register(recurring.code_sweeper, queue_name="portal", interval=recurring.SWEEP_SECONDS, name="code-sweeper")
cron.register(recurring.account_mail_sweeper, queue_name="portal", interval=recurring.SWEEP_SECONDS,
              name="account-mail-sweeper")
cron.register(recurring.database_sweeper, queue_name="portal", interval=recurring.SLOW_SWEEP_SECONDS,
              name="database-sweeper")
cron.register(recurring.script_run_sweeper, queue_name="portal", interval=recurring.SLOW_SWEEP_SECONDS,
              name="script-run-sweeper")
cron.register(recurring.bounce_mailbox, queue_name="portal", interval=recurring.SWEEP_SECONDS, name="bounce-mailbox")
cron.register(recurring.calendar_feeds, queue_name="portal", cron="*/15 * * * *", name="calendar-feeds")
cron.register(recurring.checkin_retention, queue_name="portal", interval=recurring.DAY_SECONDS,
              name="checkin-retention")

# Saturday 03:00 Europe/Berlin (SATURDAY_CRON changes it). rq cron reads cron expressions in the
# process's local time, so this process runs in Berlin time whatever the server's zone.
os.environ["TZ"] = "Europe/Berlin"
time.tzset()
cron.register(recurring.saturday_databases, queue_name="portal", cron=os.environ.get("SATURDAY_CRON") or "0 3 * * 6",
              name="therapist-databases-saturday", job_timeout=4 * 3600)
