"""The threshold sweep behind `python -m retrieval calibrate`, on made-up assessments."""

import pytest

from retrieval import open_engine
from retrieval.evaluation.calibration import Assessment, Calibration, assess


def test_rules_decline_whatever_the_threshold():
    assert Assessment(0.9, "unknown_place").declined(0.2)
    assert Assessment(0.9, "no_match").declined(0.2)
    assert Assessment(0.9, "no_number").declined(0.2)
    assert not Assessment(0.9, None).declined(0.5)
    assert Assessment(0.3, None).declined(0.35)


def test_best_threshold_keeps_97_percent_answered():
    answerable = {"a": [Assessment(0.5, None)] * 97 + [Assessment(0.32, None)] * 3}
    unanswerable = {"u": [Assessment(0.1, None)] * 10 + [Assessment(0.45, None)] * 10}
    calibration = Calibration(answerable, unanswerable)
    # 0.5 still answers 97 of 100; 0.55 would drop them all
    assert calibration.best_threshold() == 0.5
    precision, recall = calibration.decline_precision_recall(0.5)
    assert recall == pytest.approx(1.0)  # both groups of unanswerable declined at 0.5
    assert precision == pytest.approx(20 / 23)  # 3 answerable wrongly declined
    assert "| 0.50 |" in calibration.table()


def test_assess_takes_the_best_other_paragraph_when_one_is_removed():
    engine, _ = open_engine()
    own = assess(engine, "重庆提出的885工作机制是什么？")
    assert own.ruled_out is None and own.coverage == pytest.approx(1.0)
    without = assess(engine, "重庆提出的885工作机制是什么？", exclude_doc="liu-sifang")
    assert without.coverage < own.coverage
