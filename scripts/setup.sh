#!/usr/bin/env bash
# Create or refresh the Python environments from the hash-pinned lock files (PyPI only):
#   bash scripts/setup.sh        what `make run` needs:
#       .venv/rasa  Python 3.10  requirements/rasa.lock  (Rasa 3.6 needs Python <= 3.10)
#       .venv/app   Python 3.11  requirements/app.lock   (action server, retrieval, gateway; no torch)
#   bash scripts/setup.sh test   the above, then into .venv/app what `make test` needs too:
#       requirements/test.lock   (pytest, playwright, pip-audit, schemathesis, ...)
#       torch==2.13.0, CPU build (see install_torch_cpu) + requirements/st.lock (sentence-transformers
#       backend and its test model)
# Every lock is installed with --require-hashes. Safe to run again: a lock already installed
# (its sha256 recorded in .venv/<env>/.installed-<lock>) is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=2.13.0

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

find_python() {  # $1 = version like 3.10
  local v=$1 var="PYTHON${1/./}" cand
  if [ -n "${!var:-}" ]; then echo "${!var}"; return 0; fi
  for cand in "python$v" $(command -v pyenv >/dev/null 2>&1 && ls -d "$(pyenv root)"/versions/"$v".*/bin/python"$v" 2>/dev/null | sort -V -r) /usr/bin/python"$v" /usr/local/bin/python"$v"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import sys, venv; assert sys.version_info[:2] == tuple(map(int, '$v'.split('.')))" 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}

pip_quiet() {  # pip with its progress lines (Collecting …); its whole output is shown when it fails
  local log rc
  log=$(mktemp)
  set +e
  "$@" --progress-bar off 2>&1 | tee "$log" | grep -E --line-buffered "^(Collecting|Installing|Successfully)"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ]; then grep -v -E "^WARNING: Location '.*' is ignored" "$log" | tail -40 >&2; fi
  rm -f "$log"
  return "$rc"
}

ensure_venv() {  # $1 name  $2 python version
  local dir=".venv/$1" py
  [ -x "$dir/bin/python" ] && return 0
  py=$(find_python "$2") || die "Python $2 was not found. Install it (e.g. 'pyenv install $2') or set PYTHON${2/./}=/path/to/python$2."
  say "environment $1: creating $dir with $py"
  "$py" -m venv "$dir"
  pip_quiet "$dir/bin/python" -m pip install --upgrade pip wheel
}

lock_current() {  # $1 env  $2 lock: true when this lock's exact content is installed there
  [ "$(cat ".venv/$1/.installed-$(basename "$2")" 2>/dev/null)" = "$(sha256sum "$2" | cut -d' ' -f1)" ]
}

install_lock() {  # $1 env  $2 lock  $3 what (for the progress line)
  local env=$1 lock=$2 t0=$SECONDS
  if lock_current "$env" "$lock"; then
    say "environment $env: up to date ($lock)"
    return 0
  fi
  say "environment $env: installing $lock — $3"
  pip_quiet ".venv/$env/bin/python" -m pip install --require-hashes -r "$lock"
  sha256sum "$lock" | cut -d' ' -f1 > ".venv/$env/.installed-$(basename "$lock")"
  say "environment $env: $lock ready ($((SECONDS - t0)) s)"
}

local_torch_wheel() {  # a CPU wheel of torch $TORCH_VERSION for this interpreter in pip's find-links, if any
  local tag links dir f
  tag=$(.venv/app/bin/python -c "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')")
  links="${PIP_FIND_LINKS:-} $(.venv/app/bin/python -m pip config get global.find-links 2>/dev/null || true)"
  for dir in $links; do
    dir=${dir#file://}
    for f in "$dir"/torch-"$TORCH_VERSION"+cpu-"$tag"-"$tag"-*linux*_x86_64.whl; do
      if [ -f "$f" ]; then echo "$f"; return 0; fi
    done
  done
  return 0
}

install_torch_cpu() {
  # torch is not in the locks: PyPI's Linux wheel of torch is the CUDA build (several GB with its
  # nvidia-* dependencies). The CPU build comes, in this order, from:
  #   TORCH_WHEEL=/path/to/torch-…+cpu-….whl      a file you provide
  #   a torch-$TORCH_VERSION+cpu wheel in pip's find-links (this machine keeps one in /opt/wheels)
  #   TORCH_INDEX_URL, default https://download.pytorch.org/whl/cpu (PyTorch's CPU-only index)
  # --no-deps: its dependencies (filelock, fsspec, jinja2, networkx, sympy, typing-extensions)
  # are in requirements/st.lock, hash-pinned.
  local have wheel
  have=$(.venv/app/bin/python -c "import importlib.metadata as m; print(m.version('torch'))" 2>/dev/null || true)
  if [ "${have%%+*}" = "$TORCH_VERSION" ]; then
    say "environment app: torch $have already installed"
    return 0
  fi
  wheel=${TORCH_WHEEL:-$(local_torch_wheel)}
  if [ -n "$wheel" ]; then
    say "environment app: installing torch $TORCH_VERSION (CPU build) from $wheel"
    pip_quiet .venv/app/bin/python -m pip install --no-deps "$wheel"
  else
    local index=${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}
    say "environment app: installing torch $TORCH_VERSION (CPU build) from $index"
    pip_quiet .venv/app/bin/python -m pip install --no-deps --index-url "$index" "torch==$TORCH_VERSION"
  fi
}

what=${1:-run}
case $what in run|test) ;; *) die "usage: $0 [run|test]";; esac

mkdir -p .venv
ensure_venv rasa 3.10
install_lock rasa requirements/rasa.lock "Rasa 3.6 (a few minutes on a new machine)"
ensure_venv app 3.11
install_lock app requirements/app.lock "the runtime (about a minute on a new machine)"

if [ "$what" = test ]; then
  install_lock app requirements/test.lock "test tools"
  if ! lock_current app requirements/st.lock; then
    install_torch_cpu
  fi
  install_lock app requirements/st.lock "optional sentence-transformers backend and its test model"
  .venv/app/bin/python -m pip check >/dev/null || { .venv/app/bin/python -m pip check; die "inconsistent .venv/app"; }
fi
