"""The deployment files (compose.yaml, Dockerfile, .dockerignore, docs/deploy.md) agree with the code.

No Docker engine runs here, so the files are read, their commands resolved against the repository,
and the worker, cron and bounce receiver health checks run against a real Redis and SMTP intake."""

from __future__ import annotations

import ast
import fnmatch
import importlib
import importlib.metadata
import importlib.util
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import yaml
from flask import Flask
from rq import SimpleWorker
from rq.cron import CronScheduler

from portal import create_app
from portal.bounces.receiver import BounceReceiver
from portal.config import ENVIRONMENT
from portal.devtools.embedded_redis import free_port

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = ("migrate", "web", "worker", "cron", "bounces")
AFTER_MIGRATE = ("web", "worker", "cron", "bounces")
# The processes' and the operators' settings; several are read outside portal.config.ENVIRONMENT (by the image,
# gunicorn.conf.py, worker.py, portal/cron_config.py and the metrics).
PROCESS_VARIABLES = ("PORTAL_ENV", "RQ_WORKER_CLASS", "WEB_CONCURRENCY", "PORT", "METRICS_TOKEN", "LOG_FORMAT",
                     "LOG_LEVEL", "SENTRY_DSN", "SENTRY_ENVIRONMENT", "READY_MAX_JOB_AGE", "PROMETHEUS_MULTIPROC_DIR",
                     "SATURDAY_CRON", "DB_PING_AFTER")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def documented() -> set[str]:
    """Variables that have a row of their own in one of deploy.md's tables (first cell)."""
    names = set()
    for line in (ROOT / "docs" / "deploy.md").read_text().splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    return names


@pytest.fixture(scope="module")
def dockerfile() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), one list per stage."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), " ".join(arguments.split())))
    return stages


def _one_app(**settings) -> Flask:
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})


def _python_check(service: dict) -> str:
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def _run_check(code: str, redis_url: str) -> int:
    env = {"REDIS_URL": redis_url, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], env=env, timeout=30).returncode


def _instructions(stage, name: str) -> list[str]:
    return [arguments for instruction, arguments in stage if instruction == name]


def _distribution(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules(paths) -> set[str]:
    """Top-level names of the absolute imports in these files."""
    modules = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


# --- compose.yaml ------------------------------------------------------------------------------------------------


def test_compose_runs_every_process_against_postgres_and_redis(compose, services):
    """The portal's five processes plus PostgreSQL 16 and Redis 7 with append-only persistence on volumes."""
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "--appendonly yes" in " ".join(services["redis"]["command"])
    for name in ("postgres", "redis"):
        volume = services[name]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"], name


def test_every_service_that_stays_up_has_a_health_check(services):
    """Each long-running service checks itself; the one-shot migration runs once instead."""
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), name
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert "/readyz" in _python_check(services["web"])


def test_app_services_wait_for_healthy_databases_and_the_migration(services):
    """Nothing starts before PostgreSQL and Redis are healthy; nothing but migrate before it has finished."""
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in AFTER_MIGRATE:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert "migrate" not in services["migrate"]["depends_on"]


def test_app_services_run_one_image_with_one_production_environment(services):
    """Same build, the compose network's PostgreSQL and Redis, secrets required, every setting passed through."""
    images = {(services[name]["build"], services[name]["image"]) for name in APP_SERVICES}
    assert len(images) == 1 and next(iter(images))[0] == "."
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["PORTAL_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://portal:${POSTGRES_PASSWORD:?")
        assert env["DATABASE_URL"].endswith("@postgres:5432/portal")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?") and env["PORTAL_URL"].startswith("${PORTAL_URL:?")
        assert env["LOG_FORMAT"] == "${LOG_FORMAT:-json}"
        missing = {variable for variable, _ in ENVIRONMENT.values()} - set(env)
        assert not missing, f"{name} does not pass {sorted(missing)}"


def test_web_and_worker_share_the_therapist_database_volume(compose, services):
    """The worker writes the therapist databases that the web process serves: one named volume for both."""
    directory = services["web"]["environment"]["THERAPIST_DB_DIR"]
    mounts = []
    for name in ("web", "worker"):
        assert services[name]["environment"]["THERAPIST_DB_DIR"] == directory
        mounts.append({mount for mount in services[name]["volumes"] if mount.endswith(":" + directory)})
    assert mounts[0] == mounts[1] and len(mounts[0]) == 1
    assert next(iter(mounts[0])).split(":")[0] in compose["volumes"]


def test_web_and_bounce_receiver_publish_their_ports(services):
    """gunicorn on 8000 and the SMTP intake on 2525, bound to the host's loopback for the proxy and Postfix."""
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]
    assert services["bounces"]["ports"] == ["127.0.0.1:2525:2525"]


