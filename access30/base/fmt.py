"""French number formatting shared by the command line, the app, the maps, the tables and the report.

Every helper returns « – » for a missing or infinite value. Separators: a narrow no-break space
(U+202F) between thousands and before « % » on screen; the PDF report asks for a plain no-break
space (U+00A0), as ReportLab may break lines at U+202F.
"""

from __future__ import annotations

import numpy as np

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"
MISSING = "–"


def _missing(value) -> bool:
    return value is None or not np.isfinite(value)


def fmt_int(value: float, sep: str = NARROW_NBSP) -> str:
    """Whole number with French thousands separators: ``176 836``."""
    if _missing(value):
        return MISSING
    return f"{value:,.0f}".replace(",", sep)


def fmt_pct(share: float, digits: int = 1, sep: str = NARROW_NBSP) -> str:
    """A share (0–1) as a French percentage: ``98,8 %``."""
    if _missing(share):
        return MISSING
    return f"{100 * share:.{digits}f}".replace(".", ",") + sep + "%"


def fmt_min(value: float, digits: int = 1, sep: str = " ") -> str:
    """Minutes with a decimal comma: ``11,3 min``."""
    if _missing(value):
        return MISSING
    return f"{value:.{digits}f}".replace(".", ",") + sep + "min"


def fmt_num(value: float) -> str:
    """A number in its shortest form with a decimal comma, thousands separated and never in exponent
    form: ``1,3``, ``30``, ``4,5``, ``1 186,6``, ``12 000``."""
    if _missing(value):
        return MISSING
    return fmt_given(float(f"{value:.12g}"))


def fmt_given(value: float) -> str:
    """A number a user gave, quoted back in a message: shortest form, thousands separated, decimal
    comma (``0``, ``100 000``, ``22,5``); « non numérique » or « infini » for what is not a number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if np.isnan(value):
        return "non numérique"
    if not np.isfinite(value):
        return "infini" if value > 0 else "moins l'infini"
    whole, _, decimals = f"{abs(value):.6f}".rstrip("0").partition(".")
    text = f"{int(whole):,}".replace(",", NARROW_NBSP) + (f",{decimals}" if decimals else "")
    return ("-" if value < 0 else "") + text


def fmt_dec(value: float, digits: int = 1, sep: str = NARROW_NBSP) -> str:
    """A number with ``digits`` decimals, thousands separators and a decimal comma: ``1 234,5``."""
    if _missing(value):
        return MISSING
    return f"{value:,.{digits}f}".replace(",", "\x00").replace(".", ",").replace("\x00", sep)


def fmt_points(delta_share: float, digits: int = 2) -> str:
    """A change of share (0–1 scale) in signed percentage points: ``+0,35 pt``."""
    if _missing(delta_share):
        return MISSING
    return f"{100 * delta_share:+.{digits}f}".replace(".", ",") + " pt"


def round_up_minutes(minutes, decimals: int = 2) -> np.ndarray:
    """Per-unit times rounded *up* to ``decimals`` of a minute (inf and NaN kept).

    Coverage is decided on exact times (30:00 inclusive); rounding up keeps every shown time
    consistent with its status: a unit shown at or under a threshold (a multiple of the step) is
    covered, and one at 30:00.5 shows 30,01 and « non couvert », never 30,00. Float noise below a
    millionth of the step is absorbed first, so that 30:00 computed as 1800.0000001 s stays 30,00.
    """
    values = np.asarray(minutes, dtype=float)
    scale = 10.0 ** decimals
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values), np.ceil(np.round(values * scale, 6)) / scale, values)


def fmt_lonlat(lon: float, lat: float, digits: int = 4) -> str:
    """A WGS84 point in French: ``48,3357° N, 2,9617° O`` (O for ouest, E for est, S for sud)."""
    if _missing(lon) or _missing(lat):
        return MISSING
    ns = "N" if lat >= 0 else "S"
    eo = "E" if lon >= 0 else "O"
    return (f"{abs(lat):.{digits}f}° {ns}, {abs(lon):.{digits}f}° {eo}").replace(".", ",")


def fmt_metres(value: float) -> str:
    """A distance: ``12 000 m`` under 10 km, ``12,5 km`` beyond."""
    if _missing(value):
        return MISSING
    return (fmt_int(value) + NARROW_NBSP + "m" if value < 10_000
            else fmt_num(round(value / 1000, 1)) + NARROW_NBSP + "km")


def plural(count: float, one: str, several: str) -> str:
    """« 1 lieu », « 0 lieu », « 3 lieux »: French singular for 0 and 1, number formatted."""
    return f"{fmt_int(count)} {one if abs(count) < 2 else several}"


def fmt_list(items, limit: int = 5, sep: str = ", ") -> str:
    """The first ``limit`` items, then « … et N autres » when there are more."""
    items = [str(i) for i in items]
    shown = sep.join(items[:limit])
    rest = len(items) - limit
    return shown + (f"{sep}… et {rest} autre{'s' if rest > 1 else ''}" if rest > 0 else "")


def fmt_bytes(size: float) -> str:
    """A size in French units: ``512 octets``, ``12,3 ko``, ``178,5 Mo``, ``1,2 Go`` (powers of 1000).

    Examples
    --------
    >>> fmt_bytes(312_456_789)
    '312,5 Mo'
    """
    for unit, scale in (("Go", 1e9), ("Mo", 1e6), ("ko", 1e3)):
        if size >= scale:
            return f"{fmt_dec(size / scale, 1)} {unit}"
    return f"{int(size)} octets"


def fmt_iso_date(text: str) -> str:
    """An ISO date in the French order.

    Examples
    --------
    >>> fmt_iso_date("2025-12-02")
    '02/12/2025'
    """
    year, month, day = text.split("-")
    return f"{day}/{month}/{year}"
