"""Helpers of the events service's tests."""
from datetime import datetime, timezone

from common.errors import Conflict, ServiceUnavailable


class FakeResources:
    """Stands in for the resources service's RPC in unit tests of booking.py."""

    timeout = 2.0  # seconds, as common.rpc.BoundedClient's

    def __init__(self):
        self.calls = []
        self.bookings = {}
        self.next_id = 100
        self.fail = {}  # method -> exception to raise
        self.book_then_time_out = False

    def call(self, method, *args):
        self.calls.append((method,) + args)
        if method in self.fail:
            raise self.fail[method]
        if method == "book_venue":
            data = args[0]
            for bid, other in self.bookings.items():
                if other["status"] == "active" and other["venue_id"] == data["venue_id"] \
                        and other["start"] < data["end"] and data["start"] < other["end"]:
                    raise Conflict(f"overlaps booking {bid}", {"booking_id": bid})
            self.next_id += 1
            self.bookings[self.next_id] = dict(args[0], status="active", id=self.next_id,
                                               event_id=args[0].get("event_id"),
                                               created_at=datetime.now(timezone.utc)
                                               .isoformat())
            if self.book_then_time_out:  # booked, but the answer comes too late
                error = ServiceUnavailable("resources did not answer within 2 s", {})
                error.timed_out = True
                raise error
            return dict(self.bookings[self.next_id])
        if method == "cancel_booking":
            self.bookings[args[0]]["status"] = "cancelled"
            return {"id": args[0], "status": "cancelled"}
        if method == "list_venue_bookings":
            venue_id, query = args
            return {"items": [dict(b) for b in self.bookings.values()
                              if b["venue_id"] == venue_id and b["status"] == "active"
                              and b["start"] < query["to"] and query["from"] < b["end"]]}
        if method == "link_booking_to_event":
            self.bookings[args[0]]["event_id"] = args[1]
            return {"id": args[0]}
        raise AssertionError(method)

    def active(self):
        return {k: v for k, v in self.bookings.items() if v["status"] == "active"}
