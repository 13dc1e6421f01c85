"""French number formatting (access30.base.fmt), hand-written expectations."""

import numpy as np

from access30.base.fmt import fmt_int, fmt_min, fmt_num, fmt_pct, fmt_points


def test_french_formats():
    assert fmt_int(176836.4) == "176\u202f836"
    assert fmt_int(176836.4, sep="\u00a0") == "176\u00a0836"
    assert fmt_pct(0.98765) == "98,8\u202f%"
    assert fmt_pct(0.98765, 0, sep=" ") == "99 %"
    assert fmt_min(11.26) == "11,3 min"
    assert fmt_num(1.3) == "1,3" and fmt_num(30.0) == "30"
    assert fmt_num(1186.6) == "1\u202f186,6" and fmt_num(1234567.0) == "1\u202f234\u202f567"  # never « 1,23457e+06 »
    assert fmt_points(0.0035) == "+0,35 pt" and fmt_points(-0.0001) == "\u22120,01 pt"  # a true minus
    for f in (fmt_int, fmt_pct, fmt_min, fmt_num, fmt_points):
        assert f(np.nan) == "–" and f(None) == "–" and f(np.inf) == "–"


def test_plural_lonlat_metres_and_lists():
    from access30.base.fmt import fmt_list, fmt_lonlat, fmt_metres, plural

    assert plural(0, "lieu", "lieux") == "0 lieu" and plural(1, "lieu", "lieux") == "1 lieu"
    assert plural(2, "lieu", "lieux") == "2 lieux" and plural(12000, "habitant", "habitants") == "12\u202f000 habitants"
    assert fmt_lonlat(-2.9617, 48.31) == "48,3100° N, 2,9617° O"  # west is « O » in French
    assert fmt_lonlat(55.5, -21.1) == "21,1000° S, 55,5000° E"
    assert fmt_metres(12000) == "12\u202fkm" and fmt_metres(800) == "800\u202fm"
    assert fmt_list(range(7), limit=3) == "0, 1, 2, … et 4 autres"
    assert fmt_list(range(4), limit=3) == "0, 1, 2, … et 1 autre" and fmt_list(["a"]) == "a"


def test_commune_names_keep_their_article():
    from access30.base.names import commune_name, full_name, mairie_name

    assert full_name("22073", "Harmoye") == "La Harmoye" and full_name("22073", "La Harmoye") == "La Harmoye"
    assert mairie_name("22073", "Harmoye") == "Mairie de La Harmoye"
    assert mairie_name("22001", "Allineuc") == "Mairie d'Allineuc"
    assert commune_name("22046") == "Le Mené" and mairie_name("22046", "Mené") == "Mairie du Mené"
    assert commune_name("22001") == "Allineuc" and commune_name("99999") == ""
    assert mairie_name("99999", "Ouessant-sur-Test") == "Mairie d'Ouessant-sur-Test"  # unknown code: elided


def test_a_share_is_never_rounded_to_all_or_nothing():
    from access30.base.fmt import MINUS, fmt_signed, honest_share

    # 1 person left out of 30 000: not « 100,0 % »; 1 person covered of 30 000: not « 0,0 % »
    assert fmt_pct(29_999 / 30_000, sep=" ") == "99,9 %" and fmt_pct(1 / 30_000, sep=" ") == "0,1 %"
    assert fmt_pct(29_999 / 30_000, 0, sep=" ") == "99 %" and fmt_pct(0.9999996, 2, sep=" ") == "99,99 %"
    assert fmt_pct(1.0, sep=" ") == "100,0 %" and fmt_pct(0.0, sep=" ") == "0,0 %"
    assert fmt_pct(sum([0.1] * 10) / 1.0, sep=" ") == "100,0 %"  # float noise of a sum is not a person
    assert honest_share(29_999 / 30_000) == 0.999 and honest_share(0.5) == 0.5
    assert fmt_signed(-0.4) == MINUS + "0,4" and fmt_signed(1234, fmt_int) == "+1\u202f234"
    assert "-" not in fmt_signed(-12.5) + fmt_points(-0.02)
