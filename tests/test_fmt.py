"""French number formatting (access.fmt), hand-written expectations."""

import numpy as np

from access.fmt import fmt_int, fmt_min, fmt_num, fmt_pct, fmt_points


def test_french_formats():
    assert fmt_int(176836.4) == "176\u202f836"
    assert fmt_int(176836.4, sep="\u00a0") == "176\u00a0836"
    assert fmt_pct(0.98765) == "98,8\u202f%"
    assert fmt_pct(0.98765, 0, sep=" ") == "99 %"
    assert fmt_min(11.26) == "11,3 min"
    assert fmt_num(1.3) == "1,3" and fmt_num(30.0) == "30"
    assert fmt_points(0.0035) == "+0,35 pt" and fmt_points(-0.0001) == "-0,01 pt"
    for f in (fmt_int, fmt_pct, fmt_min, fmt_num, fmt_points):
        assert f(np.nan) == "–" and f(None) == "–" and f(np.inf) == "–"
