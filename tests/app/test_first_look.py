"""Defects a planner met in the app's first ten minutes (issue 27), each with the check that catches it."""

from __future__ import annotations

import ast
import re

from streamlit.testing.v1 import AppTest

from access30.coverage.engine import evaluate, run_coverage
from tests.paths import REPO

APP = str(REPO / "app.py")


def uploader_keys() -> set[str]:
    """The keys of every file uploader of the app (read from its source)."""
    tree = ast.parse((REPO / "app.py").read_text(encoding="utf-8"))
    return {kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "file_uploader" for kw in node.keywords if kw.arg == "key"}


def test_a_loss_is_written_with_a_true_minus_sign_red_and_down(demo_study, demo_routing):
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.slider(key="threshold").set_value(10).run()
    # At 10 min, closing the busiest site whose residents have no other site within 10 min leaves people out
    # (Saint-Brieuc's town hall and France Services, and Trégueux's, stand in for each other: no loss).
    before = evaluate(demo_study, demo_routing, 10.0)
    for site_id in before.sites.sort_values("catchment_population", ascending=False)["site_id"]:
        without = demo_study.with_sites(demo_study.sites[demo_study.sites["site_id"] != site_id])
        if run_coverage(without, 10.0).summary.population_covered < before.summary.population_covered - 0.5:
            break
    busiest = before.sites.set_index("site_id").loc[site_id]
    assert busiest["name"] == "Mairie de Ploufragan"
    at.selectbox(key="close_pick").set_value(site_id).run()
    at.button(key="close_site").click().run()
    covered = next(m for m in at.metric if m.label == "Population couverte")
    assert covered.delta.startswith("\u2212") and "-" not in covered.delta
    assert covered.proto.color == covered.proto.RED and covered.proto.direction == covered.proto.DOWN
    beyond = next(m for m in at.metric if m.label.startswith("Au-delà de"))
    assert beyond.delta.startswith("+") and beyond.proto.color == beyond.proto.RED  # more people beyond: worse


def test_the_demo_opens_saying_everyone_is_covered_and_where_zones_blanches_are():
    """At 30 min by car the demo covers everyone: said plainly under the figures, with the readings where people
    remain far (a shorter threshold, with its figure; on foot; the hours of people in work); not said at 20 min."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    elements = list(flat(at.main))
    said = [i for i, e in enumerate(elements) if e.type == "success"
            and "Tous les habitants comptés" in str(getattr(e, "value", ""))]
    assert len(said) == 1
    text = elements[said[0]].value
    assert "(154\u202f995) sont à 30 min ou moins en voiture d'un lieu d'accueil : aucune zone blanche" in text
    assert "à 25 min : 600 habitants au-delà" in text and "à pied" in text and "heures des actifs" in text
    figure = next(i for i, e in enumerate(elements) if e.type == "metric" and e.label == "Au-delà de 30 min")
    assert elements[figure].value == "0" and figure < said[0]
    at.slider(key="threshold").set_value(20).run()
    assert not [s for s in at.success if "Tous les habitants comptés" in s.value]
    assert next(m for m in at.metric if m.label == "Au-delà de 20 min").value == "2\u202f177"


def test_every_uploader_states_its_own_size_limit():
    keys = uploader_keys()
    assert {"up_network", "up_population", "up_sites", "up_communes", "up_gtfs", "up_sectors", "up_national"} <= keys
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    css = " ".join(m.value for m in at.markdown if "<style>" in m.value)
    assert "300 Mo au plus par fichier" not in css  # one limit for all was wrong for the site list (20 Mo)
    for key in keys:
        assert re.search(rf'\.st-key-{key} .*content: "\d+ Mo au plus"', css), key
    assert '[data-testid="stElementToolbar"] { display: none; }' in css  # English « Download as CSV » tooltips
    assert '[data-testid="stFileChipName"] + * { display: none; }' in css  # « 178.5KB » under a chosen file


def flat(node):
    """The page's elements in their order on screen."""
    yield node
    children = getattr(node, "children", {}) or {}
    for key in sorted(children):
        yield from flat(children[key])


def test_what_changes_the_headline_is_said_before_it():
    """On the demo most of the time is estimated (approach legs on a partial network): said above the figures."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    elements = list(flat(at.main))
    warning = next(i for i, e in enumerate(elements)
                   if e.type == "warning" and "À lire avant les chiffres" in str(getattr(e, "value", "")))
    figure = next(i for i, e in enumerate(elements) if e.type == "metric" and e.label == "Population couverte")
    assert warning < figure
    assert "estimée" in elements[warning].value
