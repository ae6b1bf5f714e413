"""``/chart``: the equity curve and the daily PnL as one PNG.

matplotlib's object API with the Agg canvas, never ``pyplot``: no global figure registry, no GUI
backend, safe from any thread. It runs on the Telegram command worker, never on an actor thread.
(It still holds the GIL while drawing, ~0.1-0.3 s for a small figure; that is why the figure is
small and the call is rare.)
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any


def render_chart(equity: Sequence[Any], daily: Sequence[Any]) -> bytes:
    """PNG bytes. ``equity``: ``storage.EquitySnapshot`` oldest first; ``daily``: ``PnlBucket`` per day."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 6), dpi=90)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, gridspec_kw={"height_ratios": [2, 1]})
    if equity:
        times = [dt.datetime.fromtimestamp(p.ts_ms / 1000, tz=dt.UTC) for p in equity]
        top.plot(times, [p.equity for p in equity], color="#1f77b4", label="equity")
        top.plot(times, [p.wallet_balance for p in equity], color="#999999", linewidth=0.8, label="wallet")
        top.legend(loc="upper left", fontsize=8)
        figure.autofmt_xdate()
    else:
        top.text(0.5, 0.5, "no equity snapshots yet", ha="center", va="center", transform=top.transAxes)
    top.set_title("Equity (USDC, UTC)")
    top.grid(True, alpha=0.3)
    if daily:
        values = [b.pnl for b in daily]
        bottom.bar([b.key[5:] for b in daily], values, color=["#2ca02c" if v >= 0 else "#d62728" for v in values])
        bottom.axhline(0, color="black", linewidth=0.6)
    else:
        bottom.text(0.5, 0.5, "no closed trades yet", ha="center", va="center", transform=bottom.transAxes)
    bottom.set_title("Realized PnL per day (USDC)")
    bottom.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_caption(equity: Sequence[Any], daily: Sequence[Any]) -> str:
    if not equity:
        return "Equity curve: no snapshots yet (one every 5 minutes of bot time)."
    last = equity[-1]
    total = sum(b.pnl for b in daily)
    return (f"Equity curve: {len(equity)} points, last {last.equity:.2f} USDC; realized PnL over "
            f"{len(daily)} day(s): {total:+.2f} USDC")
