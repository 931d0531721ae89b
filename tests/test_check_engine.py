"""check_engine names the one mistake planted in a learner's engine, and nothing else."""

import gradtrace
import pytest
from learner_engine import MISTAKES, engine

micrograd_engine = pytest.importorskip("micrograd.engine")  # the real package (dev extra)


def test_a_correct_engine_passes_every_check():
    report = gradtrace.check_engine(engine())
    assert report.passed and report.score == 1.0 and report.findings == []
    assert report.checks > 20 and report.skipped == []


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_planted_mistake_gives_exactly_its_cause(mistake):
    report = gradtrace.check_engine(engine(mistake))
    assert report.causes() == [MISTAKES[mistake]], str(report)
    assert not report.passed and 0 <= report.score < 1


def test_findings_carry_the_numbers_and_a_sentence():
    report = gradtrace.check_engine(engine("tanh-uses-input"))
    (f,) = report.findings
    assert f.check == "a.tanh()" and f.node == "a"
    a = float(f.message.split("a = ")[1].split(":")[0])
    t = gradtrace.Value(a).tanh()
    assert f.expected == pytest.approx(1 - t.data**2)  # the rule with the output
    assert f.got == pytest.approx(1 - a**2)  # the planted rule with the input
    assert "1 - t ** 2" in f.message


def test_a_crashing_class_gives_findings_naming_probe_and_exception():
    report = gradtrace.check_engine(engine("crash-in-mul"))
    assert report.causes() == ["crash"]
    assert any(
        f.check == "a * b" and "my mul is not written yet" in f.message for f in report.findings
    )


def test_a_class_that_cannot_even_be_made_is_a_finding():
    class Broken:
        def __init__(self, data):
            raise RuntimeError("no")

    report = gradtrace.check_engine(Broken)
    assert report.causes() == ["crash"] and "RuntimeError: no" in report.findings[0].message


def test_ops_the_class_lacks_are_skipped_not_failed():
    report = gradtrace.check_engine(engine(tanh=False))
    assert report.passed and report.skipped == ["tanh"]


def test_the_real_micrograd_fails_only_the_two_checks_it_is_known_for():
    report = gradtrace.check_engine(micrograd_engine.Value)
    # micrograd #53: inner nodes keep adding across backward(); its sort is recursive
    assert set(report.causes()) == {"stale-inner-gradients", "recursion-limit"}, str(report)
    assert set(report.skipped) == {"exp", "tanh"}  # micrograd 0.1.0 has neither
    assert report.score == pytest.approx((report.checks - 2) / report.checks)


def test_gradtrace_micrograd_value_passes_every_check():
    from gradtrace.micrograd import Value

    report = gradtrace.check_engine(Value)
    assert report.passed and report.skipped == []


def test_probe_values_come_from_the_seed():
    mistake = engine("sub-sign")
    first = gradtrace.check_engine(mistake, seed=1).findings[0].message
    assert gradtrace.check_engine(mistake, seed=1).findings[0].message == first
    assert gradtrace.check_engine(mistake, seed=2).findings[0].message != first


def test_assert_engine_fails_with_the_messages_and_returns_the_score():
    with pytest.raises(AssertionError, match="assign-instead-of-accumulate"):
        gradtrace.assert_engine(engine("assign"))
    report = gradtrace.assert_engine(micrograd_engine.Value, min_score=0.8)
    assert 0.8 <= report.score < 1


def test_str_is_a_table_then_the_messages():
    text = str(gradtrace.check_engine(engine("stale")))
    lines = text.splitlines()
    assert "score 0.96" in lines[0] or "score" in lines[0]
    assert lines[1].split() == ["check", "cause", "expected", "got"]
    assert "stale-inner-gradients" in lines[2] and lines[-1].startswith("1. ")
    assert str(gradtrace.check_engine(engine())).endswith("no mistakes found")


def test_report_draw_marks_the_wrong_wire_with_the_right_number():
    import gradtrace.viz  # installs the drawer: the engine never imports viz

    report = gradtrace.check_engine(engine("assign"))
    source = report.draw().source
    assert "a + a: assign-instead-of-accumulate" in source
    assert "yours 1 → should be 2" in source  # a + a: a.grad is 1 where it must be 2
    assert gradtrace.viz.draw(report).source == source


def test_report_draw_of_a_passing_engine_says_there_is_nothing_wrong():
    import gradtrace.viz  # noqa: F401

    with pytest.raises(ValueError, match="every check passed"):
        gradtrace.check_engine(engine()).draw()


def test_report_draw_reads_other_attribute_names():
    import gradtrace.viz  # noqa: F401

    V = engine("assign")  # a fresh class: give it its inputs under another name too
    V.inputs = property(lambda self: sorted(self._prev, key=lambda v: v.data))
    report = gradtrace.check_engine(V)
    source = report.draw(parents="inputs").source
    assert "a + a: assign-instead-of-accumulate" in source and "should be 2" in source
