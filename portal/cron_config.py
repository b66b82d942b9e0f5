"""``rq cron portal.cron_config``: the portal's recurring jobs, run by ``worker.py``'s queue."""

import os
import time

from rq import cron

from portal.accounts.mails import sweep as account_mail_sweep
from portal.bounces.imap import poll as poll_bounce_mailbox
from portal.codes.jobs import sweep as code_sweep
from portal.scripts.jobs import sweep_runs
from portal.therapist_db.jobs import generate_missing
from portal.therapist_db.jobs import sweep as database_sweep

cron.register(code_sweep, queue_name="portal", interval=60, name="code-sweeper")
cron.register(account_mail_sweep, queue_name="portal", interval=60, name="account-mail-sweeper")
cron.register(database_sweep, queue_name="portal", interval=300, name="database-sweeper")
cron.register(sweep_runs, queue_name="portal", interval=300, name="script-run-sweeper")
cron.register(poll_bounce_mailbox, queue_name="portal", interval=60, name="bounce-mailbox")

# Saturday 03:00 Europe/Berlin. rq cron reads cron expressions in the process's local time, so
# this process runs in Berlin time whatever the server's zone (UTC+1 in winter, UTC+2 in summer).
os.environ["TZ"] = "Europe/Berlin"
time.tzset()
cron.register(generate_missing, queue_name="portal", cron="0 3 * * 6", name="therapist-databases-saturday",
              job_timeout=4 * 3600)
