"""A joint meeting's attendees link to the partners of the resources service: through the
gateway, with the real resources service on the real broker."""
from services.events.tests.test_interface import event_body, outbox


def meeting(**overrides):
    body = event_body(title="第四季度五社联席会", plan="system", kind="joint_meeting",
                      target_groups=["all_residents"], capacity=0, agenda="议题：儿童游乐设施修缮")
    body.update(overrides)
    return body


def partner(client, name, five_society, kind="social_org"):
    response = client.post("/partners", json={"name": name, "kind": kind,
                                              "five_society": five_society})
    assert response.status_code == 201, response.text
    return response.json()


def test_attendees_are_partners_with_their_own_name_and_category(stack):
    stack.start("resources", "events", "gateway")
    staff = stack.client()
    org = partner(staff, "益心社工服务中心", "social_org")
    committee = partner(staff, "半山林海业委会", "self_governance", kind="resident_group")

    created = staff.post("/events", json=meeting(attendees=[
        # The category given is the partner's own, whatever the form said.
        {"partner_id": org["id"], "category": "community", "count": 2},
        {"partner_id": committee["id"]},
        {"organisation": "厦门大学社会学系", "category": "social_resource"},  # a guest
    ], residents=12, others=3, minutes="会议纪要：同意修缮方案"))
    assert created.status_code == 201, created.text
    event = staff.get(f"/events/{created.json()['id']}").json()
    assert event["attendees"] == [
        {"partner_id": org["id"], "organisation": "益心社工服务中心", "category": "social_org",
         "count": 2},
        {"partner_id": committee["id"], "organisation": "半山林海业委会",
         "category": "self_governance", "count": 1},
        {"partner_id": None, "organisation": "厦门大学社会学系",
         "category": "social_resource", "count": 1}]
    assert (event["residents"], event["others"]) == (12, 3)
    assert event["minutes"] == "会议纪要：同意修缮方案"
    assert event["five_society"] == {"social_org": 2, "self_governance": 1,
                                     "social_resource": 1}

    # A change of attendees is checked the same way.
    changed = staff.patch(f"/events/{event['id']}", json={"attendees": [
        {"partner_id": committee["id"], "count": 4}], "residents": 20})
    assert changed.status_code == 200, changed.text
    assert changed.json()["attendees"] == [{"partner_id": committee["id"],
                                            "organisation": "半山林海业委会",
                                            "category": "self_governance", "count": 4}]
    assert changed.json()["residents"] == 20


def test_unknown_or_archived_partner_is_422_naming_the_attendee(stack):
    stack.start("resources", "events", "gateway")
    staff = stack.client()
    org = partner(staff, "益心社工服务中心", "social_org")
    gone = partner(staff, "已解散志愿队", "social_resource")
    assert staff.post(f"/partners/{gone['id']}/archive").status_code == 200

    unknown = staff.post("/events", json=meeting(attendees=[
        {"partner_id": org["id"]}, {"partner_id": 99999}]))
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["details"]["attendees"] == {
        "1": {"partner_id": ["合作伙伴 99999 不存在"]}}

    archived = staff.post("/events", json=meeting(attendees=[
        {"organisation": "居民代表", "category": "community"}, {"partner_id": gone["id"]}]))
    assert archived.status_code == 422, archived.text
    assert list(archived.json()["details"]["attendees"]) == ["1"]

    guest = staff.post("/events", json=meeting(attendees=[{"count": 2}]))
    assert guest.status_code == 422, guest.text
    assert set(guest.json()["details"]["attendees"]["0"]) == {"organisation", "category"}

    # Nothing written by any refused meeting.
    assert staff.get("/events").json()["total"] == 0 and outbox(stack) == []


def test_resources_down_is_503_and_nothing_written(stack):
    stack.start("events", RESOURCES_RPC_TIMEOUT_SECONDS=0.5)
    stack.start("gateway")
    staff = stack.client()
    refused = staff.post("/events", json=meeting(attendees=[{"partner_id": 1}]))
    assert refused.status_code == 503, refused.text
    assert refused.json()["details"]["service"] == "resources"
    assert staff.get("/events").json()["total"] == 0 and outbox(stack) == []
    # Guests alone need no partner look-up.
    guests = staff.post("/events", json=meeting(attendees=[
        {"organisation": "居民代表", "category": "community"}], residents=8))
    assert guests.status_code == 201, guests.text
