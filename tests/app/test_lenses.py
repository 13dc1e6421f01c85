"""Every lens of the app gives the command line's figures on the same inputs (streamlit AppTest).

Opening hours (a moment, the hours of people at work), sectors (an uploaded sectorisation), public
transport (La Réunion with the Car Jaune feed uploaded), the review of a département's places and the
national view of a batch. Figures are compared with the JSON summary of the same command.
"""

from __future__ import annotations

import datetime
import json
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from access30.app.lenses import Lens, closed_now
from access30.cli import main
from access30.coverage import scenario as sc
from access30.coverage.engine import evaluate
from access30.coverage.hours import coverage_at, coverage_for_workers
from access30.coverage.options import MOMENT, SECTORS, WORKERS
from access30.national.view import open_national
from access30.outputs.tables import method_lines
from tests.paths import REPO, SHARED_DATA

APP = str(REPO / "app.py")
FEED = SHARED_DATA / "gtfs" / "car_jaune_974.gtfs.zip"


def fmt_int(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def fmt_pct(share: float) -> str:
    return f"{100 * share:.1f}".replace(".", ",") + "\u202f%"


def fmt_min(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " min"


def app(timeout: float = 300.0) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def shown(at) -> dict[str, str]:
    assert not at.exception, [e.message for e in at.exception]
    return {m.label: m.value for m in at.metric}


def check(at, summary: dict, threshold: float = 30.0) -> None:
    metrics = shown(at)
    assert metrics["Population couverte"] == fmt_int(summary["population_covered"])
    assert metrics["Part couverte"] == fmt_pct(summary["share_covered"])
    assert metrics[f"Au-delà de {threshold:g} min"] == fmt_int(summary["population_uncovered"]
                                                             + summary["population_no_road"])
    assert metrics["Temps moyen"] == fmt_min(summary["mean_time_min"])


def cli_summary(tmp_path, *args: str) -> dict:
    out = tmp_path / "c.gpkg"
    summary = tmp_path / "c.json"
    assert main(["coverage", *args, "--out", str(out), "--summary", str(summary), "--quiet"]) == 0
    return json.loads(summary.read_text(encoding="utf-8"))


def test_the_moment_and_workers_lenses_equal_the_command_line(tmp_path):
    at = app()
    nearest = shown(at)
    at.radio(key="lens").set_value(MOMENT).run()
    at.selectbox(key="lens_day").set_value(5)  # samedi
    at.time_input(key="lens_time").set_value(datetime.time(10, 0)).run()
    (tmp_path / "m").mkdir()
    moment = cli_summary(tmp_path / "m", "--at", "samedi 10:00")
    check(at, moment)
    banner = " ".join(i.value for i in at.info)
    assert "samedi à 10:00" in banner and f"{moment['sites_open']} lieux ouverts sur {moment['sites_all']}" in banner
    assert shown(at)["Population couverte"] != nearest["Population couverte"]  # the lens changed the figures
    # The candidate town halls' gains are the nearest site's at any hour: said beside a lens's figures.
    assert any("à toute heure et sans attente" in c.value for c in at.caption)
    at.selectbox(key="lens_day").set_value(1)  # mardi 18:00: one site open (Quessoy's town hall), said in the singular
    at.time_input(key="lens_time").set_value(datetime.time(18, 0)).run()
    banner = " ".join(i.value for i in at.info)
    assert "1 lieu ouvert sur 32, 31 fermés (grisés sur la carte)" in banner

    at.radio(key="lens").set_value(WORKERS).run()
    (tmp_path / "w").mkdir()
    check(at, cli_summary(tmp_path / "w", "--workers-hours"))
    at.radio(key="lens").set_value("nearest").run()
    assert shown(at) == nearest
    assert not any("à toute heure et sans attente" in c.value for c in at.caption)


def test_a_lens_keeps_the_scenario_and_reads_it(demo_study, demo_routing):
    at = app()
    busiest = evaluate(demo_study, demo_routing, 30.0).sites.sort_values("catchment_population").iloc[-1]
    at.selectbox(key="close_pick").set_value(busiest["site_id"]).run()
    at.button(key="close_site").click().run()
    at.radio(key="lens").set_value(WORKERS).run()
    assert not at.exception
    changes = at.session_state["scenarios"]["Scénario 1"]
    assert changes == (("close", busiest["site_id"]),)  # switching the lens kept the scenario
    assert any("Scénario « Scénario 1 »" in e.value for e in at.error)  # still labelled a scenario
    state = sc.apply_changes(demo_study, demo_routing, changes)
    expected = coverage_for_workers(sc.scenario_study(demo_study, state), None, 30.0)
    check(at, expected.summary)


def test_the_sectors_lens_with_an_uploaded_file_equals_the_command_line(tmp_path, demo_study):
    codes = sorted(demo_study.demand.units["commune"].astype(str).unique())
    # Hand-made sectorisation (labelled): alternate communes to Saint-Brieuc's and Le Mené's France Services.
    path = tmp_path / "handmade_sectors.csv"
    pd.DataFrame({"code_insee": codes, "site_id": ["fs-133" if i % 2 else "fs-135" for i in range(len(codes))]}
                 ).to_csv(path, index=False)
    expected = cli_summary(tmp_path, "--sectors", str(path))["sectors"]
    at = app()
    at.radio(key="lens").set_value(SECTORS).run()
    assert any("pas de sectorisation livrée" in w.value for w in at.warning)
    at.file_uploader(key="up_sectors").set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    banner = " ".join(i.value for i in at.info)
    assert f"{fmt_pct(expected['share_covered_assigned'])} des habitants sectorisés" in banner
    assert f"écart : {fmt_int(expected['population_gap'])} habitants" in banner
    at.session_state["tab"] = "Indicateurs"
    at.run()
    table = next(d.value for d in at.dataframe if "Écart (hab.)" in d.value.columns)
    assert table["Écart (hab.)"].sum() == pytest.approx(expected["population_gap"], abs=len(table))


def test_closed_now_lists_the_sites_closed_at_the_moment(demo_study):
    closed = closed_now(demo_study.sites, Lens(MOMENT, at="dimanche 12:00"))
    assert len(closed) > 0 and set(closed["site_id"]) <= set(demo_study.sites["site_id"])
    assert len(closed_now(demo_study.sites, Lens())) == 0


def test_public_transport_with_an_uploaded_feed_equals_the_command_line(tmp_path):
    expected = cli_summary(tmp_path, "--territory", "reunion", "--mode", "transit", "--gtfs", str(FEED), "--at",
                           "mardi 09:00")
    at = app()
    at.selectbox(key="territory").set_value("reunion").run()  # offline: the road network is missing, said
    at.file_uploader(key="up_gtfs").set_value((FEED.name, FEED.read_bytes(), "application/zip")).run()
    at.radio(key="mode").set_value("transit").run(timeout=600)
    assert not at.error, [e.value for e in at.error]
    check(at, expected)
    assert any("transports en commun" in i.value for i in at.info)  # scenarios: by road only, said
    at.session_state["tab"] = "Indicateurs"
    at.run()
    lines = next(d.value for d in at.dataframe if "Ligne" in d.value.columns)
    assert list(lines["Ligne"]) == [r["route"] for r in expected["transit_routes_used"]][:len(lines)]
    by = next(d.value for d in at.dataframe if "Seuil (min)" in d.value.columns)
    assert set(by["Seuil (min)"]) == {"30", "45", "60"}


def test_the_places_review_equals_the_sites_command(tmp_path):
    out = tmp_path / "lieux_29.csv"
    assert main(["sites", "--departement", "29", "--out", str(out), "--quiet"]) == 0
    listed = pd.read_csv(out, sep=None, engine="python", encoding="utf-8-sig")
    at = app()
    at.session_state["tab"] = "Lieux d'accueil"
    at.run()
    at.text_input(key="places_code").set_value("29").run()
    assert not at.exception and not at.error
    places = next(d.value for d in at.dataframe if "Communes du secteur" in d.value.columns)
    missing = [d.value for d in at.dataframe if len(d.value) and "Communes du secteur" not in d.value.columns]
    assert len(places) + 4 == len(listed)  # the Finistère's four CDAS without coordinates are listed apart
    assert places["Communes du secteur"].str.len().gt(0).sum() == 12  # the sectors of the CDAS placed
    assert any("sans coordonnées" in w.value for w in at.warning) and missing
    at.text_input(key="places_code").set_value("99").run()
    assert any("n'est pas un code de département" in e.value for e in at.error)


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory):
    pytest.importorskip("distributed")
    networks = tmp_path_factory.mktemp("networks")
    shutil.copy(SHARED_DATA / "osm" / "st_brieuc_loudeac.osm.pbf", networks / "22.osm.pbf")
    out = tmp_path_factory.mktemp("batch")
    cache = tmp_path_factory.mktemp("cache")
    assert main(["batch", "--departements", "22,29", "--networks-dir", str(networks), "--partial-network",
                 "--out-dir", str(out), "--cache-dir", str(cache), "--workers", "1", "--quiet"]) == 1  # 29 fails
    return out


def test_the_national_view_opens_a_batch_folder_and_its_gpkg(batch_folder):
    table = pd.read_csv(batch_folder / "national.csv", sep=None, engine="python", encoding="utf-8-sig")
    for path in (batch_folder, batch_folder / "national.gpkg"):
        view = open_national(path)
        assert sorted(view.rows["code"]) == ["22", "29"] and view.threshold_min == 30.0
        assert view.figures["departements_ok"] == 1 and len(view.layer) >= 101
    at = app()
    at.session_state["tab"] = "Vue nationale"
    at.run()
    at.text_input(key="national_dir").set_value(str(batch_folder)).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = shown(at)
    row = open_national(batch_folder).rows.set_index("code").loc["22"]
    assert metrics["Population couverte"] == fmt_int(row["population_covered"])
    assert metrics["Départements calculés"] == "1 sur 2"
    assert len(at.get("image")) == 1
    shown_table = next(d.value for d in at.dataframe if "Département" in d.value.columns)
    assert len(shown_table) == len(table) == 2


def test_the_national_view_refuses_what_is_not_a_batch(tmp_path):
    at = app()
    at.session_state["tab"] = "Vue nationale"
    at.run()
    at.text_input(key="national_dir").set_value(str(tmp_path)).run()
    assert any("ni lignes de départements" in e.value for e in at.error)
    assert not at.exception


def test_exports_of_a_lens_say_which_sites_counted(demo_study, demo_routing):
    lines = " ".join(text for _, text in method_lines(coverage_at(demo_study, demo_routing, "mardi 18:00", 30.0),
                                                      demo_study))
    assert "seuls les lieux ouverts le mardi à 18:00 comptent" in lines
    assert "ne sont pas pris en compte" not in lines
