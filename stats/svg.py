"""Charts drawn on the server as inline SVG: no JavaScript, no chart library, nothing from a CDN.

Each chart is an <svg role="img"> with <title> and <desc> (read by screen readers) and the page puts the
same numbers in a table next to it. Colours are not the only cue: the two lines of the weekly chart also
differ by dash and marker shape, and every bar carries its value as text.
"""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from . import numbers

INK = "#1b1f24"
MUTED = "#4d5560"
GRID = "#c9d0d9"
BLUE = "#0b4f8a"
GREEN = "#1c6b34"
WIDTH = 420


def _scale(value):
    """(top, step): a round axis maximum at or above `value` and the gridline step, at most 5 steps."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            step *= magnitude
            if value <= step * 5:
                top = max(step, -(-value // step) * step)
                return top, step
        magnitude *= 10


def _nice_max(value):
    return _scale(value)[0]


def _frame(chart_id, title, desc, height, body, *, width=WIDTH, font_size=14):
    return format_html(
        '<svg class="stats-chart" id="{id}" role="img" viewBox="0 0 {w} {h}" aria-labelledby="{id}-t" aria-describedby="{id}-d" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="{fs}">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>',
        id=chart_id,
        fs=font_size,
        w=width,
        h=height,
        title=title,
        desc=desc,
        body=mark_safe(body),
    )


def received_vs_answered(chart_id, series, title, desc):
    """Two lines over time: `series` is [(label, received, answered)]."""
    height, left, right, top, bottom = 280, 44, 12, 44, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value, step = _scale(max([max(r, a) for _, r, a in series] + [1]))
    n = len(series)

    def x(i):
        return left + (plot_w * (i + 0.5) / n if n else 0)

    def y(v):
        return top + plot_h - plot_h * v / top_value

    parts = []
    for i in range(int(top_value // step) + 1):
        value = i * step
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="{MUTED}">{numbers.decimal(value)}</text>'
        )
    label_every = max(1, -(-n // 5))
    for i, (label, _, _) in enumerate(series):
        if i % label_every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(label)}</text>"
            )
    received = " ".join(f"{x(i):.1f},{y(r):.1f}" for i, (_, r, _) in enumerate(series))
    answered = " ".join(f"{x(i):.1f},{y(a):.1f}" for i, (_, _, a) in enumerate(series))
    parts.append(f'<polyline points="{received}" fill="none" stroke="{BLUE}" stroke-width="2.5"/>')
    parts.append(
        f'<polyline points="{answered}" fill="none" stroke="{GREEN}" stroke-width="2.5" stroke-dasharray="7 4"/>'
    )
    if n <= 60:
        for i, (_, r, a) in enumerate(series):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(r):.1f}" r="3.5" fill="{BLUE}"/>')
            parts.append(
                f'<rect x="{x(i) - 3.5:.1f}" y="{y(a) - 3.5:.1f}" width="7" height="7" fill="{GREEN}"/>'
            )
    # legend
    parts.append(
        f'<line x1="{left}" x2="{left + 28}" y1="16" y2="16" stroke="{BLUE}" stroke-width="2.5"/>'
        f'<circle cx="{left + 14}" cy="16" r="3.5" fill="{BLUE}"/>'
        f'<text x="{left + 34}" y="21" fill="{INK}">поступило</text>'
        f'<line x1="{left + 140}" x2="{left + 168}" y1="16" y2="16" stroke="{GREEN}" stroke-width="2.5" '
        f'stroke-dasharray="7 4"/><rect x="{left + 150.5}" y="12.5" width="7" height="7" fill="{GREEN}"/>'
        f'<text x="{left + 174}" y="21" fill="{INK}">дано ответов</text>'
    )
    return _frame(chart_id, title, desc, height, "".join(parts))


def horizontal_bars(chart_id, items, title, desc, *, maximum=None, unit="", marker_label=""):
    """One bar per item: `items` is [(label, value or None, marker or None)]. A None value is written as
    «мало данных»; the optional marker (e.g. the 90th percentile) is a vertical tick on the bar's row."""
    row_h, top, left, right = 48, 8, 8, 8
    height = top + row_h * max(len(items), 1) + 8
    values = [v for _, v, _ in items if v is not None] + [m for _, _, m in items if m is not None]
    top_value = maximum or _nice_max(max([*values, 1]))
    plot_w = WIDTH - left - right
    parts = []
    for i, (label, value, marker) in enumerate(items):
        y0 = top + i * row_h
        parts.append(f'<text x="{left}" y="{y0 + 14}" fill="{INK}">{escape(label)}</text>')
        parts.append(
            f'<rect x="{left}" y="{y0 + 20}" width="{plot_w}" height="16" fill="#eef1f5" stroke="{GRID}"/>'
        )
        if value is None:
            parts.append(
                f'<text x="{WIDTH - right}" y="{y0 + 14}" text-anchor="end" fill="{MUTED}">мало данных</text>'
            )
            continue
        width = plot_w * min(value, top_value) / top_value
        parts.append(f'<rect x="{left}" y="{y0 + 20}" width="{width:.1f}" height="16" fill="{BLUE}"/>')
        text = f"{numbers.decimal(value)}{unit}"
        if marker is not None:
            mx = left + plot_w * min(marker, top_value) / top_value
            parts.append(
                f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{y0 + 16}" y2="{y0 + 40}" stroke="{INK}" stroke-width="3"/>'
            )
            text += f" · {marker_label} {numbers.decimal(marker)}{unit}"
        parts.append(
            f'<text x="{WIDTH - right}" y="{y0 + 14}" text-anchor="end" font-weight="600" fill="{INK}">'
            f"{escape(text)}</text>"
        )
    return _frame(chart_id, title, desc, height, "".join(parts))
