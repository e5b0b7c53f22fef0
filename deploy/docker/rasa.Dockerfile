# syntax=docker/dockerfile:1
# Rasa 3.6 (Python 3.10) with the trained model and the production endpoints.
# Build from the repository root after `make train` (the model is not trained inside the image):
#   docker build -f deploy/docker/rasa.Dockerfile -t hotline-rasa .
# Runtime settings: the variables of bot/endpoints.production.yml (docs/production.md).
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONPATH=/app:/app/bot HOME=/home/hotline \
    TICKET_LOCK_LIFETIME=20

RUN useradd --uid 10001 --create-home --home-dir /home/hotline hotline
WORKDIR /app
COPY requirements/rasa.lock requirements/rasa.lock
RUN pip install --require-hashes -r requirements/rasa.lock

# the tokenizer component shares the knowledge base's text normalisation and jieba dictionary
COPY knowledge/__init__.py knowledge/textnorm.py knowledge/
COPY knowledge/jieba knowledge/jieba
COPY bot/config.yml bot/domain.yml bot/credentials.yml bot/endpoints.production.yml bot/logging.yml bot/
# JSON-line logs with the gateway's request ids (bot/logging.yml, bot/components/rasa_patches.py)
COPY observe observe
COPY bot/components bot/components
COPY bot/models/hotline.tar.gz bot/models/hotline.tar.gz
RUN python -m compileall -q knowledge observe bot/components

USER 10001
WORKDIR /app/bot
EXPOSE 5005
# GET / answers once the model is loaded (no token needed): the probes use it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=180s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=2)"
# Add --auth-token (Kubernetes: from the secret) so only the gateway can write trackers.
CMD ["rasa", "run", "--enable-api", "-p", "5005", "--model", "models/hotline.tar.gz", \
     "--endpoints", "endpoints.production.yml", "--credentials", "credentials.yml", \
     "--logging-config-file", "logging.yml"]
