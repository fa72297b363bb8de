"""Sizes and counts as the estimate prints them, in a unit that shows them: memory given in GiB prints in GiB from
0.1 GiB up and in MiB or KiB below (a tiny model's parts are not "0.00 GiB"); parameter counts in B, M or K."""

from __future__ import annotations


def size_text(gib: float, digits: int = 2) -> str:
    """``gib`` GiB as text: ``'15.62 GiB'``, ``'0.50 GiB'`` (``digits`` decimals in GiB), ``'41 MiB'``, ``'3.2 MiB'``,
    ``'96 KiB'``, ``'<1 KiB'``; ``'0'`` for nothing."""
    if gib >= 0.1:
        return f"{gib:.{digits}f} GiB"
    mib = gib * 1024
    if mib >= 10:
        return f"{mib:.0f} MiB"
    if mib >= 0.1:
        return f"{mib:.1f} MiB"
    kib = mib * 1024
    if kib >= 1:
        return f"{kib:.0f} KiB"
    return "<1 KiB" if gib > 0 else "0"


def count_text(n: int) -> str:
    """A parameter count: ``'8.03B'``, ``'124.4M'``, ``'412.5K'``, ``'96'``."""
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= scale:
            return f"{n / scale:.2f}B" if unit == "B" else f"{n / scale:.1f}{unit}"
    return str(n)
