"""The Streamlit app (streamlit.testing.v1.AppTest) on the demo data: every figure shown equals the core's."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from access30.coverage import scenario as sc
from access30.coverage.engine import evaluate, run_coverage
from tests.paths import REPO

APP = str(REPO / "app.py")
pytest.importorskip("streamlit.testing.v1")


def fmt_int(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def fmt_pct(share: float) -> str:
    return f"{100 * share:.1f}".replace(".", ",") + "\u202f%"


def fmt_min(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " min"


def run_app(timeout: float = 240.0):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_tab(at, label: str):
    """Open a tab of the page (only the open tab is drawn: ``st.tabs(..., key="tab", on_change="rerun")``)."""
    at.session_state["tab"] = label
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def candidate_picker(at):
    """The candidate town-hall picker (a widget of its own per ranking: its key names the ranking)."""
    found = [box for box in at.selectbox if str(box.key or "").startswith("cand_")]
    assert len(found) == 1, [box.key for box in at.selectbox]
    return found[0]


def wait_for_suggestion(at, timeout: float = 120.0):
    """Let the background suggestion finish, then rerun the page (the browser's progress fragment does it)."""
    from access30.app import suggestions

    question = at.session_state["suggestion_job"]
    suggestions.SUGGESTIONS.get(("suggest", question)).result(timeout)
    at.run()
    if "suggestion_job" in at.session_state:  # picked up by the progress panel: the page reruns
        at.run()
    return at


def metrics(at) -> dict[str, object]:
    return {m.label: m for m in at.metric}


# Each table of the app is recognised by a column only it has (AppTest does not expose dataframe keys).
TABLES = {"area_table": "Code", "equity_table": "Public", "sites_table": "Habitants dont c'est le lieu le plus proche",
          "delta_table": "Nouvellement couverts", "scenarios_table": "Modifications", "sugg_table": "Rang",
          "load_table": "Capacité en habitants"}


def frame(at, key: str) -> pd.DataFrame:
    for element in at.dataframe:
        if TABLES[key] in element.value.columns:
            return element.value
    raise AssertionError(f"table {key} not shown")


def check_headline(at, summary: dict, threshold: float = 30.0) -> None:
    shown = metrics(at)
    assert shown["Population couverte"].value == fmt_int(summary["population_covered"])
    assert shown["Part couverte"].value == fmt_pct(summary["share_covered"])
    beyond = summary["population_uncovered"] + summary["population_no_road"]
    assert shown[f"Au-delà de {threshold:g} min"].value == fmt_int(beyond)
    assert shown["Temps moyen"].value == fmt_min(summary["mean_time_min"])
    assert shown["Temps médian"].value == fmt_min(summary["median_time_min"])
    assert shown["90e centile"].value == fmt_min(summary["p90_time_min"])


@pytest.fixture(scope="module")
def demo_result(demo_study, demo_routing):
    return evaluate(demo_study, demo_routing, 30.0)


def test_headline_and_notices_equal_core(demo_study, demo_result):
    at = run_app()
    check_headline(at, demo_result.summary)
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "réseau partiel (routes principales)" in text
    assert "modélisé" in text  # what the population counts
    for notice in demo_result.notices:  # every notice of the result is shown
        assert notice.message in text
    assert fmt_int(demo_result.summary["population_total"]) in text


def test_indicators_tables_equal_core(demo_result):
    at = open_tab(run_app(), "Indicateurs")
    communes = frame(at, "area_table")
    core = demo_result.communes
    assert len(communes) == len(core) == 42
    assert communes["Code"].tolist() == core["commune"].tolist()  # worst first, as the core sorts
    np.testing.assert_allclose(communes["Population"], core["population"].round(0))
    np.testing.assert_allclose(communes["Au-delà du seuil"], (core["uncovered"] + core["no_road"]).round(0))
    np.testing.assert_allclose(communes["Part couverte"], core["share_covered"])  # shown as « 98,8 % »
    assert communes["Au-delà du seuil"].iloc[0] == communes["Au-delà du seuil"].max()
    equity = frame(at, "equity_table")
    assert equity["Couverts"].iloc[0] == round(demo_result.summary["population_covered"])
    sites = frame(at, "sites_table")
    assert sites.iloc[:, 3].sum() == pytest.approx(demo_result.sites["catchment_population"].round(0).sum())
    at.radio(key="area_level").set_value("EPCI").run()
    epci = frame(at, "area_table")
    assert epci["Code"].tolist() == demo_result.epci["epci"].tolist()
    np.testing.assert_allclose(epci["Population"].sum(), demo_result.epci["population"].round(0).sum())
    # At 30 min nobody is beyond (every row 0); at 20 min the worst commune comes first: Uzel, all its 1,046.
    assert (communes["Au-delà du seuil"] == 0).all()
    at.radio(key="area_level").set_value("Communes").run()
    at.slider(key="threshold").set_value(20).run()
    communes = frame(at, "area_table")
    assert communes["Commune"].iloc[0] == "Uzel" and communes["Au-delà du seuil"].iloc[0] == 1_046
    assert communes["Au-delà du seuil"].iloc[0] == communes["Au-delà du seuil"].max()
    assert (communes["Au-delà du seuil"] <= communes["Population"]).all()


def test_threshold_and_walk_mode(demo_study, demo_routing):
    at = run_app()
    at.slider(key="threshold").set_value(20).run()
    check_headline(at, evaluate(demo_study, demo_routing, 20.0).summary, 20.0)
    from access30.inputs.assemble import load_study

    at.radio(key="mode").set_value("walk").run()
    assert not at.exception
    walk = run_coverage(load_study(mode="walk"), 20.0)
    check_headline(at, walk.summary, 20.0)
    assert any("à pied" in m.value for m in at.markdown)


def test_scenario_add_close_compare(demo_study, demo_routing):
    # At 20 min, where the demo has people uncovered (at 30 min by car it has none, and no place gains).
    demo_result = evaluate(demo_study, demo_routing, 20.0)
    at = run_app()
    at.slider(key="threshold").set_value(20).run()
    candidate = candidate_picker(at)
    assert candidate.options[0].startswith("Mairie d'Uzel — +1\u202f882")  # the largest gain first
    assert candidate.index == 0  # a new threshold re-ranks the list: the pick goes back to the best gain
    at.button(key="add_candidate").click().run()
    assert not at.exception
    changes = at.session_state["scenarios"]["Scénario 1"]
    assert changes[0][0] == "add"
    state = sc.apply_changes(demo_study, demo_routing, changes)
    full = run_coverage(sc.scenario_study(demo_study, state), 20.0)
    check_headline(at, full.summary, 20.0)
    gained = full.summary["population_covered"] - demo_result.summary["population_covered"]
    assert gained > 1_800
    assert metrics(at)["Population couverte"].delta == "+" + fmt_int(gained) + " hab."
    mean = metrics(at)["Temps moyen"].proto  # a change that rounds to 0,0 min is grey and unsigned
    change = full.summary["mean_time_min"] - demo_result.summary["mean_time_min"]
    assert (mean.delta == "0,0 min") == (round(change, 1) == 0)
    assert (mean.color == mean.GRAY) == (round(change, 1) == 0)
    moved = frame(at, "delta_table")
    assert moved["Nouvellement couverts"].sum() == pytest.approx(round(gained), abs=len(moved))
    # Close the busiest existing site in the same scenario.
    busiest = demo_result.sites.sort_values("catchment_population").iloc[-1]
    at.selectbox(key="close_pick").set_value(busiest["site_id"]).run()
    at.button(key="close_site").click().run()
    changes = at.session_state["scenarios"]["Scénario 1"]
    assert changes[-1] == ("close", busiest["site_id"])
    state = sc.apply_changes(demo_study, demo_routing, changes)
    full = run_coverage(sc.scenario_study(demo_study, state), 20.0)
    check_headline(at, full.summary, 20.0)
    # A second named scenario, compared side by side with the first.
    open_tab(at, "Comparer les scénarios")
    at.text_input(key="new_scenario_name").input("Fermeture seule").run()
    at.button(key="create_scenario").click().run()
    open_tab(at, "Carte et scénarios")
    at.selectbox(key="close_pick").set_value(busiest["site_id"]).run()
    at.button(key="close_site").click().run()
    assert at.session_state["scenarios"]["Fermeture seule"] == (("close", busiest["site_id"]),)
    open_tab(at, "Comparer les scénarios")
    table = frame(at, "scenarios_table")
    assert table["Scénario"].tolist() == ["Scénario 1", "Fermeture seule"]
    assert table["Population couverte"].iloc[0] == round(full.summary["population_covered"])
    at.selectbox(key="compare_a").set_value("Scénario 1").run()
    at.selectbox(key="compare_b").set_value("Fermeture seule").run()
    shown = metrics(at)
    assert shown["Scénario 1 — population couverte"].value == fmt_int(full.summary["population_covered"])
    closed_only = run_coverage(
        demo_study.with_sites(demo_study.sites[demo_study.sites.site_id != busiest["site_id"]]), 20.0)
    assert shown["Fermeture seule — population couverte"].value == fmt_int(closed_only.summary["population_covered"])
    open_tab(at, "Carte et scénarios")
    at.button(key="undo").click().run()
    assert at.session_state["scenarios"]["Fermeture seule"] == ()


def test_suggestions_section(demo_study, demo_routing):
    pytest.importorskip("access30.locate")
    at = run_app()
    at.slider(key="threshold").set_value(20).run()  # where the demo has people to cover (none at 30 min by car)
    at = open_tab(at, "Suggestions")
    assert not [i for i in at.info if "Personne n'est au-delà" in i.value]
    at.number_input(key="sugg_k").set_value(2).run()
    at.button(key="sugg_run").click().run()
    wait_for_suggestion(at)
    assert not at.exception and not at.error
    table = frame(at, "sugg_table")
    assert table["Rang"].tolist() == [1, 2]
    suggestion = at.session_state["suggestion"][2]
    assert table["Population nouvellement couverte"].tolist() == suggestion.suggested[
        "population_newly_covered"].round(0).tolist()
    # The gain equals a full coverage run with the suggested sites opened.
    state = sc.start(demo_study, demo_routing)
    for _, row in suggestion.suggested.iterrows():
        state = sc.add_site(demo_study, state, row["lon"], row["lat"], row["name"], "ccas")
    full = run_coverage(sc.scenario_study(demo_study, state), 20.0)
    assert full.summary["population_covered"] == pytest.approx(suggestion.population_covered_after, abs=1e-6)
    assert suggestion.population_covered_after > suggestion.population_covered_before + 1_000
    assert any(fmt_int(suggestion.population_covered_after) in m.value for m in at.markdown)


def test_suggestions_when_nobody_is_beyond_say_so():
    """At 30 min by car the demo covers everyone: the tab says so in French before any button, and a run of
    « couverture maximale » or « couverture totale » gives its reason, never an empty table or an error."""
    pytest.importorskip("access30.locate")
    at = open_tab(run_app(), "Suggestions")
    said = [i.value for i in at.info if "Personne n'est au-delà de 30 min en voiture" in i.value]
    assert len(said) == 1 and "aucun nouveau lieu ne couvrirait un habitant de plus" in said[0]
    assert "à 25 min : 600 habitants au-delà" in said[0] and "à pied" in said[0]
    for model in ("maxcover", "cover"):
        at.selectbox(key="sugg_model").set_value(model).run()
        at.button(key="sugg_run").click().run()
        wait_for_suggestion(at)
        assert not at.exception and not at.error
        assert not [e for e in at.dataframe if TABLES["sugg_table"] in e.value.columns]  # no empty table
        text = " ".join(m.value for m in at.markdown)
        assert ("**Aucun lieu suggéré** : toute la population est déjà à 30 min ou moins d'un lieu d'accueil : aucun "
                "nouveau lieu n'ajouterait d'habitant couvert") in text
        assert "Population couverte : 154\u202f995 habitants à 30 min ou moins." in text
        captions = [c.value for c in at.caption]
        assert any(c.startswith("Objectif : ") and "calcul en" in c for c in captions)
        assert not [c for c in captions if "toute la population est déjà" in c.lower()]  # said once, above


def test_compare_tab_when_nobody_is_beyond(demo_study, demo_routing):
    """At 30 min by car (everyone covered) a scenario and the comparison are drawn, with true zeros."""
    at = run_app()
    assert candidate_picker(at).options[0].endswith(" — aucun gain")
    assert any("Aucune mairie candidate ne couvrirait un habitant de plus à 30 min" in c.value for c in at.caption)
    at.button(key="add_candidate").click().run()
    assert not at.exception and [e.icon for e in at.error] == [":material/science:"]  # the scenario's banner only
    shown = metrics(at)
    assert shown["Population couverte"].value == fmt_int(154_995) and shown["Au-delà de 30 min"].value == "0"
    unchanged = shown["Population couverte"].proto  # nobody gained: « 0 hab. », grey, and no arrow
    assert unchanged.delta == "0 hab." and unchanged.color == unchanged.GRAY
    assert unchanged.direction == unchanged.NONE
    open_tab(at, "Comparer les scénarios")
    assert not at.exception and [e.icon for e in at.error] == [":material/science:"]
    table = frame(at, "scenarios_table")
    assert table["Nouvellement couverts"].tolist() == [0]
    text = " ".join(m.value for m in at.markdown)
    assert "**B par rapport à A** : 0 habitants couverts en plus" in text


def test_outreach_round_when_nobody_is_beyond_says_so():
    """« Hors les murs » at 30 min by car: nobody to bring within reach, said with the readings that show zones
    blanches; no empty table of stops, no empty map, no scenario button."""
    at = open_tab(run_app(), "Hors les murs")
    at.button(key="tour_run").click().run()
    assert not at.exception and not at.error
    said = [i.value for i in at.info if i.value.startswith("Aucun arrêt proposé")]
    assert len(said) == 1 and "tous les habitants sont déjà à portée d'un lieu existant" in said[0]
    assert "à 25 min : 600 habitants au-delà" in said[0]
    assert not [b for b in at.button if b.key == "tour_scenario"]
    assert not [m for m in at.metric if m.label == "Couverts avec la tournée"]


def test_load_per_site_and_capacitated_suggestion(demo_study, demo_routing, demo_result):
    """Capacity « heures d'ouverture »: the load table equals the core's; the capacitated option runs."""
    from access30.coverage.capacity import capacity_indicators, site_capacity

    at = open_tab(run_app(), "Indicateurs")
    at.selectbox(key="capacity").set_value("hours").run()
    assert not at.exception and not at.error
    table = frame(at, "load_table")
    report = capacity_indicators(demo_study, demo_routing, site_capacity(demo_study.sites, "hours"), 30.0)
    shown = table.filter(like="Population rattachée").iloc[:, 0].astype(float).sort_values().to_numpy()
    assert np.allclose(shown, np.sort(report.sites_load["population_assigned"].to_numpy()), atol=0.5)
    open_tab(at, "Suggestions")
    at.number_input(key="sugg_k").set_value(2).run()
    at.checkbox(key="sugg_capacitated").check().run()
    at.button(key="sugg_run").click().run()
    wait_for_suggestion(at)
    assert not at.exception and not at.error
    suggestion = at.session_state["suggestion"][2]
    assert suggestion.capacitated is not None and suggestion.capacitated["capacity_respected"]
    assert any("Capacités respectées" in m.value for m in at.markdown)


def test_export_buttons(demo_result):
    at = open_tab(run_app(), "Export")
    at.button(key="make_gpkg").click().run()
    assert not at.exception
    for key in ("make_xlsx", "make_pdf"):
        at.button(key=key).click().run(timeout=300)
        assert not at.exception and not at.error
    keys = {b.proto.id for b in at.get("download_button")}
    for name in ("dl_gpkg", "dl_communes", "dl_units", "dl_xlsx", "dl_pdf"):
        assert any(name in k for k in keys), name
    assert at.session_state["file_xlsx"][1][:2] == b"PK" and at.session_state["file_pdf"][1][:5] == b"%PDF-"
    import geopandas as gpd

    layers = gpd.list_layers(__import__("io").BytesIO(at.session_state["file_gpkg"][1]))
    assert len(layers)
    # Files made for 30 min are not offered once the threshold moves: they would no longer match the screen.
    at.slider(key="threshold").set_value(20).run()
    keys = {b.proto.id for b in at.get("download_button")}
    assert not any(name in k for k in keys for name in ("dl_gpkg", "dl_xlsx", "dl_pdf"))
    assert any("dl_communes" in k for k in keys)  # made on the fly, always current


def test_offline_territory_shows_french_message(monkeypatch, tmp_path):
    """Offline: the app says in its own terms what to do (no option, no script, no cache path)."""
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path))  # no cached network
    at = run_app()
    at.selectbox(key="territory").set_value("martinique").run(timeout=240)
    assert not at.exception
    messages = [e.value for e in at.error]
    assert messages and "Martinique (972)" in messages[0] and "Mes fichiers" in messages[0]
    assert "Réessayer" in messages[0] and "--" not in messages[0] and "scripts" not in messages[0]
    assert str(tmp_path) not in messages[0]
    assert not at.metric  # no figure shown without a network


