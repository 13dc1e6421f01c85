"""Defects a planner met in the app's first ten minutes (issue 27), each with the check that catches it."""

from __future__ import annotations

import ast
import re

from streamlit.testing.v1 import AppTest

from access30.coverage.engine import evaluate
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
    at.slider(key="threshold").set_value(10).run()  # at 10 min, closing the busiest site leaves people out
    busiest = evaluate(demo_study, demo_routing, 10.0).sites.sort_values("catchment_population").iloc[-1]
    at.selectbox(key="close_pick").set_value(busiest["site_id"]).run()
    at.button(key="close_site").click().run()
    covered = next(m for m in at.metric if m.label == "Population couverte")
    assert covered.delta.startswith("\u2212") and "-" not in covered.delta
    assert covered.proto.color == covered.proto.RED and covered.proto.direction == covered.proto.DOWN
    beyond = next(m for m in at.metric if m.label.startswith("Au-delà de"))
    assert beyond.delta.startswith("+") and beyond.proto.color == beyond.proto.RED  # more people beyond: worse


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