def test_every_variable_compose_reads_is_documented(documented):
    """Each ${VAR} an operator can set in .env has a row in docs/deploy.md."""
    text = (ROOT / "compose.yaml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))
    assert {"POSTGRES_PASSWORD", "SECRET_KEY", "PORTAL_URL", "SENTRY_DSN"} <= used
    assert not used - documented, sorted(used - documented)


def test_every_setting_of_the_portal_is_documented(documented):
    """Every variable of portal.config.ENVIRONMENT and of the processes has a row in docs/deploy.md."""
    variables = {variable for variable, _ in ENVIRONMENT.values()} | set(PROCESS_VARIABLES)
    assert not variables - documented, sorted(variables - documented)


# --- the commands ------------------------------------------------------------------------------------------------


def test_web_command_serves_the_wsgi_app(services, monkeypatch):
    """``gunicorn wsgi:app`` names a module of the repository and a Flask app in it."""
    assert services["web"]["command"] == ["gunicorn", "wsgi:app"]
    module_name, attribute = services["web"]["command"][1].split(":")
    monkeypatch.setenv("PORTAL_ENV", "testing")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delitem(sys.modules, module_name, raising=False)
    assert isinstance(getattr(importlib.import_module(module_name), attribute), Flask)


def test_worker_command_runs_the_worker_script(services):
    """``python worker.py`` runs a script of the repository that starts the worker as a program, twice by default."""
    assert services["worker"]["deploy"]["replicas"] >= 2
    command = services["worker"]["command"]
    assert command[0] == "python"
    script = ROOT / command[1]
    assert script.name == "worker.py" and 'if __name__ == "__main__":' in script.read_text()


def test_cron_command_loads_the_portal_cron_config(services, cron_entries):
    """``rq cron`` gets a module that exists and registers the sweepers and the Saturday run."""
    words = shlex.split(services["cron"]["command"][-1])
    module = words[words.index("cron") + 1]
    assert words[words.index("cron") - 1] == "rq" and "--url" in words
    assert module == "portal.cron_config" and importlib.util.find_spec(module) is not None
    assert {"code-sweeper", "therapist-databases-saturday"} <= set(cron_entries)


@pytest.mark.parametrize("service", ["migrate", "bounces"])
def test_flask_commands_exist_with_the_options_compose_gives(services, service):
    """``flask --app wsgi …``: the CLI command exists and takes the options compose passes."""
    command = services[service]["command"]
    assert command[:3] == ["flask", "--app", "wsgi"]
    result = _one_app().test_cli_runner().invoke(args=[*command[3:], "--help"])
    assert result.exit_code == 0, result.output


# --- the health checks, run for real -----------------------------------------------------------------------------


def test_worker_health_check_sees_only_a_live_worker_of_its_own_host(services, redis_url):
    """Healthy while an RQ worker of this hostname is registered, unhealthy before and after, and for other hosts."""
    code = _python_check(services["worker"])
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    assert _run_check(code, redis_url) == 1
    elsewhere = SimpleWorker(["portal"], connection=connection)
    elsewhere.hostname = "another-container"
    elsewhere.register_birth()
    assert _run_check(code, redis_url) == 1
    here = SimpleWorker(["portal"], connection=connection)
    assert here.hostname == socket.gethostname()
    here.register_birth()
    assert _run_check(code, redis_url) == 0
    here.register_death()
    assert _run_check(code, redis_url) == 1


def test_cron_health_check_sees_only_a_live_scheduler_of_its_own_host(services, redis_url):
    """Healthy while this host's rq cron scheduler is registered with its hash alive."""
    code = _python_check(services["cron"])
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    assert _run_check(code, redis_url) == 1
    CronScheduler(connection=connection, name="another-container:1:abcdef").register_birth()
    assert _run_check(code, redis_url) == 1
    scheduler = CronScheduler(connection=connection)
    scheduler.register_birth()
    assert _run_check(code, redis_url) == 0
    connection.delete(scheduler.key)  # its hash expired: the heartbeats stopped
    assert _run_check(code, redis_url) == 1


def test_bounce_receiver_health_check_talks_smtp(services, redis_url):
    """The check passes against the running SMTP intake and fails when nothing listens."""
    code = _python_check(services["bounces"])
    port = free_port()
    moved = code.replace("2525", str(port))
    assert moved != code
    receiver = BounceReceiver(_one_app(), "127.0.0.1", port).start()
    try:
        assert _run_check(moved, redis_url) == 0
    finally:
        receiver.stop()
    assert _run_check(moved, redis_url) == 1


# --- Dockerfile and .dockerignore --------------------------------------------------------------------------------


def test_image_is_built_in_two_stages_on_slim_python(dockerfile):
    """A builder with the compilers and the final image, both on python:3.11-slim."""
    assert len(dockerfile) >= 2
    for stage in dockerfile:
        assert stage[0][1].split()[0] == "python:3.11-slim", stage[0]
    assert "AS builder" in dockerfile[0][0][1]
    builder_runs = " ".join(_instructions(dockerfile[0], "RUN"))
    assert "pip install -r" in builder_runs and "requirements.txt" in builder_runs
    assert "pybabel compile -d portal/translations" in builder_runs


def test_final_stage_has_no_build_tools(dockerfile):
    """Nothing installs packages or compilers in the image that runs."""
    runs = " ".join(_instructions(dockerfile[-1], "RUN"))
    for word in ("apt-get install", "gcc", "build-essential", "pip install"):
        assert word not in runs, word
    copied = [arguments for arguments in _instructions(dockerfile[-1], "COPY") if "--from=" in arguments]
    assert copied and all(arguments.split()[1] in ("/opt/venv", "/src/portal/translations") for arguments in copied)


def test_final_stage_runs_as_a_user_of_its_own(dockerfile):
    """The last USER is a created, unprivileged account, not root."""
    users = _instructions(dockerfile[-1], "USER")
    assert users
    name = users[-1].split(":")[0]
    assert name not in ("root", "0")
    assert any(re.search(rf"useradd .*--uid (\d+) .*\b{name}\b", run) for run in _instructions(dockerfile[-1], "RUN"))


def test_final_stage_runs_gunicorn_with_production_settings(dockerfile):
    """Default command gunicorn, the ports, a health check on /healthz and the process environment."""
    final = dockerfile[-1]
    assert _instructions(final, "CMD") == ['["gunicorn", "wsgi:app"]']
    assert set(" ".join(_instructions(final, "EXPOSE")).split()) == {"8000", "2525"}
    healthcheck = " ".join(_instructions(final, "HEALTHCHECK"))
    assert "urllib.request" in healthcheck and "http://127.0.0.1:8000/healthz" in healthcheck
    env = dict(word.split("=", 1) for arguments in _instructions(final, "ENV") for word in shlex.split(arguments))
    assert env["PORTAL_ENV"] == "production"
    assert env["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["PYTHONUNBUFFERED"] == "1"


def test_image_copies_files_that_exist_and_are_not_ignored(dockerfile):
    """Every path the Dockerfile copies from the repository is there and passes .dockerignore."""
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for pattern in (".venv", ".cache", ".git", "instance", "tests", "bench", "docs", "node_modules"):
        assert pattern in ignored, pattern
    sources = []
    for stage in dockerfile:
        for arguments in _instructions(stage, "COPY"):
            if "--from=" not in arguments:
                sources.extend(arguments.split()[:-1])
    assert {"requirements.txt", "portal", "migrations", "worker.py", "wsgi.py", "gunicorn.conf.py"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not any(fnmatch.fnmatch(source, pattern) or source.startswith(pattern + "/") for pattern in ignored), \
            source
    assert (ROOT / "portal/translations/en/LC_MESSAGES/messages.po").exists()


def test_image_installs_every_package_the_code_and_the_commands_need():
    """The image gets requirements.txt and nothing else: each third-party module the app's code
    imports, and each program the commands start, comes from a package pinned there."""
    pinned = {_distribution(line.split("==")[0]) for line in (ROOT / "requirements.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    code = [*(ROOT / "portal").rglob("*.py"), *(ROOT / name for name in ("worker.py", "wsgi.py", "gunicorn.conf.py")
                                                 if (ROOT / name).exists())]
    owners = importlib.metadata.packages_distributions()
    missing = {}
    for module in _imported_modules(code) - set(sys.stdlib_module_names) - {"portal"}:
        distributions = {_distribution(name) for name in owners.get(module, [])}
        if not distributions & pinned:
            missing[module] = sorted(distributions) or "not installed"
    assert not missing, f"imported but not in requirements.txt: {missing}"
    assert {"gunicorn", "rq", "flask", "flask-migrate", "babel", "psycopg"} <= pinned
