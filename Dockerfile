# syntax=docker/dockerfile:1
# The portal's one image: web (the default command), worker, cron, bounce receiver and migrations
# differ only in their command (see compose.yaml and docs/deploy.md).

# --- builder: compilers, the pinned requirements in a venv, the compiled catalogue ---------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

WORKDIR /src
COPY portal/translations portal/translations
RUN pybabel compile -d portal/translations

# --- final: the venv and the app code, nothing to compile with ----------------------------------
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORTAL_ENV=production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home --shell /usr/sbin/nologin portal

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY portal portal
COPY migrations migrations
COPY worker.py wsgi.py gunicorn.conf.py ./
COPY --from=builder /src/portal/translations portal/translations

# Byte code once at build time (PYTHONDONTWRITEBYTECODE keeps the running processes from writing
# it). The writable places belong to the portal user; a fresh named volume on /data/therapist-dbs
# takes over this directory's owner.
RUN python -m compileall -q portal worker.py wsgi.py gunicorn.conf.py \
    && mkdir -p /app/instance /data/therapist-dbs /tmp/prometheus \
    && chown portal:portal /app/instance /data/therapist-dbs /tmp/prometheus

USER portal:portal

EXPOSE 8000 2525

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["gunicorn", "wsgi:app"]
