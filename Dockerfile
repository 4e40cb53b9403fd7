# syntax=docker/dockerfile:1
# Pathfinder's image: exactly the pins in uv.lock (hashes checked), the project as a wheel, run
# as a non-root user. Build: docker build -t pathfinder:0.1.0 .
# Default command: the Slack app in HTTP mode on port 3000. Others on the same image:
#   pathfinder serve                      Socket Mode (SLACK_APP_TOKEN set); health on 8081
#   pathfinder worker                     the answer worker (PostgreSQL); health on 8081
#   sh -c "pathfinder db upgrade && pathfinder catalogue load"    the one-off migration
# See deploy/README.md.

# Build and runtime share one base, so the venv's python symlink points at the same interpreter.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
# The same uv as the Makefile's UV_VERSION (tests/test_deploy.py checks they agree).
ARG UV_VERSION=0.13.9
ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m pip install "uv==${UV_VERSION}"
WORKDIR /src

# Dependencies first, in their own layer (rebuilt only when the lock changes). `uv export
# --locked` fails if pyproject.toml changed without uv.lock; `--require-hashes` refuses any file
# whose hash is not in the lock. The same two steps tests/test_packaging.py runs.
COPY pyproject.toml uv.lock README.md ./
RUN uv export --locked --no-dev --no-emit-project --extra postgres \
        --format requirements-txt --output-file /tmp/requirements.txt \
 && uv venv /opt/venv --python /usr/local/bin/python3.11 \
 && uv pip install --python /opt/venv/bin/python --require-hashes -r /tmp/requirements.txt

# Then the project itself, as the wheel `make wheel` builds (knowledge/ and prompts/ inside), so
# the runtime needs no source tree. --no-deps: every dependency came from the lock above.
COPY bot ./bot
COPY knowledge ./knowledge
COPY prompts ./prompts
RUN uv build --wheel --out-dir /tmp/dist \
 && uv pip install --python /opt/venv/bin/python --no-deps /tmp/dist/pathfinder-*.whl


FROM ${PYTHON_IMAGE} AS runtime
# A fixed uid/gid, so Kubernetes' runAsNonRoot can check it and volumes can be chowned to it.
RUN groupadd --system --gid 10001 pathfinder \
 && useradd --system --uid 10001 --gid pathfinder --no-create-home \
        --home-dir /var/lib/pathfinder --shell /usr/sbin/nologin pathfinder \
 && install -d -o pathfinder -g pathfinder -m 0750 /var/lib/pathfinder
COPY --from=build /opt/venv /opt/venv
COPY deploy/healthcheck.py /opt/pathfinder/healthcheck.py

# PATHFINDER_DATA_DIR holds the default SQLite file (a one-container trial; mount a volume
# there to keep it). With PostgreSQL nothing is written to it. No VOLUME line: it would leave an
# anonymous volume behind every `docker run` of the one-off commands.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PATHFINDER_DATA_DIR=/var/lib/pathfinder
WORKDIR /var/lib/pathfinder
USER 10001:10001

# 3000: HTTP mode (Slack's requests, /livez, /readyz, /metrics). 8081: the health port
# (PATHFINDER_HEALTH_PORT) of Socket Mode and the worker.
EXPOSE 3000 8081
# SIGTERM starts the drain (PATHFINDER_DRAIN_SECONDS, default 25): give `docker stop` -t 40.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "/opt/pathfinder/healthcheck.py"]
CMD ["pathfinder", "serve", "--http", "--port", "3000"]
