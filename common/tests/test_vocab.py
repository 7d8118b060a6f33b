"""The community's own code lists (compounds, skills, the service menu's series) come from
config/communities/<COMMUNITY_ID>.yaml, read once per process; the fixed ones stay in
common/vocab.py. Fields validate against them when they load."""
import pytest
from marshmallow import Schema, ValidationError, fields

from common import vocab
from common.config import ConfigError, load_config
from common.messages import render

APPLICATION_COMPOUNDS = ["半山林海", "福隆花园", "滨海森林", "港务小区", "优山美地", "新丰家园",
                         "金海花园"]


@pytest.fixture
def hetong():
    """The process's vocabulary as every test process configures it (COMMUNITY_ID=hetong);
    restored after tests that point it elsewhere."""
    yield vocab.configure(load_config("events", environ={}))
    vocab.configure(load_config("events", environ={}))


def test_hetong_lists_the_seven_compounds_of_the_application_and_three_placeholders(hetong):
    compounds = hetong.items["compounds"]
    assert [c["label"] for c in compounds if not c["placeholder"]] == APPLICATION_COMPOUNDS
    placeholders = [c for c in compounds if c["placeholder"]]
    assert len(compounds) == 10 and len(placeholders) == 3
    assert all(c["label"].startswith("待补充") for c in placeholders)
    # Names no source gives are gone.
    labels = {c["label"] for c in compounds}
    assert not labels & {"和通里", "湖里佳园", "海天小区"}
    assert vocab.label("compounds", "banshan_linhai") == "半山林海"


def test_the_service_menu_names_the_projects_series_each_serving_a_plan(hetong):
    series = {s["label"]: s for s in hetong.items["series"]}
    assert {"我们的节日", "老少帮代传", "四点半课堂", "儿童友好"} <= set(series)
    for item in series.values():
        assert item["code"] and item["description"] and item["plan"] in vocab.PLANS
        assert item["plan_label"] == vocab.PLANS[item["plan"]]
    assert {s["plan"] for s in series.values()} == set(vocab.PLANS)  # all four plans


def test_skills_have_chinese_labels_and_the_needs_they_answer(hetong):
    skills = vocab.codes("skills")
    assert skills["first_aid"] == "急救" and skills["calligraphy"] == "书法"
    assert {"care", "cooking", "tutoring", "guide", "law", "repair"} <= set(skills)
    assert "elderly_care" in vocab.skills_for_need("care")
    assert vocab.skills_for_need("tutoring")[0] == "tutoring"
    for item in hetong.items["skills"]:
        assert set(item["need_categories"]) <= set(vocab.NEED_CATEGORIES)


def test_label_of_any_vocabulary_falls_back_to_the_code():
    assert vocab.label("target_groups", "elderly") == "老年人"
    assert vocab.label("plans", "culture") == "文化融和"
    assert vocab.label("compounds", "not_a_compound") == "not_a_compound"
    assert vocab.label("compounds", None) is None
    with pytest.raises(KeyError):
        vocab.label("no_such_vocabulary", "x")


class Form(Schema):
    compound = vocab.Compound(allow_none=True)
    skills = fields.List(vocab.Skill())
    series = vocab.Series()


def shown(message):
    """A field's message as a person reads it (Chinese)."""
    return render(message.key, message.params)


def test_fields_refuse_unknown_codes_naming_the_allowed_ones(hetong):
    assert Form().load({"compound": "fulong_huayuan", "skills": ["first_aid"],
                        "series": "festivals"}) == {
        "compound": "fulong_huayuan", "skills": ["first_aid"], "series": "festivals"}
    with pytest.raises(ValidationError) as error:
        Form().load({"compound": "福隆花园", "skills": ["书法"], "series": "nope"})
    messages = error.value.messages
    compound = shown(messages["compound"][0])
    assert "fulong_huayuan" in compound and "福隆花园" in compound and "小区" in compound
    assert "calligraphy" in shown(messages["skills"][0][0])
    assert "festivals" in shown(messages["series"][0])


def test_another_community_reads_its_own_file(tmp_path, hetong):
    (tmp_path / "binhai.yaml").write_text(
        "community_id: binhai\nname: 滨海社区\ncompounds:\n  - {code: a1, name: 甲一小区}\n",
        encoding="utf-8")
    community = vocab.configure({"COMMUNITY_ID": "binhai"}, directory=tmp_path)
    assert community.name == "滨海社区" and vocab.codes("compounds") == {"a1": "甲一小区"}
    assert vocab.codes("skills") == {} and vocab.codes("series") == {}
    with pytest.raises(ValidationError) as error:
        Form().load({"compound": "fulong_huayuan"})
    assert "a1" in shown(error.value.messages["compound"][0])


def test_a_community_without_its_file_accepts_no_codes_and_says_where_to_list_them(
        tmp_path, hetong):
    vocab.configure({"COMMUNITY_ID": "nowhere"}, directory=tmp_path)
    assert vocab.codes("compounds") == {}
    with pytest.raises(ValidationError) as error:
        Form().load({"compound": "fulong_huayuan"})
    assert "nowhere.yaml" in shown(error.value.messages["compound"][0])


@pytest.mark.parametrize("text,complaint", [
    ("compounds:\n  - {code: a, name: 甲}\n  - {code: a, name: 乙}\n", "twice"),
    ("compounds:\n  - {code: 甲, name: 甲}\n", "code"),
    ("skills:\n  - {code: x, name: 某, needs: [cooking]}\n", "cooking"),
    ("series:\n  - {code: s, name: 某, plan: party, description: d}\n", "party"),
    ("series:\n  - {code: s, name: 某, plan: culture}\n", "description"),
])
def test_a_malformed_community_file_stops_the_process(tmp_path, hetong, text, complaint):
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=complaint):
        vocab.configure({"COMMUNITY_ID": "bad"}, directory=tmp_path)


def test_a_printed_document_names_the_community_it_is_for(hetong):
    # The configured community (a sign-in sheet, a certificate's issuer) by its name and
    # its compounds by theirs; a community without a file is shown by its id.
    assert vocab.of_community("hetong").name == "和通社区"
    assert vocab.of_community(None).name == "和通社区"
    assert vocab.of_community("hetong").compound_label("fulong_huayuan") == "福隆花园"
    assert vocab.of_community("hetong").compound_label(None) == ""
    assert vocab.of_community("hetong").compound_label("unlisted") == "unlisted"
    assert vocab.of_community("no_such_community").name == "no_such_community"