def test_other_departement_offline_message():
    """Any département by its code: nothing is loaded before a code is typed; offline, a French message."""
    at = run_app()
    at.selectbox(key="territory").set_value("autre").run(timeout=240)
    assert not at.exception and not at.error and not at.metric  # no prefilled code, no premature message
    at.text_input(key="departement").set_value("29").run(timeout=240)
    assert not at.exception
    assert at.error and "département 29" in at.error[0].value and "Mes fichiers" in at.error[0].value
    assert not at.metric
    at.text_input(key="departement").set_value("99").run(timeout=240)
    assert at.error and "n'est pas un code de département" in at.error[0].value


def test_my_files_without_outlines_works_in_every_tab(tmp_path):
    """« Mes fichiers »: network + population points (workbook) + sites (workbook), no outlines.

    The same figures as the command line on the same files, every tab drawn, no message naming a
    command-line option.
    """
    from access30.inputs.assemble import StudyRequest, assemble_study
    from tests import input_files as F

    population, sites = F.population_points_xlsx(tmp_path), F.sites_xlsx(tmp_path)
    at = run_app()
    at.radio(key="source").set_value("Mes fichiers").run()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at.file_uploader(key="up_network").set_value((F.DEMO_PBF.name, F.DEMO_PBF.read_bytes(), "application/octet-stream"))
    at.file_uploader(key="up_population").set_value((population.name, population.read_bytes(), xlsx))
    at.file_uploader(key="up_sites").set_value((sites.name, sites.read_bytes(), xlsx))
    at.run()
    assert "Population municipale" in at.selectbox(key="up_column").options  # columns read from the upload
    at.selectbox(key="up_column").set_value("Population municipale")
    at.checkbox(key="up_partial").check()
    at.number_input(key="up_max_access").set_value(12000)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    core = assemble_study(StudyRequest(network=F.DEMO_PBF, population=population,
                                       population_column="Population municipale", sites=sites,
                                       partial_network=True, max_access_m=12000))
    check_headline(at, run_coverage(core).summary)
    texts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning)]
    assert not [t for t in texts if re.search(r"--[a-z]", t)], "a message names a command-line option"
    for tab in ("Indicateurs", "Comparer les scénarios", "Suggestions", "Export", "Méthode et sources"):
        open_tab(at, tab)
        assert not at.error, (tab, [e.value for e in at.error])
        if tab == "Indicateurs":
            assert frame(at, "area_table")["Commune"].str.len().gt(0).all()  # names from the national list


