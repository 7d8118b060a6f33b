"""Volunteer applications, on a real database without a broker."""
import json

import pytest

from common.errors import Conflict, ValidationFailed
from services.volunteers import domain
from services.volunteers.models import Application, Volunteer

FORM = {"name": "林晓燕", "phone": "13912345678", "compound": "banshan_linhai",
        "skills": ["reading"], "consent": True}


def submit(store, crypto, **changes):
    with store.uow() as uow:
        return domain.submit_application(uow, crypto, {**FORM, **changes})


def approve(store, crypto, application_id):
    with store.uow() as uow:
        return domain.approve_application(uow, crypto, application_id, "sw1")


def test_personal_data_is_encrypted_and_never_in_the_facts(store, crypto):
    receipt = submit(store, crypto)
    with store.session() as session:
        row = session.get(Application, receipt["id"])
        assert "13912345678" not in row.phone_enc and "林晓燕" not in row.name_enc
    approve(store, crypto, receipt["id"])
    text = json.dumps(store.events(), ensure_ascii=False)
    assert "13912345678" not in text and "林晓燕" not in text
    assert [e["event_type"] for e in store.events()] == [
        "application_submitted", "volunteer_registered", "application_approved"]


def test_approving_twice_registers_one_volunteer(store, crypto):
    receipt = submit(store, crypto)
    first, second = approve(store, crypto, receipt["id"]), approve(store, crypto, receipt["id"])
    assert first == second and first["volunteer_number"] == "V000001"
    assert store.count(Volunteer) == 1
    assert len(store.events("application_approved")) == 1


def test_declined_cannot_be_approved_and_the_phone_may_apply_again(store, crypto):
    receipt = submit(store, crypto)
    with pytest.raises(ValidationFailed) as refused:
        with store.uow() as uow:
            domain.decline_application(uow, crypto, receipt["id"], {"reason": "   "})
    assert "reason" in refused.value.details
    with store.uow() as uow:
        domain.decline_application(uow, crypto, receipt["id"], {"reason": "名额已满"}, "sw1")
    with pytest.raises(Conflict):
        approve(store, crypto, receipt["id"])
    assert submit(store, crypto)["status"] == "pending"
    with pytest.raises(Conflict) as pending:
        submit(store, crypto)
    assert "phone" in pending.value.details
