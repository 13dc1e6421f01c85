"""What the page says when the reading shown has no zone blanche (access30.app.readings), on the demo."""

from __future__ import annotations

from access30.app import readings
from access30.coverage.engine import evaluate


def test_everyone_covered_only_when_nobody_is_beyond(demo_study, demo_routing, demo_result):
    line = readings.everyone_covered(demo_result, 30.0, "drive")
    assert line.startswith("Tous les habitants comptés (154\u202f995) sont à 30 min ou moins en voiture")
    assert "(à 25 min : 600 habitants au-delà)" in line
    assert readings.everyone_covered(evaluate(demo_study, demo_routing, 20.0), 20.0, "drive") is None
    # The sectors lens keeps the nearest site's figures under its own banner (the sector gap): no such line.
    assert readings.everyone_covered(demo_result, 30.0, "drive", "sectors") is None


def test_the_readings_offered_are_not_the_one_shown(demo_result):
    """On foot, « à pied » is not offered again; with the hours of people in work, not that lens again."""
    walk = readings.other_readings(demo_result, 30.0, "walk")
    assert "à pied" not in walk and "heures des actifs" in walk
    workers = readings.other_readings(demo_result, 30.0, "drive", "workers")
    assert "à pied" in workers and "heures des actifs" not in workers
    assert readings.other_readings(demo_result, 5.0, "walk", "workers") == ""  # nothing shorter, nothing else


def test_nothing_to_suggest_names_the_models_and_the_readings(demo_study, demo_routing, demo_result):
    said = readings.nothing_to_suggest(demo_result, 30.0, "drive")
    assert said.startswith("Personne n'est au-delà de 30 min en voiture : aucun nouveau lieu ne couvrirait")
    assert "« temps moyen minimal »" in said and "à 25 min : 600 habitants au-delà" in said
    assert readings.nothing_to_suggest(evaluate(demo_study, demo_routing, 20.0), 20.0, "drive") is None
