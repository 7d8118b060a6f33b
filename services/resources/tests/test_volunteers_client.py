"""Suggestions ask the volunteers service; when it cannot answer, the social worker still
gets the resources, with no volunteers and a flag saying why."""
import pytest
from nameko.exceptions import IncorrectSignature, MethodNotFound, RemoteError

from common.errors import ServiceUnavailable, ValidationFailed
from services.resources.volunteers_client import suggest_volunteers


class FakeVolunteers:
    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.calls = answer, error, []

    def call(self, method, *args, **kwargs):
        self.calls.append((method, args, kwargs))
        if self.error is not None:
            raise self.error
        return self.answer


def test_the_suggestions_of_the_volunteers_service():
    volunteers = FakeVolunteers(answer=[{"volunteer_id": 7, "skills": ["care"]}])
    assert suggest_volunteers(volunteers, ["care"], compound="fulong_huayuan", limit=3) == (
        [{"volunteer_id": 7, "skills": ["care"]}], False)
    assert volunteers.calls == [("suggest_volunteers", (["care"],),
                                 {"compound": "fulong_huayuan", "limit": 3})]


@pytest.mark.parametrize("error", [
    ServiceUnavailable("volunteers did not answer within 2 s", {"service": "volunteers"}),
    ServiceUnavailable("volunteers is not running", {"service": "volunteers"}),
    RemoteError("OperationalError", "database is locked"),
    MethodNotFound("suggest_volunteers"),          # an older volunteers service
    IncorrectSignature("unexpected keyword 'compound'"),
    ValidationFailed("invalid fields: skills", {"skills": ["unknown"]}),
])
def test_no_answer_is_no_volunteers_and_a_flag(error):
    assert suggest_volunteers(FakeVolunteers(error=error), ["care"]) == ([], True)


def test_an_answer_that_is_not_a_list_is_no_volunteers_and_a_flag():
    assert suggest_volunteers(FakeVolunteers(answer={"oops": 1}), ["care"]) == ([], True)
