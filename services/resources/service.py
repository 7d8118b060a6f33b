"""Resources service: nameko entrypoints only; the logic is in domain.py.

Partners, the resource library, the station's venues and their bookings, residents'
needs and their matching (plan 资源融和). Writes run in a unit of work whose facts commit
with them (outbox); reads in a session. Nothing here talks to the network inside a
transaction: suggestions read first, then ask the volunteers service.
"""
from nameko.dependency_providers import Config
from common.rpc import BoundedRpc, rpc

from common.db import Store
from common.errors import BadRequest
from common.idempotency import idempotent
from common.metrics import Instrumentation
from common.ops import OperatorEndpoints
from common.outbox import OutboxRelay
from common.pii import PiiCrypto
from common.sample import SampleData
from services.resources import cases, domain, export
from services.resources.models import metadata
from services.resources.volunteers_client import suggest_volunteers


class ResourcesService(OperatorEndpoints):
    name = "resources"

    config = Config()
    store = Store(metadata)
    relay = OutboxRelay()
    sample_data = SampleData()
    instrumentation = Instrumentation()
    crypto = PiiCrypto()
    volunteers_rpc = BoundedRpc("volunteers", "VOLUNTEERS_RPC_TIMEOUT_SECONDS")

    # ------------------------------------------------------------ partners

    @rpc
    @idempotent
    def create_partner(self, data):
        with self.store.unit_of_work() as uow:
            return domain.register_partner(uow, self.crypto, data)

    @rpc
    def get_partner(self, partner_id, reveal=False):
        with self.store.session() as session:
            return domain.get_partner(session, self.crypto, partner_id, reveal)

    @rpc
    @idempotent
    def update_partner(self, partner_id, data):
        with self.store.unit_of_work() as uow:
            return domain.update_partner(uow, self.crypto, partner_id, data)

    @rpc
    def list_partners(self, query=None):
        with self.store.session() as session:
            return domain.list_partners(session, self.crypto, query)

    @rpc
    @idempotent
    def archive_partner(self, partner_id):
        with self.store.unit_of_work() as uow:
            return domain.archive_partner(uow, self.crypto, partner_id)

    @rpc
    @idempotent
    def delete_partner(self, partner_id):
        with self.store.unit_of_work() as uow:
            return domain.delete_partner(uow, self.crypto, partner_id)

    # ------------------------------------------------------------ resource library

    @rpc
    @idempotent
    def create_resource(self, data):
        with self.store.unit_of_work() as uow:
            return domain.register_resource(uow, data)

    @rpc
    def get_resource(self, resource_id):
        with self.store.session() as session:
            return domain.get_resource(session, resource_id)

    @rpc
    @idempotent
    def update_resource(self, resource_id, data):
        with self.store.unit_of_work() as uow:
            return domain.update_resource(uow, resource_id, data)

    @rpc
    @idempotent
    def archive_resource(self, resource_id):
        with self.store.unit_of_work() as uow:
            return domain.archive_resource(uow, resource_id)

    @rpc
    @idempotent
    def delete_resource(self, resource_id):
        with self.store.unit_of_work() as uow:
            return domain.delete_resource(uow, resource_id)

    @rpc
    def list_resources(self, query=None):
        with self.store.session() as session:
            return domain.list_resources(session, query)

    @rpc
    def export_resources(self, format="csv"):
        """The resource list (资源清单): {filename, content_type, content_base64}."""
        with self.store.session() as session:
            rows = domain.resource_list(session)
        return export.export_resources(rows, format, self.config.get("COMMUNITY_ID"))

    # ------------------------------------------------------------ venues and bookings

    @rpc
    @idempotent
    def create_venue(self, data):
        with self.store.unit_of_work() as uow:
            return domain.register_venue(uow, data)

    @rpc
    @idempotent
    def update_venue(self, venue_id, data):
        with self.store.unit_of_work() as uow:
            return domain.update_venue(uow, venue_id, data)

    @rpc
    def list_venues(self, query=None):
        with self.store.session() as session:
            return domain.list_venues(session, query)

    @rpc
    def get_venue(self, venue_id):
        with self.store.session() as session:
            return domain.get_venue(session, venue_id)

    @rpc
    def list_venue_bookings(self, venue_id, query=None):
        with self.store.session() as session:
            return domain.list_venue_bookings(session, venue_id, query)

    @rpc
    @idempotent
    def book_venue(self, data):
        with self.store.unit_of_work() as uow:
            return domain.book_venue(uow, data)

    @rpc
    def get_booking(self, booking_id):
        with self.store.session() as session:
            return domain.get_booking(session, booking_id)

    @rpc
    @idempotent
    def cancel_booking(self, booking_id):
        with self.store.unit_of_work() as uow:
            return domain.cancel_booking(uow, booking_id)

    @rpc
    @idempotent
    def link_booking_to_event(self, booking_id, event_id):
        with self.store.unit_of_work() as uow:
            return domain.link_booking_to_event(uow, booking_id, event_id)

    @rpc
    def preview_venue_series(self, data):
        with self.store.session() as session:
            return domain.preview_venue_series(session, data)

    @rpc
    @idempotent
    def book_venue_series(self, data):
        with self.store.unit_of_work() as uow:
            return domain.book_venue_series(uow, data)

    @rpc
    def get_booking_series(self, series_id):
        with self.store.session() as session:
            return domain.get_booking_series(session, series_id)

    @rpc
    @idempotent
    def cancel_booking_series(self, series_id, from_booking_id=None):
        with self.store.unit_of_work() as uow:
            return domain.cancel_booking_series(uow, series_id, from_booking_id)

    # ------------------------------------------------------------ needs and matching

    @rpc
    @idempotent
    def create_need(self, data, actor=None):
        with self.store.unit_of_work() as uow:
            return domain.register_need(uow, self.crypto, data, actor)

    @rpc
    def get_need(self, need_id, reveal=False):
        with self.store.session() as session:
            return domain.get_need(session, self.crypto, need_id, reveal)

    @rpc
    def list_needs(self, query=None):
        with self.store.session() as session:
            return domain.list_needs(session, self.crypto, query)

    @rpc
    def suggest_for_need(self, need_id, limit=10):
        with self.store.session() as session:
            result = domain.suggest_resources(session, need_id, limit)
        # Outside any transaction: the volunteers service may be slow or absent.
        volunteers, unavailable = suggest_volunteers(
            self.volunteers_rpc, result["wanted_skills"], compound=result["compound"],
            limit=limit)
        result["volunteers"] = domain.explain_volunteers(volunteers, result["compound"])
        result["volunteers_unavailable"] = unavailable
        return result

    @rpc
    @idempotent
    def match_need(self, need_id, data, actor=None):
        with self.store.unit_of_work() as uow:
            return domain.match_need(uow, self.crypto, need_id, data, actor)

    @rpc
    @idempotent
    def start_need_service(self, need_id, actor=None):
        with self.store.unit_of_work() as uow:
            return domain.start_service(uow, self.crypto, need_id, actor)

    @rpc
    @idempotent
    def close_need(self, need_id, data, actor=None):
        with self.store.unit_of_work() as uow:
            return domain.close_need(uow, self.crypto, need_id, data, actor)

    # ------------------------------------------------------------ case files (cases.py)
    # ``actor``/``role`` are the gateway's: contents for admins and assigned workers.
    # Writes answer a receipt without personal data (the idempotency table keeps answers
    # for retries: no name or phone may rest there); the gateway then reads the file.

    def _high_risk_days(self):
        return int(self.config.get("CASE_HIGH_RISK_CONTACT_DAYS", 14))

    @rpc
    @idempotent
    def open_case(self, data, actor=None, role=None):
        with self.store.unit_of_work() as uow:
            return cases.receipt(cases.open_case(uow, self.crypto, data, actor, role))

    @rpc
    def get_case(self, case_id, actor=None, role=None, reason=None, reveal=False):
        # A read that writes the file's access log (who opened it, why).
        with self.store.unit_of_work() as uow:
            return cases.get_case(uow, self.crypto, case_id, actor, role, reason, reveal)

    @rpc
    def list_cases(self, query=None, actor=None, role=None):
        with self.store.session() as session:
            return cases.list_cases(session, query, actor, role)

    @rpc
    @idempotent
    def change_case(self, action, case_id, data, actor=None, role=None, item_id=None):
        """One write to a case file: ``action`` is consent, assess, goal, goal_status,
        entry, refer, referral_answer, link_need, workers or close."""
        if action not in CASE_WRITES:
            raise BadRequest("unknown_case_change", {"action": action}, action=action)
        write = CASE_WRITES[action]
        with self.store.unit_of_work() as uow:
            if item_id is not None:
                return cases.receipt(write(uow, self.crypto, case_id, item_id, data, actor, role))
            return cases.receipt(write(uow, self.crypto, case_id, data, actor, role))

    @rpc
    def case_follow_up(self, query=None, actor=None, role=None):
        with self.store.session() as session:
            return cases.follow_up(session, query, actor, role, self._high_risk_days())

    @rpc
    def count_cases(self):
        with self.store.session() as session:
            return cases.count_cases(session, self._high_risk_days())

    @rpc
    def list_case_duplicates(self):
        with self.store.session() as session:
            return cases.list_duplicates(session)

    @rpc
    @idempotent
    def merge_case_persons(self, person_id, data, actor=None, role=None):
        with self.store.unit_of_work() as uow:
            return cases.merge_persons(uow, self.crypto, person_id, data, actor, role)

    @rpc
    @idempotent
    def erase_case_person(self, person_id, data, actor=None, role=None):
        with self.store.unit_of_work() as uow:
            return cases.erase_person(uow, self.crypto, person_id, data, actor, role)

    @rpc
    def export_case_person(self, person_id, actor=None, role=None):
        """The person's data for an access request: {filename, content_type,
        content_base64}. A read that writes each file's access log."""
        with self.store.unit_of_work() as uow:
            document = cases.export_person(uow, self.crypto, person_id, actor, role)
        return cases.export_file(document, person_id)

    # ------------------------------------------------------------ sample data

    @rpc
    def count_sample_data(self):
        with self.store.session() as session:
            return domain.count_sample_data(session)

    @rpc
    @idempotent
    def clear_sample_data(self):
        with self.store.unit_of_work() as uow:
            return domain.clear_sample_data(uow)


CASE_WRITES = {
    "consent": cases.record_consent, "assess": cases.assess_case, "goal": cases.add_goal,
    "goal_status": cases.update_goal, "entry": cases.add_entry, "refer": cases.refer_case,
    "referral_answer": cases.answer_referral, "link_need": cases.link_need,
    "workers": cases.set_workers, "close": cases.close_case,
}
