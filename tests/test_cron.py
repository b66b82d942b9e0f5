"""The rq cron configuration the run command starts."""


def test_cron_config_registers_the_sweepers(cron_entries):
    sweeper = cron_entries["code-sweeper"]
    assert (sweeper["func"].__module__, sweeper["func"].__name__) == ("portal.codes.jobs", "sweep")
    assert sweeper["interval"] == 60 and sweeper["queue_name"] == "portal"
    assert cron_entries["database-sweeper"]["interval"] == 300
    mailbox = cron_entries["bounce-mailbox"]
    assert (mailbox["func"].__module__, mailbox["func"].__name__) == ("portal.bounces.imap", "poll")
    assert mailbox["interval"] == 60 and mailbox["queue_name"] == "portal"
