"""The transit mode end to end: the registry entry, the CLI on La Réunion with the Car Jaune feed, errors."""

import json

import numpy as np
import pytest

from access30.base.errors import InputError
from access30.cli import main
from access30.network.modes import MODES, get_mode
from access30.network.transit import read_transit_network


@pytest.fixture(scope="module")
def feed(shared_data):
    return shared_data / "gtfs" / "car_jaune_974.gtfs.zip"


@pytest.fixture(scope="module")
def reunion_run(feed, tmp_path_factory):
    out = tmp_path_factory.mktemp("transit")
    code = main(["coverage", "--territory", "reunion", "--mode", "transit", "--gtfs", str(feed), "--at",
                 "mardi 09:00", "--out", str(out / "X.gpkg"), "--summary", str(out / "X.json"), "--quiet"])
    assert code == 0
    return out, json.loads((out / "X.json").read_text(encoding="utf-8"))


def test_registry_entry():
    mode = get_mode("transit")
    assert mode.label == "Transports en commun" and mode.words == "en transports en commun (et à pied)"
    assert mode.timetable and not MODES["drive"].timetable and not MODES["walk"].timetable
    assert "Car Jaune" in mode.limit and "interurbain" in mode.limit
    assert mode.extra_thresholds == (45.0, 60.0)


def test_reunion_done_when(reunion_run):
    out, summary = reunion_run
    assert summary["travel_mode"] == "transit"
    # « mardi 09:00 » resolves to a Tuesday with service, inside the feed's period, not to today.
    day = np.datetime64(summary["transit_service_date"]).astype(object)
    assert day.weekday() == 1
    assert summary["gtfs_valid_from"] <= summary["transit_service_date"] <= summary["gtfs_valid_to"]
    assert summary["transit_window"].startswith("09:00–10:30")
    assert summary["transit_window_minutes"] == 90
    assert summary["gtfs_file"] == "car_jaune_974.gtfs.zip" and summary["gtfs_agencies"] == ["CAR JAUNE"]
    by = summary["coverage_by_threshold"]
    assert list(by) == ["30", "45", "60"]
    for key in ("population", "poor_households"):
        covered = [by[t][key]["covered"] for t in by]
        assert covered == sorted(covered) and covered[0] > 0
    assert by["30"]["population"]["covered"] == pytest.approx(summary["population_covered"])
    assert summary["population_total"] == pytest.approx(272_641, abs=1)
    assert summary["equity"]["poor_households"]["total"] == pytest.approx(85_910, abs=1)
    assert summary["transit_routes_used"] and summary["transit_stops_used"]
    assert "ouvert à l'arrivée" in summary["transit_opening_hours"]
    notices = " ".join(summary["notices"])
    assert "Car Jaune" in notices and "CAR JAUNE" in notices and summary["transit_service_date"][:4] in notices
    # Car Jaune is interurban: under half the households live within walking reach of a stop served that day.
    far = next(n for n in summary["notices"] if "d'un arrêt du flux GTFS" in n)
    assert "ménages sur 272 641 (" in far and "1\u202f000\u202fm" in far and "%)" in far


def test_reunion_units_have_quartiles(reunion_run):
    import geopandas as gpd

    out, _ = reunion_run
    units = gpd.read_file(out / "X.gpkg", layer="cells")
    finite = np.isfinite(units["time_min"])
    # time_min is written rounded up to 0.01 min (it agrees with the status); the quartiles are not.
    assert (units.loc[finite, "time_p25_min"] <= units.loc[finite, "time_min"] + 1e-9).all()
    p75 = units.loc[finite, "time_p75_min"].fillna(np.inf)  # infinite (nothing reached in 180 min): null in the file
    assert (units.loc[finite, "time_min"] <= p75 + 0.011).all()
    assert {"lines", "walk_only"} <= set(units.columns)


def test_missing_gtfs_is_an_input_error(tmp_path, capsys):
    code = main(["coverage", "--territory", "reunion", "--mode", "transit", "--out", str(tmp_path / "x.gpkg")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--gtfs" in err and "GTFS" in err


def test_date_outside_period_gives_the_range(feed):
    with pytest.raises(InputError) as exc:
        read_transit_network(feed, service_date="2027-01-05")
    text = str(exc.value)
    assert "hors de la période de validité" in text and "01/01/2025" in text and "30/11/2026" in text


def test_date_and_moment_must_agree(feed):
    with pytest.raises(InputError, match="mercredi"):
        read_transit_network(feed, when="mardi 09:00", service_date="2025-12-03")
    net = read_transit_network(feed, when="mercredi 08:30", service_date="2025-12-03", window_min=30)
    assert net.day.isoformat() == "2025-12-03" and net.window.start_min == 510 and net.window.duration_min == 30
    assert net.hours_weekday == 2


def test_suggest_refused_in_transit(feed, tmp_path, capsys):
    code = main(["suggest", "--territory", "reunion", "--mode", "transit", "--gtfs", str(feed), "--k", "1",
                 "--out", str(tmp_path / "s.gpkg")])
    assert code == 2
    assert "--mode drive" in capsys.readouterr().err
