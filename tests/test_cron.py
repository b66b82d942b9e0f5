"""The rq cron configuration the run command starts."""

import importlib

from rq import cron


def test_cron_config_registers_the_code_sweeper_every_minute():
    cron._job_data_registry.clear()
    import portal.cron_config as config

    importlib.reload(config)
    jobs = {entry["name"]: entry for entry in cron._job_data_registry}
    assert jobs["code-sweeper"]["func"].__module__ == "portal.codes.jobs"
    assert jobs["code-sweeper"]["func"].__name__ == "sweep"
    assert jobs["code-sweeper"]["interval"] == 60 and jobs["code-sweeper"]["queue_name"] == "portal"
