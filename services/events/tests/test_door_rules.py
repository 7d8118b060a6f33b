"""The door check-in's rules on a real database, without a broker: the time it is open,
the token that opens it, and what it records."""
from datetime import timedelta

import pytest

from common import times
from common.errors import NotFound, ValidationFailed
from services.events import domain
from services.events.models import Attendance, Event
from services.events.tests.test_domain import START, person, published, schedule


def token_of(store, event_id):
    with store.session() as session:
        return session.get(Event, event_id).door_token


@pytest.mark.parametrize("offset, opens", [
    (-timedelta(minutes=31), False), (-timedelta(minutes=29), True),
    (timedelta(hours=2), True), (timedelta(hours=2, minutes=1), False)])
def test_the_door_opens_half_an_hour_before_the_start_and_closes_at_the_end(
        store, crypto, resources, offset, opens):
    event = published(store, resources, capacity=0)
    with store.unit_of_work() as uow:
        domain.register_participant(uow, crypto, event["id"], person(1))
    token = token_of(store, event["id"])
    at = times.parse(START) + offset
    with store.session() as session:
        assert domain.door_event(session, token, now=at)["open"] is opens
    with store.unit_of_work() as uow:
        if opens:
            answer = domain.door_check_in(uow, crypto, token, {"phone": person(1)["phone"]},
                                          now=at)
            assert answer["walk_in"] is False
        else:
            with pytest.raises(ValidationFailed) as refused:
                domain.door_check_in(uow, crypto, token, {"phone": person(1)["phone"]},
                                     now=at)
            assert "签到时间" in refused.value.to_dict()["message"] and "time" in refused.value.details
    assert store.count(Attendance) == (1 if opens else 0)


def test_each_event_has_its_own_token_and_only_a_published_one_opens(store, crypto, resources):
    draft = schedule(store, resources)
    open_event = published(store, resources)
    tokens = {token_of(store, draft["id"]), token_of(store, open_event["id"])}
    assert len(tokens) == 2 and all(len(t) >= 20 for t in tokens)
    during = times.parse(START) + timedelta(minutes=5)
    with store.unit_of_work() as uow:
        for token in (token_of(store, draft["id"]), str(open_event["id"]), ""):
            with pytest.raises(NotFound):
                domain.door_check_in(uow, crypto, token, {"phone": person(2)["phone"]},
                                     now=during)


def test_a_walk_in_at_the_door_is_recorded_as_one(store, crypto, resources):
    event = published(store, resources)
    token = token_of(store, event["id"])
    during = times.parse(START) + timedelta(minutes=5)
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationFailed) as refused:
            domain.door_check_in(uow, crypto, token, {"phone": person(3)["phone"]}, now=during)
        assert "phone" in refused.value.details
    with store.unit_of_work() as uow:
        answer = domain.door_check_in(uow, crypto, token, {
            "phone": person(3)["phone"], "walk_in": True, "name": "王阿姨",
            "target_group": "elderly"}, now=during)
    assert answer["walk_in"] is True
    with store.session() as session:
        attendance = session.query(Attendance).one()
        assert attendance.walk_in and attendance.name_enc != "王阿姨"
