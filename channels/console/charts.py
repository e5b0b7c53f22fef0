"""Charts for the supervisor dashboard, drawn as SVG on the server (no chart library, no script).

Every text is escaped; sizes are fixed so the page lays them out without measuring.
"""
from __future__ import annotations

from html import escape
from typing import Sequence

PALETTE = ("#2a6fdb", "#e07b39", "#3a9d5d", "#b04a8f", "#7a7a7a", "#c9a227")
FONT = "font-family=\"'Noto Sans TC','Microsoft JhengHei',sans-serif\""


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT} font-size="12">'
            f'<title>{escape(title)}</title>' + "".join(body) + "</svg>")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(rows: Sequence[tuple[str, float]], title: str, *, width: int = 460, empty: str = "-") -> str:
    """Horizontal bars, one per (label, value), largest value full width."""
    bar_h, gap, label_w, top = 18, 8, 150, 28
    height = top + max(1, len(rows)) * (bar_h + gap) + 8
    body = [f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    if not rows:
        body.append(f'<text x="0" y="{top + 14}" fill="#777">{escape(empty)}</text>')
        return _svg(width, height, title, body)
    top_value = max(v for _, v in rows) or 1
    room = width - label_w - 60
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1, round(room * value / top_value)) if value else 0
        short = label if len(label) <= 12 else label[:11] + "…"
        body.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end"><title>{escape(label)}</title>'
                    f'{escape(short)}</text>')
        body.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="2" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(f'<text x="{label_w + w + 4}" y="{y + 13}">{escape(_fmt(value))}</text>')
    return _svg(width, height, title, body)


def column_chart(points: Sequence[tuple[str, Sequence[float]]], series: Sequence[str], title: str, *,
                 width: int = 940, height: int = 220) -> str:
    """Columns per point (e.g. per day), one colour per series, with a legend and the first/last labels."""
    left, top, bottom = 40, 40, 30
    plot_w, plot_h = width - left - 10, height - top - bottom
    body = [f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for j, name in enumerate(series):
        x = 200 + j * 140
        body.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
                    f'<text x="{x + 16}" y="16">{escape(name)}</text>')
    top_value = max([max(v) for _, v in points if v] + [1])
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    body.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{escape(_fmt(top_value))}</text>')
    body.append(f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>')
    if points:
        slot = plot_w / len(points)
        col = max(1.0, slot / max(1, len(series)) * 0.8)
        for i, (label, values) in enumerate(points):
            for j, v in enumerate(values):
                h = plot_h * v / top_value
                x = left + i * slot + j * col
                body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{col:.1f}" height="{h:.1f}" '
                            f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(label)} {escape(series[j])} '
                            f'{escape(_fmt(v))}</title></rect>')
        for i in sorted({0, len(points) - 1}):
            anchor = "start" if i == 0 else "end"
            x = left if i == 0 else left + plot_w
            body.append(f'<text x="{x}" y="{height - 8}" text-anchor="{anchor}">{escape(points[i][0])}</text>')
    return _svg(width, height, title, body)