def test_my_files_error_is_in_app_terms(tmp_path):
    """An upload refused by the core is explained with the app's controls, not the CLI's options."""
    from tests import input_files as F

    population = F.population_points_csv(tmp_path)
    table = pd.read_csv(population).assign(population=1)  # two possible population columns
    table.to_csv(population, index=False)
    at = run_app()
    at.radio(key="source").set_value("Mes fichiers").run()
    at.file_uploader(key="up_network").set_value((F.DEMO_PBF.name, F.DEMO_PBF.read_bytes(), "application/octet-stream"))
    at.file_uploader(key="up_population").set_value((population.name, population.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert "colonne" in message and "« Colonne de population »" in message and "--" not in message


def upload_my_files(at, population: Path, sites: Path, communes: Path | None = None):
    """« Mes fichiers » with the demo network (partial, 12 km of access), the given files uploaded."""
    from tests import input_files as F

    at.radio(key="source").set_value("Mes fichiers").run()
    at.file_uploader(key="up_network").set_value((F.DEMO_PBF.name, F.DEMO_PBF.read_bytes(), "application/octet-stream"))
    at.file_uploader(key="up_population").set_value((population.name, population.read_bytes(), "text/csv"))
    at.file_uploader(key="up_sites").set_value((sites.name, sites.read_bytes(), "application/octet-stream"))
    if communes is not None:
        at.file_uploader(key="up_communes").set_value((communes.name, communes.read_bytes(), "application/geopackage"))
    at.run()
    at.checkbox(key="up_partial").check()
    at.number_input(key="up_max_access").set_value(12000)
    at.run()


def test_my_files_grid_and_outlines_of_part_of_the_area(tmp_path):
    """An INSEE grid in the 2019/2021 layout (LAEA cell ids), sites in a LibreOffice workbook, outlines of
    5 communes only: the figures equal the core's and the population outside the outlines is said."""
    from access30.inputs.assemble import StudyRequest, assemble_study
    from tests import input_files as F

    population, sites = F.population_grid_laea(tmp_path), F.sites_ods(tmp_path)
    communes = tmp_path / "cinq_communes.gpkg"
    F.demo_communes().head(5)[["code", "nom", "geometry"]].to_file(communes)
    at = run_app()
    upload_my_files(at, population, sites, communes)
    assert not at.exception and not at.error, [e.value for e in at.error]
    core = assemble_study(StudyRequest(network=F.DEMO_PBF, population=population, sites=sites, communes=communes,
                                       partial_network=True, max_access_m=12000))
    check_headline(at, run_coverage(core).summary)
    assert len(at.tabs) == 9
    texts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning)]
    assert any("hors des contours des communes de « cinq_communes.gpkg »" in t for t in texts)
    assert not [t for t in texts if re.search(r"--[a-z]", t)], "a message names a command-line option"


