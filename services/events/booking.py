"""Venue booking in the resources service, over RPC, with compensation.

Scheduling: validate → ``book_venue`` (outside any transaction) → unit of work creating
the event with the booking id → on any failure after booking, ``cancel_booking``
(compensate) → after commit, ``link_booking_to_event`` (best effort). A booking that must
be released (cancelled or moved event, failed scheduling) is written to
``booking_releases`` in the same transaction as the change — or, for a failed
scheduling, in a transaction of its own — and released at once; a timer retries what the
resources service did not confirm. No network I/O happens inside a unit of work.

``resources`` is the service's ``common.rpc.BoundedRpc`` to the resources service
(``RESOURCES_RPC_TIMEOUT_SECONDS``, default 2 s, and the same message TTL, so a call
nobody picked up is never executed later): a resources service that does not answer is
``ServiceUnavailable`` (503) and nothing is written.
"""
import logging
from datetime import timedelta

from common import times
from common.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from services.events import domain, partners
from services.events.models import UncertainBooking

log = logging.getLogger(__name__)


def book(resources, request, store=None):
    """book_venue; the resources service's errors, named by the event's field. A call
    that timed out is remembered (``uncertain_bookings``) for the timer's sweep."""
    try:
        booking = resources.call("book_venue", request)
    except ServiceUnavailable as exc:
        if store is not None and getattr(exc, "timed_out", False):
            try:
                with store.session() as session:
                    domain.record_uncertain_booking(session, request)
            except Exception:  # noqa: BLE001
                log.exception("could not record an uncertain booking")
        raise
    except Conflict as exc:
        details = dict(exc.details or {})
        details.setdefault("venue_id", ["venue_booked_for_time"])
        raise Conflict(exc.key or "venue_booked_for_time", details, exc.params) from None
    except NotFound as exc:
        raise ValidationFailed("unknown_venue", dict(exc.details or {},
                                                     venue_id=["unknown_venue"])) from None
    return int(booking["id"])


def release_now(store, resources, booking_id, event_id=None, reason="released", queued=False):
    """Release a booking now; if the resources service does not confirm, leave (or
    write) a booking_releases row for the timer. Never raises."""
    released = False
    try:
        resources.call("cancel_booking", booking_id)
        released = True
    except Exception as exc:  # noqa: BLE001 - retried by the timer
        log.warning("could not release booking %s now (%s); will retry",
                    booking_id, type(exc).__name__)
    try:
        with store.session() as session:
            if not queued and not released:
                domain.queue_release(session, booking_id, event_id, reason)
            if queued or not released:
                domain.mark_release(session, booking_id, released)
    except Exception:  # noqa: BLE001
        log.exception("could not record the release of booking %s", booking_id)
    return released


def link(resources, booking_id, event_id):
    try:
        resources.call("link_booking_to_event", booking_id, event_id)
    except Exception as exc:  # noqa: BLE001 - best effort; the booking is the event's anyway
        log.warning("could not link booking %s to event %s (%s)", booking_id, event_id,
                    type(exc).__name__)


def schedule_event(store, resources, data, organiser):
    data = domain.validate_new_event(data)
    partners.resolve_attendees(resources, data.get("attendees"))
    booking_id = None
    if data.get("venue_id"):
        booking_id = book(resources, domain.booking_request(data), store)
    try:
        with store.unit_of_work() as uow:
            event = domain.create_event(uow, data, organiser, booking_id)
    except BaseException:
        if booking_id is not None:
            release_now(store, resources, booking_id, None, "scheduling_failed")
        raise
    if booking_id is not None:
        link(resources, booking_id, event["id"])
    return event


def _move_within_own_slot(store, resources, event_id, current, rebooking):
    """The new slot overlaps the event's own booking of the same room: free it first,
    then book the new slot; if that fails, book the old slot again and point the event
    at it, then re-raise."""
    resources.call("cancel_booking", current["booking_id"])
    try:
        return book(resources, rebooking)
    except BaseException:
        try:
            restored = book(resources, current["request"])
            with store.unit_of_work() as uow:
                domain.restore_booking(uow, event_id, restored)
        except Exception:  # noqa: BLE001
            log.error("event %s lost its booking %s while moving; book it again",
                      event_id, current["booking_id"])
        raise


def update_event(store, resources, event_id, data):
    with store.session() as session:
        changes, rebooking, current = domain.plan_update(session, event_id, data)
    partners.resolve_attendees(resources, changes.get("attendees"))
    new_booking = None
    if rebooking:
        try:
            new_booking = book(resources, rebooking, store)
        except Conflict as exc:
            own = current and str((exc.details or {}).get("booking_id")) == \
                str(current["booking_id"])
            if not own:
                raise
            new_booking = _move_within_own_slot(store, resources, event_id, current,
                                                rebooking)
    try:
        with store.unit_of_work() as uow:
            event = domain.update_event(uow, event_id, changes, new_booking)
    except BaseException:
        if new_booking is not None:
            release_now(store, resources, new_booking, event_id, "update_failed")
        raise
    old = event.pop("release_booking_id", None)
    if old:
        release_now(store, resources, old, event_id, queued=True)
    return event


def cancel_event(store, resources, event_id, data):
    with store.unit_of_work() as uow:
        event = domain.cancel_event(uow, event_id, data)
    booking_id = event.pop("release_booking_id", None)
    if booking_id:
        release_now(store, resources, booking_id, event_id, queued=True)
    return event


def release_pending(store, resources):
    """The timer's retry of releases the resources service has not confirmed yet, and
    its sweep for bookings made by calls that timed out."""
    with store.session() as session:
        pending = domain.pending_releases(session)
    released = 0
    for booking_id in pending:
        if release_now(store, resources, booking_id, queued=True):
            released += 1
    return released + sweep_uncertain(store, resources)


def sweep_uncertain(store, resources, grace_seconds=None):
    """Find and release bookings that resources made after book_venue timed out (found
    with ``list_venue_bookings``; best effort, a few attempts per call)."""
    grace = timedelta(seconds=grace_seconds if grace_seconds is not None
                      else 5 * resources.timeout)
    with store.session() as session:
        pending = [(u.id, u.venue_id, u.start, u.end)
                   for u in domain.pending_uncertain_bookings(session, times.now() - grace)]
    released = 0
    for uncertain_id, venue_id, start, end in pending:
        found = None
        try:
            listing = resources.call("list_venue_bookings", venue_id, {
                "from": times.iso(start), "to": times.iso(end)})
            with store.session() as session:
                uncertain = session.get(UncertainBooking, uncertain_id)
                found = domain.orphans_of(session, uncertain, listing.get("items", []), grace)
        except Exception as exc:  # noqa: BLE001 - tried again at the next tick
            log.warning("could not look for an orphan booking of venue %s (%s)", venue_id,
                        type(exc).__name__)
        for booking_id in found or []:
            if release_now(store, resources, booking_id, None, "timed_out_booking"):
                released += 1
        with store.session() as session:
            domain.note_uncertain(session, uncertain_id, resolved=bool(found))
    return released
