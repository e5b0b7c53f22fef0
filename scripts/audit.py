"""`make audit`: known vulnerabilities of every pinned package in requirements/*.lock (pip-audit).

Reads the locks as they are (hash-pinned, no resolution, nothing installed). Asks PyPI's
vulnerability data first, then OSV. When neither service answers for the pinned releases (no network,
or a mirror that serves no per-release data) it says so and exits 0: a missing audit is a warning,
not a failed build. Findings are printed; they fail the run only with AUDIT_STRICT=1. The README's
"Known vulnerabilities" section lists the findings and what mitigates each.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ["app.lock", "test.lock", "st.lock", "rasa.lock"]
SERVICES = ["pypi", "osv"]
TIMEOUT = int(os.environ.get("AUDIT_TIMEOUT", "15"))


def service_usable(service: str) -> str | None:
    """None when pip-audit gets an answer from the service for one known release; else why not."""
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.txt"
        probe.write_text("pip==24.0\n")
        deps, note = audit(probe, service, "--no-deps")
    if deps is not None:
        return None
    return note if "answered for none" not in note else f"{service}: no vulnerability data even for pip 24.0"


def audit(lock: Path, service: str, pins: str = "--require-hashes") -> tuple[list[dict] | None, str]:
    """(dependencies as pip-audit reports them, or None when the service could not be used; a note)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        cmd = [sys.executable, "-m", "pip_audit", "--disable-pip", pins, "-r", str(lock),
               "--vulnerability-service", service, "--timeout", str(TIMEOUT), "--progress-spinner", "off",
               "--format", "json", "--output", str(out)]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=20 * TIMEOUT + 60)
        except subprocess.TimeoutExpired:
            return None, f"{service}: no answer in time"
        if not out.exists() or not out.read_text().strip():
            last = (run.stderr.strip().splitlines() or ["no output"])[-1]
            return None, f"{service}: {last[:200]}"
        deps = json.loads(out.read_text())["dependencies"]
    audited = [d for d in deps if not d.get("skip_reason")]
    if not audited:
        return None, f"{service}: answered for none of the {len(deps)} pinned releases"
    return deps, f"{service}: {len(audited)} of {len(deps)} releases audited"


def main() -> int:
    try:
        import pip_audit  # noqa: F401
    except ImportError:
        print("error: pip-audit is not installed here; run `bash scripts/setup.sh test` (requirements/test.lock)")
        return 1
    findings, unaudited, down = 0, [], []
    services = []
    for service in SERVICES:
        why = service_usable(service)
        (down.append(why) if why else services.append(service))
    if not services:
        print("WARNING: no vulnerability service could be used, so no lock was audited:")
        for why in down:
            print(f"  {why}")
        print(f"WARNING: not audited: {', '.join(LOCKS)}. Run `make audit` where PyPI's or OSV's "
              "vulnerability data can be reached; the README's 'Known vulnerabilities' section lists "
              "what is known and what mitigates it.")
        return 0
    for name in LOCKS:
        lock = ROOT / "requirements" / name
        notes, deps = list(down), None
        for service in services:
            deps, note = audit(lock, service)
            notes.append(note)
            if deps is not None:
                break
        if deps is None:
            unaudited.append(name)
            print(f"WARNING: {name}: not audited, no vulnerability service could be used ({'; '.join(notes)})")
            continue
        vulnerable = [d for d in deps if d.get("vulns")]
        skipped = [d for d in deps if d.get("skip_reason")]
        print(f"{name}: {notes[-1]}; {len(vulnerable)} with known vulnerabilities"
              + (f"; {len(skipped)} skipped" if skipped else ""))
        for d in vulnerable:
            for v in d["vulns"]:
                fix = ", ".join(v.get("fix_versions") or []) or "no fix"
                aliases = ", ".join(v.get("aliases") or [])
                print(f"  {d['name']} {d['version']}: {v['id']}" + (f" ({aliases})" if aliases else "")
                      + f" — fixed in: {fix}")
                findings += 1
    if unaudited:
        print(f"WARNING: {len(unaudited)} lock(s) not audited: {', '.join(unaudited)}. "
              "Run `make audit` where PyPI's or OSV's vulnerability data can be reached; "
              "the README's 'Known vulnerabilities' section lists what is known and what mitigates it.")
    if findings:
        print(f"{findings} known vulnerabilities (see the README's 'Known vulnerabilities' for mitigations)")
    return 1 if findings and os.environ.get("AUDIT_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
