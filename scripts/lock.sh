#!/usr/bin/env bash
# Regenerate requirements/*.lock from requirements/*.in: exact pins with sha256 hashes, resolved
# from PyPI alone (uv reads no pip configuration, so no local wheel directory or extra index leaks
# in), for Linux x86_64. Versions already in a lock are kept unless an .in file asks otherwise;
# `UPGRADE=1 make lock` lets them move. uv is installed into .venv/tools on first use.
#   app.lock   runtime of .venv/app (Python 3.11)          — make run
#   test.lock  runtime + test tools (Python 3.11)           — make test
#   st.lock    runtime + sentence-transformers backend, without torch itself (setup.sh installs the
#              CPU build of torch, then this lock; torch's own dependencies are in it)
#   rasa.lock  Rasa 3.6 (Python 3.10)                       — .venv/rasa
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! .venv/tools/bin/uv --version 2>/dev/null | grep -q " $UV_VERSION"; then
  say "installing uv $UV_VERSION into .venv/tools"
  py=${PYTHON311:-$(command -v python3.11 || command -v python3)}
  "$py" -m venv .venv/tools
  .venv/tools/bin/python -m pip install --quiet --progress-bar off "uv==$UV_VERSION"
fi
uv=.venv/tools/bin/uv
export UV_NO_CONFIG=1   # uv's default index (PyPI) only
unset UV_INDEX_URL UV_DEFAULT_INDEX UV_INDEX UV_EXTRA_INDEX_URL UV_FIND_LINKS
up=(); [ -n "${UPGRADE:-}" ] && up=(--upgrade)
common=(--generate-hashes --python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" "${up[@]}")

say "requirements/app.lock (runtime, Python 3.11)"
$uv pip compile requirements/app.in -o requirements/app.lock --python-version 3.11 "${common[@]}"
say "requirements/test.lock (runtime + test tools, Python 3.11)"
$uv pip compile requirements/test.in -o requirements/test.lock --python-version 3.11 -c requirements/app.lock "${common[@]}"

# torch's dependencies differ between its CPU build (a few pure-Python packages) and PyPI's CUDA
# build (nvidia-* wheels, triton): resolve st.in against the CPU build's metadata, then leave torch
# itself out of the lock. The CPU wheel comes from PyTorch's CPU index, or from a local wheel
# directory when TORCH_CPU_WHEELS names one (this machine: /opt/wheels).
cpu_src=(--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match)
if [ -z "${TORCH_CPU_WHEELS:-}" ]; then   # a local wheel directory pip knows of that holds the CPU build
  for d in ${PIP_FIND_LINKS:-} $(python3 -m pip config get global.find-links 2>/dev/null || true); do
    d=${d#file://}; ls "$d"/torch-2.13.0+cpu-*.whl >/dev/null 2>&1 && { TORCH_CPU_WHEELS=$d; break; }
  done
fi
[ -n "${TORCH_CPU_WHEELS:-}" ] && cpu_src=(--find-links "$TORCH_CPU_WHEELS")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "torch==2.13.0+cpu" > "$tmp/torch-cpu.txt"
say "requirements/st.lock (runtime + sentence-transformers, torch left out, Python 3.11)"
$uv pip compile requirements/st.in -o requirements/st.lock --python-version 3.11 -c requirements/test.lock \
  --override "$tmp/torch-cpu.txt" "${cpu_src[@]}" --no-emit-package torch "${common[@]}"
say "requirements/rasa.lock (Rasa, Python 3.10)"
$uv pip compile requirements/rasa.in -o requirements/rasa.lock --python-version 3.10 "${common[@]}"
if grep -nE '^[A-Za-z0-9_.-]+==[^ ]*\+' requirements/*.lock; then
  echo "error: a lock pins a local version (+...); it would install on this machine only" >&2; exit 1
fi
say "locks written; commit requirements/*.lock"
