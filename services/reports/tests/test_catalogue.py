"""How a figure is shown from its raw counters, as a coordinator reads it on the reports
page: whole counts as whole numbers, means and hours to two places, a mean with nobody
scoring it as no figure at all, and the label and unit of every figure the page lists."""
from services.reports import catalogue


def value(name, **raw):
    return catalogue.BY_NAME[name].value(raw)


def test_a_count_is_a_whole_number_and_a_fraction_keeps_two_places():
    assert value("walk_ins", walk_ins=3.0) == 3 and isinstance(value("walk_ins", walk_ins=3.0), int)
    assert value("walk_ins", walk_ins=7) == 7
    assert value("walk_ins", walk_ins=1.256) == 1.26
    assert value("walk_ins") == 0


def test_a_mean_nobody_has_scored_is_no_figure_and_a_mean_of_nothing_scored_is_zero():
    assert value("mean_satisfaction") is None
    assert value("mean_satisfaction", satisfaction_sum=9) is None
    assert value("mean_satisfaction", feedback_count=2) == 0.0
    assert value("mean_satisfaction", satisfaction_sum=9, feedback_count=2) == 4.5
    assert value("mean_hours_to_match", match_wait_seconds=5400, needs_matched=1) == 1.5


def test_minutes_and_fen_are_shown_as_hours_and_yuan():
    assert value("volunteer_hours_approved", volunteer_minutes_approved=150) == 2.5
    assert value("volunteer_hours_approved", volunteer_minutes_approved=100) == 1.67
    assert value("volunteer_hours_approved") == 0
    assert value("resource_value_registered", resource_value_registered_fen=123456) == 1234.56


def test_every_figure_has_its_chinese_label_and_unit():
    assert (catalogue.label("walk_ins"), catalogue.unit("walk_ins")) == ("现场参与人次", "人次")
    assert (catalogue.label("action_items_open"), catalogue.unit("action_items_open")) == (
        "未完成督办事项", "项")
    assert (catalogue.label("partners_active"), catalogue.unit("partners_active")) == (
        "合作中的合作单位", "家")
    # A name the catalogue does not know is shown as itself, without a unit.
    assert (catalogue.label("something_else"), catalogue.unit("something_else")) == (
        "something_else", "")
