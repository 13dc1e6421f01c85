"""The one CSV writer of the tool: files a French Excel opens as columns.

Semicolon separator, decimal comma, UTF-8 with BOM (accents shown), French headers given by the
caller, and never « inf » or « nan »: an unreached time is written « non atteint » in the columns
named so, other missing values are empty cells. Every CSV the tool writes (report pack, cells,
communes, batch, sites listing, run parameters) goes through :func:`french_csv_bytes`; the readers of
:mod:`access30.base.io` read such files back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from access30.base.files import atomic_path

SEPARATOR = ";"
DECIMAL = ","
ENCODING = "utf-8-sig"
#: Written for an infinite time (nothing reached) in the columns asked for.
UNREACHED = "non atteint"


def french_csv_bytes(frame: pd.DataFrame, headers: dict[str, str] | None = None, unreached=()) -> bytes:
    """``frame`` as CSV bytes for a French spreadsheet.

    Parameters
    ----------
    frame : DataFrame
    headers : dict, optional
        Column → French header (others kept as they are).
    unreached : iterable of str
        Columns (original names) whose infinite values mean « nothing reached »: written « non atteint ».

    Examples
    --------
    >>> data = french_csv_bytes(pd.DataFrame({"t": [1.5, np.inf], "n": ["a", None]}), {"t": "Temps (min)"}, ["t"])
    >>> data.decode("utf-8-sig").splitlines()
    ['Temps (min);n', '1,5;a', 'non atteint;']
    """
    out = pd.DataFrame(frame).copy()
    out = out.drop(columns=[c for c in out.columns if str(c) == "geometry"], errors="ignore")
    unreached = set(unreached)
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce").astype(float)
            infinite = np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan))
            if infinite.any() and column in unreached:
                out[column] = [UNREACHED if np.isinf(v) else "" if np.isnan(v) else _number(v)
                               for v in numbers.to_numpy(dtype=float, na_value=np.nan)]
            elif infinite.any():
                out[column] = numbers.where(~infinite)
        elif values.dtype == object:  # mixed columns (a value per row of a different kind): numbers too
            out[column] = [_cell(v, column in unreached) for v in values]
    out = out.rename(columns=headers or {})
    text = out.to_csv(index=False, sep=SEPARATOR, decimal=DECIMAL)
    return text.encode(ENCODING)


def _cell(value, unreached: bool):
    """One value of a mixed column: floats with a decimal comma, no « inf », other values as they are."""
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        if np.isnan(value):
            return ""
        if np.isinf(value):
            return UNREACHED if unreached else ""
        return _number(value)
    return value


def _number(value: float) -> str:
    """A float as the CSV writes it, with a decimal comma (whole numbers without decimals)."""
    return (str(int(value)) if float(value).is_integer() else repr(float(value))).replace(".", DECIMAL)


def write_french_csv(frame: pd.DataFrame, path: str | Path, headers: dict[str, str] | None = None,
                     unreached=()) -> Path:
    """Write :func:`french_csv_bytes` atomically; return the path."""
    data = french_csv_bytes(frame, headers, unreached)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)
