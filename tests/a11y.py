"""axe-core in a page (tests/vendor/axe-core, vendored from npm): the serious and critical findings.

The page's CSP forbids injected scripts, so the browser context must be made with ``bypass_csp=True``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_problems(page, include: str | None = None) -> list[dict[str, Any]]:
    """[{id, impact, help, targets}] of serious/critical axe findings on the page (or under ``include``)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async (include) => {
        const r = await window.axe.run(include ? { include: [include] } : document,
                                       { resultTypes: ['violations'] });
        return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                        targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }));
    }""", include)
    return [v for v in result if v["impact"] in BLOCKING]
