"""A generated matrix: population shape × site source × travel mode, through coverage, suggest and report.

Every cell of the matrix must run (no traceback, exit code 0) and the three commands must agree on
the study: the same covered population in ``coverage``, in ``report`` and as the baseline of
``suggest``. Files are written from the real demo data (``tests/input_files.py``); the network is
the demo extract.
"""

from __future__ import annotations

import itertools
import json

import pytest

from access30.cli import main
from tests import input_files as F

POPULATIONS = ["points_csv", "polygons_gpkg", "grid_2017_csv"]
SITE_SOURCES = {
    "user_csv": lambda folder: ["--sites", F.sites_csv_english(folder)],
    "user_xlsx": lambda folder: ["--sites", F.sites_xlsx(folder)],
    "national_lists": lambda folder: ["--departement", "22", "--sites-builtin", "france_services,mairies"],
    "user_and_national": lambda folder: ["--sites", F.sites_ods(folder), "--sites-builtin", "france_services",
                                         "--departement", "22"],
}
MODES = ["drive", "walk"]
MATRIX = list(itertools.product(POPULATIONS, SITE_SOURCES, MODES))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix")


@pytest.fixture(scope="module")
def populations(folder):
    return {name: (F.POPULATIONS[name][0](folder), F.POPULATIONS[name][1]) for name in POPULATIONS}


def cli(args) -> int:
    return main([str(a) for a in args])


@pytest.mark.parametrize("population,sites,mode", MATRIX, ids=["-".join(c) for c in MATRIX])
def test_commands_agree(capsys, folder, populations, population, sites, mode):
    path, column = populations[population]
    study = [*F.NETWORK_OPTIONS, "--population", path, *SITE_SOURCES[sites](folder), "--mode", mode, "--quiet"]
    if column:
        study += ["--population-column", column]
    case = folder / f"{population}_{sites}_{mode}"
    case.mkdir()
    assert cli(["coverage", *study, "--out", case / "c.gpkg", "--summary", case / "c.json"]) == 0
    coverage = json.loads((case / "c.json").read_text(encoding="utf-8"))
    assert coverage["travel_mode"] == mode and coverage["population_total"] == pytest.approx(154_995, rel=1e-7)
    assert cli(["suggest", *study, "--candidates", "mairies", "--k", "1", "--time-limit", "120",
                "--out", case / "s.gpkg", "--summary", case / "s.json"]) == 0
    suggestion = json.loads((case / "s.json").read_text(encoding="utf-8"))
    assert suggestion["population_covered_before"] == pytest.approx(coverage["population_covered"], rel=1e-12)
    assert suggestion["population_covered_after"] >= suggestion["population_covered_before"]
    if MATRIX.index((population, sites, mode)) % 3 == 0:  # the report on a third of the cells (the slowest)
        assert cli(["report", *study, "--out-dir", case / "pack", "--map-size", "500x400"]) == 0
        report = json.loads((case / "pack" / "synthese.json").read_text(encoding="utf-8"))
        assert report["population_covered"] == pytest.approx(coverage["population_covered"], rel=1e-12)
    err = capsys.readouterr().err
    assert "Traceback" not in err


# Combinations that must be refused: exit code 2, one French sentence naming the option and the fix,
# numbers written the French way (« 100 000 », « 0 », never « 100000.0 », « nan » or « inf »).
REFUSALS = {
    "threshold_zero": (["coverage", "--threshold", "0"], ["--threshold", "seuil de 0 min hors limites"]),
    "threshold_huge": (["coverage", "--threshold", "100000"], ["seuil de 100\u202f000 min hors limites"]),
    "threshold_nan": (["coverage", "--threshold", "nan"], ["--threshold", "nombre attendu"]),
    "threshold_inf": (["report", "--threshold", "inf"], ["--threshold", "nombre attendu"]),
    "overload_zero": (["coverage", "--capacity", "agents", "--overload", "0"],
                      ["--overload", "seuil de charge invalide (0)"]),
    "people_per_unit_negative": (["coverage", "--capacity", "agents", "--people-per-unit", "-3"],
                                 ["--people-per-unit", "(-3)"]),
    "sectors_at": (["coverage", "--sectors", "SECTORS", "--at", "mardi 18:00"], ["--sectors", "--at"]),
    "capacitated_cover": (["suggest", "--capacity", "agents", "--capacitated", "--model", "cover"],
                          ["--model", "maxcover ou median"]),
    "transit_without_feed": (["coverage", "--mode", "transit"], ["--gtfs"]),
    "sectors_of_other_sites": (["coverage", "--sectors", "SECTORS_OTHER"],
                               ["secteurs_autres.csv", "site_id", "aucun identifiant de lieu"]),
    # Options that would be silently unused are refused, naming what they need.
    "k_with_cover": (["suggest", "--model", "cover", "--k", "3"], ["--k", "--model maxcover"]),
    "demand_mairies_with_population": (["coverage", "--demand", "mairies"], ["--demand", "retirez --population"]),
    "people_per_unit_without_capacity": (["report", "--people-per-unit", "3000"], ["--people-per-unit", "--capacity"]),
    "overload_without_capacity": (["coverage", "--overload", "3000"], ["--overload", "--capacity"]),
    "new_capacity_without_capacitated": (["suggest", "--k", "1", "--new-capacity", "2"], ["--capacitated"]),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_combinations(capsys, folder, populations, case):
    import re

    args, words = REFUSALS[case]
    path, column = populations["points_csv"]
    sites = F.sites_csv_english(folder).with_name("lieux_agents.csv")
    if not sites.exists():
        frame = F.demo_sites().assign(agents=1.0)
        frame.to_csv(sites, index=False)
    other = folder / "secteurs_autres.csv"
    if not other.exists():  # a sectorisation naming sites of another list (none of the study's site ids)
        other.write_text("code_insee,site_id\n22278,cdas_inconnu\n22187,cdas_inconnu\n", encoding="utf-8")
    args = [str(other) if a == "SECTORS_OTHER" else a for a in args]
    command, *options = [str(folder / "secteurs.csv") if a == "SECTORS" else a for a in args]
    out = ["--out-dir", folder / f"refus_{case}"] if command == "report" else ["--out", folder / f"{case}.gpkg"]
    try:
        code = cli([command, *F.NETWORK_OPTIONS, "--population", path, "--population-column", column,
                    "--sites", sites, *options, *out, "--quiet"])
    except SystemExit as exc:  # refused by argparse itself (not a number)
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    for word in words:
        assert word in err
    assert not re.search(r"\d\.\d|(?<!')\b(nan|inf)\b|--max-load", err)  # what was typed is quoted
