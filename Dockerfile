# Fluxori Assistant: the FastAPI API and the Gradio UI in one process (`fluxori serve`). The same image runs
# the knowledge-base ingestion job (Cloud Run overrides the command with `fluxori ingest kb ...`).
#
#   docker build --platform linux/amd64 -t IMAGE .      # Cloud Run runs linux/amd64
#   docker run --rm -p 8080:8080 -e FLUXORI_MODE=local -e FIRESTORE_EMULATOR_HOST=host.docker.internal:8085 IMAGE
#
# The image defaults to gcp mode (FLUXORI_MODE=gcp; Cloud Run adds the other FLUXORI_* settings, see
# terraform/modules/stack/env.tf). It has no Firestore emulator (no Java, no gcloud): to try it locally, switch to
# local mode and point it at an emulator that runs elsewhere (FIRESTORE_EMULATOR_HOST), as above.
#
# Two stages: the builder has the compilers some dependencies need (hnswlib ships only as source) and creates
# /opt/venv; the runtime image gets that venv and nothing else, runs as a non-root user, and has no build tools.

# Both stages use the same base (pin it by digest, python:3.11-slim-bookworm@sha256:..., for byte-for-byte
# rebuilds; the tag follows Python 3.11 security releases).

# --- builder ----------------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./

# 1. torch. requirements.lock pins the CPU-only build (torch==2.13.0+cpu), which PyPI does not carry under that
#    version: it comes from the PyTorch CPU index, taken from there alone (--index-url, not --extra-index-url,
#    so no other package can be pulled from a second index). --no-deps: its dependencies are pinned in the
#    lock and installed in step 2.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN TORCH_PIN="$(grep -E '^torch==' requirements.lock)" \
    && test -n "$TORCH_PIN" \
    && pip install --no-deps --index-url "$TORCH_INDEX_URL" "$TORCH_PIN"

# 2. The app's runtime dependencies (pyproject [project].dependencies), every one at the exact version of
#    requirements.lock (-c). The lock also pins the test tools (pytest, playwright, ...); constraints install
#    nothing by themselves, so those stay out of the image.
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/runtime.txt', 'w').write('\n'.join(deps) + '\n')" \
    && pip install -c requirements.lock -r /tmp/runtime.txt

# 3. The app itself, without touching the dependencies installed above; then prove the venv is consistent.
COPY app ./app
COPY assistant ./assistant
COPY domain ./domain
COPY ingestion ./ingestion
COPY retrieval ./retrieval
COPY ui ./ui
RUN pip install --no-deps . \
    && pip check \
    && fluxori --help > /dev/null

# --- runtime ----------------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="fluxori-assistant" \
      org.opencontainers.image.description="Fluxori Assistant: API and UI (fluxori serve) and ingestion job"

# PORT is what Cloud Run sets (8080 unless configured otherwise). FLUXORI_MODE=gcp: the image is built for
# Google Cloud (Firestore, Vertex AI); FLUXORI_HOST makes the CLI's other entry points agree with the CMD below.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8080 \
    FLUXORI_MODE=gcp \
    FLUXORI_HOST=0.0.0.0

RUN groupadd --system --gid 10001 fluxori \
    && useradd --system --uid 10001 --gid fluxori --create-home --home-dir /home/fluxori \
       --shell /usr/sbin/nologin fluxori

# Owned by root and read-only for the app user: the code cannot be modified at run time.
COPY --from=builder /opt/venv /opt/venv

USER 10001:10001
# Local-mode data (FLUXORI_DATA_DIR, default .fluxori) lands in the user's home.
WORKDIR /home/fluxori

EXPOSE 8080

# Slim images have no curl: ask /healthz with the standard library. (Cloud Run ignores HEALTHCHECK and uses
# the startup and liveness probes of terraform/modules/cloud_run_service; this one serves docker run/compose.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]

# `fluxori serve --host 0.0.0.0 --port $PORT`, through sh -c so that $PORT expands; exec makes fluxori PID 1, so
# it receives Cloud Run's SIGTERM directly and uvicorn shuts down gracefully. The ingestion job replaces this with
# `fluxori ingest kb gs://... --org ORG --shard auto` (terraform/modules/ingest_job).
CMD ["sh", "-c", "exec fluxori serve --host 0.0.0.0 --port \"${PORT:-8080}\""]
