"""A joint meeting's attendees who are partners of the resources service (五社 partners):
looked up over RPC before the unit of work (no network I/O inside one), so an attendee
carries the partner's own name and five-society category. A partner that does not exist
or is archived is a 422 naming the attendee; a resources service that does not answer is
``ServiceUnavailable`` (503) and nothing is written."""
from common.errors import NotFound, ValidationFailed, msg


def resolve_attendees(resources, attendees):
    """``attendees`` as validated (``schemas.MeetingAttendee``); those with a partner_id
    get the partner's name and category. Guests (no partner_id) pass as they are."""
    if not attendees:
        return attendees
    partners, refused = {}, {}
    for index, attendee in enumerate(attendees):
        partner_id = attendee.get("partner_id")
        if partner_id is None:
            continue
        if partner_id not in partners:
            try:
                partners[partner_id] = resources.call("get_partner", partner_id)
            except NotFound:
                partners[partner_id] = None
        partner = partners[partner_id]
        if partner is None:
            refused[index] = {"partner_id": [msg("unknown_partner", partner_id=partner_id)]}
        elif partner.get("status") == "archived":
            refused[index] = {"partner_id": [msg("partner_status", partner_id=partner_id,
                                                   status="archived")]}
        else:
            attendee.update(organisation=partner["name"], category=partner["five_society"])
    if refused:
        raise ValidationFailed("attendee_partner_cannot_attend",
                               {"attendees": refused})
    return attendees