def test_my_files_outlines_of_another_territory_refused_in_app_terms(tmp_path):
    from tests import input_files as F

    population, sites = F.population_grid(tmp_path), F.sites_csv_english(tmp_path)
    at = run_app()
    upload_my_files(at, population, sites, F.SHARED / "martinique" / "communes_972_datafrance.gpkg")
    assert not at.exception and not at.metric
    message = at.error[0].value
    assert "communes_972_datafrance.gpkg" in message and "aucune unité de population" in message
    assert "« Contours des communes »" in message and "--" not in message


def test_suggestions_are_computed_on_the_scenario_shown(demo_study, demo_routing):
    """With a scenario shown, the app's suggestion reads it (its closed site included), starts from its figures
    and says so; shown again on the current situation, it says which situation it was computed on (issue 27)."""
    pytest.importorskip("access30.locate")
    at = run_app()
    at.slider(key="threshold").set_value(20).run()
    baseline = evaluate(demo_study, demo_routing, 20.0)
    start = sc.start(demo_study, demo_routing)
    # A site whose closure leaves people beyond 20 min (most of the demo's have a neighbour within reach).
    losing = next(site for site in demo_study.sites["site_id"] if sc.evaluate_scenario(
        demo_study, demo_routing, sc.close_site(demo_study, start, site), 20.0).summary.population_covered
        < baseline.summary.population_covered - 100)
    at.selectbox(key="close_pick").set_value(losing).run()
    at.button(key="close_site").click().run()
    changes = at.session_state["scenarios"]["Scénario 1"]
    open_tab(at, "Suggestions")
    assert any("scénario affiché, « Scénario 1 »" in c.value for c in at.caption)
    at.number_input(key="sugg_k").set_value(1).run()
    at.button(key="sugg_run").click().run()
    assert at.session_state["suggestion_job"].changes == changes
    wait_for_suggestion(at)
    assert not at.exception and [e.icon for e in at.error] == [":material/science:"]  # the scenario's banner only
    suggestion = at.session_state["suggestion"][2]
    state = sc.apply_changes(demo_study, demo_routing, changes)
    scenario = sc.evaluate_scenario(demo_study, demo_routing, state, 20.0)
    assert scenario.summary.population_covered < baseline.summary.population_covered - 100  # the closure counts
    assert suggestion.scenario == "Scénario 1"
    assert suggestion.population_covered_before == pytest.approx(scenario.summary.population_covered, abs=1e-6)
    # The gain is the scenario's: its closed site stays closed, the suggested one opened.
    row = suggestion.suggested.iloc[0]
    after = sc.evaluate_scenario(demo_study, demo_routing,
                                 sc.add_site(demo_study, state, row["lon"], row["lat"], row["name"], "ccas"), 20.0)
    assert after.summary.population_covered == pytest.approx(suggestion.population_covered_after, abs=1e-6)
    assert any("calculées sur le scénario « Scénario 1 »" in i.value for i in at.info)
    assert any("calculé sur le scénario « Scénario 1 »" in c.value for c in at.caption)
    assert not any("pas sur ce qui est affiché" in w.value for w in at.warning)
    # Back on the current situation: the suggestion is still shown, with the situation it was computed on.
    at.selectbox(key="active").set_value("Situation actuelle").run()
    assert any("calculées sur le scénario « Scénario 1 », pas sur ce qui est affiché (la situation actuelle)"
               in w.value for w in at.warning)


def test_my_files_without_opening_hours_say_why_there_is_no_capacity(tmp_path):
    """Sites with no readable opening hours: the capacity (weekly opening hours) is not offered, and the page
    says why, in the Indicateurs and Suggestions tabs; a capacity chosen on another study raises nothing."""
    from tests import input_files as F

    population, sites = F.population_grid(tmp_path), F.sites_csv_english(tmp_path)
    at = run_app()
    at.session_state["capacity"] = "hours"  # as left by the demo, where the town halls have hours
    upload_my_files(at, population, sites)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not at.warning or not [w for w in at.warning if "horaires" in w.value]
    open_tab(at, "Indicateurs")
    assert at.selectbox(key="capacity").disabled
    why = [c.value for c in at.caption if "n'a d'horaires d'ouverture lisibles" in c.value]
    assert why and why[0].startswith("Aucun des ") and "--" not in why[0]
    open_tab(at, "Suggestions")
    assert at.checkbox(key="sugg_capacitated").disabled
    assert any("n'a d'horaires d'ouverture lisibles" in c.value for c in at.caption)
