"""Compounds are codes of the community's list (config/communities/hetong.yaml): a need's
compound and a partner's compounds are refused, naming the field and the allowed codes,
at the gateway and in the service alike; the export labels them in Chinese."""
import io

import pytest

from common import vocab
from common.errors import ValidationFailed
from services.resources import sample
from services.resources.models import Need, Partner
from tests.fixtures import refused

NEED = {"target_group": "elderly", "category": "care", "description": "独居老人需要探访"}
PARTNER = {"name": "和通小学", "kind": "school", "five_society": "social_resource"}


def assert_refused(response, field, wrong):
    refused(response, field, wrong, "fulong_huayuan", "banshan_linhai")


def test_a_compound_that_is_not_a_code_is_refused_everywhere_it_is_written(stack):
    stack.start("resources", "gateway")
    client = stack.client()
    needs_before = client.get("/needs").json()["total"]
    partners_before = client.get("/partners").json()["total"]

    assert_refused(client.post("/needs", json=dict(NEED, compound="福隆花园")), "compound",
                   "福隆花园")
    assert_refused(client.post("/partners", json=dict(
        PARTNER, compounds=["fulong_huayuan", "海天小区"])), "compounds", "海天小区")
    partner = client.post("/partners", json=dict(PARTNER, compounds=["fulong_huayuan"]))
    assert partner.status_code == 201, partner.text
    assert_refused(client.patch(f"/partners/{partner.json()['id']}",
                                json={"compounds": ["hetong_lizhi"]}), "compounds", "hetong_lizhi")
    assert_refused(client.get("/needs", params={"compound": "福隆花园"}), "compound", "福隆花园")
    assert_refused(client.get("/partners", params={"compound": "fulong"}), "compound", "fulong")

    # The service refuses the same input itself (the same schemas), whoever calls it.
    with stack.rpc() as cluster:
        with pytest.raises(ValidationFailed) as refused:
            cluster.resources.create_need(dict(NEED, compound="fulong_huayuan "))
        assert "compound" in refused.value.details
        with pytest.raises(ValidationFailed) as refused:
            cluster.resources.create_partner(dict(PARTNER, compounds=["Fulong_Huayuan"]))
        assert "compounds" in refused.value.details

    assert client.get("/needs").json()["total"] == needs_before
    assert client.get("/partners").json()["total"] == partners_before + 1
    need = client.post("/needs", json=dict(NEED, compound="fulong_huayuan"))
    assert need.status_code == 201 and need.json()["compound"] == "fulong_huayuan"
    placeholder = client.post("/needs", json=dict(NEED, compound="compound_8"))
    assert placeholder.status_code == 201, placeholder.text
    listed = client.get("/needs", params={"compound": "fulong_huayuan"}).json()
    assert [n["id"] for n in listed["items"]] == [need.json()["id"]]


def test_the_xlsx_export_names_the_providers_compounds_in_chinese(stack):
    stack.start("resources", "gateway")
    client = stack.client()
    partner = client.post("/partners", json=dict(
        PARTNER, compounds=["binhai_senlin", "fulong_huayuan"])).json()
    resource = client.post("/resources", json={
        "type": "material", "title": "爱心书包", "partner_id": partner["id"],
        "target_groups": ["children"], "quantity": 20, "value_yuan": 1600}).json()
    response = client.get("/resources/export", params={"format": "xlsx"})
    assert response.status_code == 200, response.text
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook["资源清单"].values)
    column = rows[0].index("服务小区")
    row = next(r for r in rows[1:] if r[1] == resource["id"])
    assert row[column] == "福隆花园、滨海森林" or row[column] == "滨海森林、福隆花园"
    assert "binhai" not in str(rows)
    about = dict(workbook["说明"].values)
    assert about["项目"] == "和通社区“治在融和”资源清单" and about["社区"] == "和通社区"


def test_sample_partners_serve_compounds_of_the_community_only(store, crypto, tmp_path):
    known = set(vocab.codes("compounds"))
    assert {c for p in sample.PARTNERS for c in p["compounds"]} <= known
    # A community whose list lacks them still starts with the sample data: without those
    # compounds rather than refused.
    (tmp_path / "elsewhere.yaml").write_text("compounds:\n  - {code: a1, name: 甲一小区}\n",
                                             encoding="utf-8")
    vocab.configure({"COMMUNITY_ID": "elsewhere"}, directory=tmp_path)
    try:
        with store.uow() as uow:
            sample.load_sample_data(uow, {"PII_KEY": "k", "PII_HASH_KEY": "h"})
    finally:
        vocab.configure({"COMMUNITY_ID": "hetong"})
    with store.session() as session:
        partners = session.query(Partner).all()
        assert partners and all(p.compounds == [] for p in partners)
        assert session.query(Need).count() == 0
