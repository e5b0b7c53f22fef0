#!/usr/bin/env bash
# Create the two Python environments when missing or when their lock file changed:
#   .venv/rasa  Python 3.10  requirements/rasa.lock  (Rasa 3.6 needs Python <= 3.10)
#   .venv/app   Python 3.11  requirements/app.lock   (action server, retrieval, gateway, tests)
# Safe to run again: an environment whose lock is unchanged is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

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

pip_quiet() {  # pip with progress lines, without the machine's find-links noise
  "$@" --progress-bar off 2>&1 | grep -v -E "^WARNING: Location '.*' is ignored" | \
    grep -E --line-buffered "^(Collecting|Installing|Successfully|ERROR|error)" || true
  return "${PIPESTATUS[0]}"
}

ensure_env() {  # $1 name  $2 python version  $3 lock file  [$4 package installed first]
  local name=$1 ver=$2 lock=$3 first=${4:-} dir=".venv/$1" py stamp want
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  stamp="$dir/.installed-lock"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "environment $name: up to date ($lock)"
    return 0
  fi
  if [ ! -x "$dir/bin/python" ]; then
    py=$(find_python "$ver") || die "Python $ver was not found. Install it (e.g. 'pyenv install $ver') or set PYTHON${ver/./}=/path/to/python$ver."
    say "environment $name: creating $dir with $py"
    "$py" -m venv "$dir"
    pip_quiet "$dir/bin/python" -m pip install --upgrade pip wheel
  fi
  if [ -n "$first" ]; then
    say "environment $name: installing $first first"
    pip_quiet "$dir/bin/python" -m pip install "$first"
  fi
  say "environment $name: installing $lock (a few minutes on a new machine)"
  pip_quiet "$dir/bin/python" -m pip install -r "$lock"
  echo "$want" > "$stamp"
  say "environment $name: ready"
}

mkdir -p .venv
ensure_env rasa 3.10 requirements/rasa.lock
# torch first, pinned: any other spec pulls a multi-GB CUDA build (see README).
ensure_env app 3.11 requirements/app.lock torch==2.13.0
