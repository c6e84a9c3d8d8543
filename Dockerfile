# syntax=docker/dockerfile:1
# One image for every process: the API (default CMD), `clockify-tracker migrate`,
# `celery -A worker worker|beat|flower`. See docker-compose.yml for how each is started.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the project and its pinned runtime dependencies into /opt/venv ---------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# README.md is part of the package metadata (pyproject `readme`), so hatchling needs it.
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY worker ./worker

# Non-editable, no extras: the `local`/`dev` extras (embedded PostgreSQL/Redis, SMTP sink,
# pytest...) are for `make dev`/`make test` only. constraints.txt pins every version.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -c constraints.txt .

# --- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

# app runs the API, beat and Flower. The worker runs as root only to start each automation
# script as clockify-scripts (AUTOMATION_RUN_AS_USER), which owns nothing and can read neither
# the worker's environment (its secrets) nor the service's var/.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app \
    && groupadd --system --gid 10002 clockify-scripts \
    && useradd --system --uid 10002 --gid clockify-scripts --home-dir /nonexistent \
        --no-create-home --shell /usr/sbin/nologin clockify-scripts

WORKDIR /app

COPY --from=build /opt/venv /opt/venv
# `clockify-tracker migrate` reads alembic.ini from the current directory.
COPY alembic.ini ./
COPY alembic ./alembic

# var/: Celery beat's schedule file (CELERY_BEAT_SCHEDULE_FILE, default var/celerybeat-schedule).
# automations/: the default AUTOMATIONS_DIR (relative to /app), root's: scripts read it, never
# write it. var/ is app's alone (0700), out of the scripts' reach.
RUN mkdir -p var automations && chown app:app var && chmod 0700 var

USER app

EXPOSE 8000

# Liveness of the API (the default CMD). docker-compose.yml replaces it for the other processes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["clockify-tracker", "api", "--host", "0.0.0.0", "--port", "8000"]
