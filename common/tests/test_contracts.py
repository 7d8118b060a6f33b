"""The event registry: the single source for publishers, consumers and AsyncAPI."""
import re

import pytest
from marshmallow import fields

from common import asyncapi, contracts


def test_unknown_event_type_raises_at_once():
    with pytest.raises(contracts.UnknownEventType):
        contracts.envelope("volunteer_teleported", {}, "volunteers", "hetong")


def test_invalid_payload_raises_naming_the_field():
    with pytest.raises(contracts.InvalidPayload) as err:
        contracts.envelope("volunteer_registered", {
            "volunteer_id": "seven", "volunteer_number": "V1", "skills": [],
            "talent": False, "registered_at": "2026-11-28T09:30:00Z"}, "volunteers", "hetong")
    assert "volunteer_id" in err.value.messages


def test_unknown_payload_field_is_rejected():
    with pytest.raises(contracts.InvalidPayload) as err:
        contracts.envelope("idea_voted", {"idea_id": 1, "votes": 2, "phone": "13800000000"},
                           "events", "hetong")
    assert "phone" in err.value.messages


def test_only_the_owning_service_may_publish_a_type():
    with pytest.raises(contracts.UnknownEventType):
        contracts.envelope("idea_voted", {"idea_id": 1, "votes": 2}, "reports", "hetong")


def test_envelope_has_the_design_shape():
    env = contracts.envelope("idea_voted", {"idea_id": 1, "votes": 2}, "events", "hetong")
    assert set(env) == {"event_id", "event_type", "source", "community_id", "occurred_at",
                        "version", "payload"}
    assert env["occurred_at"].endswith("Z")
    assert contracts.parse_envelope(env) is env


def test_design_event_types_are_all_registered():
    design = """partner_registered resource_registered resource_updated venue_booked
    venue_booking_cancelled need_registered need_matched need_closed volunteer_registered
    volunteer_updated shift_opened shift_signed_up shift_signup_cancelled waitlist_promoted
    hours_recorded hours_approved hours_rejected certificate_issued event_scheduled
    event_published event_cancelled event_completed participant_registered
    participant_cancelled attendance_recorded feedback_submitted idea_submitted idea_voted
    idea_adopted decision_recorded action_item_updated community_summary_published
    kpi_at_risk""".split()
    registry = contracts.load_all()
    assert set(design) <= set(registry)
    for name in registry:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", name), name


PII_FIELD = re.compile(r"(^|_)(name|phone|mobile|id_number|id_card|address)$")


def test_no_payload_field_can_carry_personal_data():
    """Payloads carry ids, codes, counts and times: a field named like a person's name,
    phone or ID number is a contract bug."""
    for et in contracts.load_all().values():
        for field_name, field in et.schema().fields.items():
            if et.name == "volunteer_role_added" and field_name == "name":
                continue  # the role's name ("签到引导"), not a person's
            assert not PII_FIELD.search(field_name), (et.name, field_name)
            assert not isinstance(field, fields.Email), (et.name, field_name)


def test_asyncapi_document_is_current():
    """Regenerate with `make asyncapi` after changing common/contracts."""
    assert asyncapi.PATH.read_text(encoding="utf-8") == asyncapi.render()


def test_consumers_refuse_an_envelope_of_the_wrong_shape():
    env = contracts.envelope("idea_voted", {"idea_id": 1, "votes": 2}, "events", "hetong")
    for broken in ({**env, "source": "reports"}, {**env, "version": 2},
                   {k: v for k, v in env.items() if k != "event_id"},
                   {**env, "extra": 1}, {**env, "event_type": "idea_teleported"}, [env]):
        with pytest.raises(ValueError):
            contracts.parse_envelope(broken)


def test_a_full_check_also_validates_the_payload():
    env = contracts.envelope("idea_voted", {"idea_id": 1, "votes": 2}, "events", "hetong")
    bad = {**env, "payload": {"idea_id": "one", "votes": 2}}
    assert contracts.parse_envelope(bad) is bad  # shape only: the handler will refuse it
    with pytest.raises(contracts.InvalidPayload):
        contracts.parse_envelope(bad, check_payload=True)
