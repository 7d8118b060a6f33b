"""Events service: nameko entrypoints only; the logic is in domain.py (and booking.py for
the venue booked over RPC in the resources service). A list RPC takes one ``query`` dict,
which domain.py loads again with the query schema the gateway validated it with."""
from nameko.dependency_providers import Config
from common.rpc import BoundedRpc, rpc
from nameko.timer import timer

from common.db import Store
from common.idempotency import idempotent
from common.metrics import Instrumentation
from common.ops import OperatorEndpoints
from common.outbox import OutboxRelay
from common.pii import PiiCrypto
from common import contract
from services.events import (attachments, booking, consultations, domain, expenditures,
                             sign_in_sheet)
from services.events.models import metadata


class EventsService(OperatorEndpoints):
    name = "events"

    config = Config()
    store = Store(metadata)
    relay = OutboxRelay()
    instrumentation = Instrumentation()
    crypto = PiiCrypto()
    resources = BoundedRpc("resources", "RESOURCES_RPC_TIMEOUT_SECONDS")

    # -- events --------------------------------------------------------------------------

    @rpc
    @idempotent
    def create_event(self, data, organiser=None):
        return booking.schedule_event(self.store, self.resources, data, organiser)

    @rpc
    def get_event(self, event_id, staff=True):
        with self.store.session() as session:
            return domain.get_event(session, event_id, staff)

    @rpc
    def list_events(self, query=None, staff=True):
        with self.store.session() as session:
            return domain.list_events(session, query, staff)

    @rpc
    def listing_entries(self, event_ids=None, after_id=0, limit=domain.LISTING_ENTRIES_MAX):
        """The listing's rows for the gateway's read model (gateway/read_models.py)."""
        with self.store.session() as session:
            return domain.listing_entries(session, event_ids, after_id, limit)

    @rpc
    @idempotent
    def update_event(self, event_id, data):
        return booking.update_event(self.store, self.resources, event_id, data)

    @rpc
    @idempotent
    def publish_event(self, event_id):
        with self.store.unit_of_work() as uow:
            return domain.publish_event(uow, event_id)

    @rpc
    @idempotent
    def cancel_event(self, event_id, data=None):
        return booking.cancel_event(self.store, self.resources, event_id, data)

    @rpc
    @idempotent
    def complete_event(self, event_id, data=None):
        with self.store.unit_of_work() as uow:
            return domain.complete_event(uow, event_id, data)

    @rpc
    @idempotent
    def add_volunteer_role(self, event_id, data):
        with self.store.unit_of_work() as uow:
            return domain.add_volunteer_role(uow, event_id, data)

    # -- registration, attendance, feedback ----------------------------------------------

    @rpc
    @idempotent
    def register_participant(self, event_id, data):
        with self.store.unit_of_work() as uow:
            return domain.register_participant(uow, self.crypto, event_id, data)

    @rpc
    @idempotent
    def cancel_registration(self, registration_id, data=None, staff=False):
        with self.store.unit_of_work() as uow:
            return domain.cancel_registration(uow, self.crypto, registration_id, data, staff)

    @rpc
    def list_registrations(self, event_id, query=None, reveal=False):
        with self.store.session() as session:
            return domain.list_registrations(session, self.crypto, event_id, query, reveal)

    @rpc
    def render_sign_in_sheet(self, event_id, format="pdf"):
        """The event's 签到表 as a file (``common.downloads.answer``)."""
        sign_in_sheet.check_format(format)
        with self.store.session() as session:
            sheet = sign_in_sheet.read(session, self.crypto, event_id,
                                       self.config.get("COMMUNITY_ID", "hetong"))
        sheet["place"] = sign_in_sheet.place(self.resources, sheet["venue_id"])
        return sign_in_sheet.render(sheet, format, self.config.get("REPORT_FONT_FILE"))

    @rpc
    def get_sign_in_list(self, event_id):
        """The 签到表's rows as data (names, phones masked), for the evaluation dossier."""
        with self.store.session() as session:
            sheet = sign_in_sheet.read(session, self.crypto, event_id,
                                       self.config.get("COMMUNITY_ID", "hetong"))
        sheet["place"] = sign_in_sheet.place(self.resources, sheet["venue_id"])
        return sheet

    @rpc
    @idempotent
    def record_attendance(self, event_id, data):
        with self.store.unit_of_work() as uow:
            return domain.record_attendance(uow, self.crypto, event_id, data)

    @rpc
    def get_door_codes(self, event_id):
        with self.store.session() as session:
            return domain.door_codes(session, event_id)

    @rpc
    def get_door_event(self, token):
        with self.store.session() as session:
            return domain.door_event(session, token)

    @rpc
    @idempotent
    def door_check_in(self, token, data):
        with self.store.unit_of_work() as uow:
            return domain.door_check_in(uow, self.crypto, token, data)

    @rpc
    @idempotent
    def submit_feedback(self, event_id, data, staff=False):
        with self.store.unit_of_work() as uow:
            return domain.submit_feedback(uow, self.crypto, event_id, data, staff)

    # -- ideas, decisions, action items --------------------------------------------------

    @rpc
    @idempotent
    def submit_idea(self, data):
        with self.store.unit_of_work() as uow:
            return domain.submit_idea(uow, self.crypto, data)

    @rpc
    def list_ideas(self, query=None):
        with self.store.session() as session:
            return domain.list_ideas(session, query)

    @rpc
    def get_idea(self, idea_id):
        with self.store.session() as session:
            return domain.get_idea(session, idea_id)

    @rpc
    @idempotent
    def vote_idea(self, idea_id, data):
        with self.store.unit_of_work() as uow:
            return domain.vote_idea(uow, self.crypto, idea_id, data)

    @rpc
    @idempotent
    def adopt_idea(self, idea_id, data, created_by="unknown"):
        with self.store.unit_of_work() as uow:
            return domain.adopt_idea(uow, idea_id, data, created_by)

    @rpc
    @idempotent
    def record_decision(self, event_id, data, created_by="unknown"):
        with self.store.unit_of_work() as uow:
            return domain.record_decision(uow, event_id, data, created_by)

    @rpc
    def list_action_items(self, query=None):
        with self.store.session() as session:
            return domain.list_action_items(session, query)

    @rpc
    @idempotent
    def update_action_item(self, item_id, data):
        with self.store.unit_of_work() as uow:
            return domain.update_action_item(uow, item_id, data)

    # -- consultations (意见征集) ----------------------------------------------------------

    @rpc
    @idempotent
    def create_consultation(self, data, created_by="unknown"):
        with self.store.unit_of_work() as uow:
            return consultations.create_consultation(uow, data, created_by)

    @rpc
    def list_consultations(self, query=None, staff=False):
        with self.store.session() as session:
            return consultations.list_consultations(session, query, staff)

    @rpc
    def get_consultation(self, consultation_id, staff=False):
        with self.store.session() as session:
            return consultations.get_consultation(session, consultation_id, staff)

    @rpc
    @idempotent
    def answer_consultation(self, consultation_id, data):
        with self.store.unit_of_work() as uow:
            return consultations.answer_consultation(uow, self.crypto, consultation_id, data)

    @rpc
    def get_consultation_results(self, consultation_id):
        with self.store.session() as session:
            return consultations.consultation_results(session, consultation_id)

    @rpc
    def export_consultation_results(self, consultation_id):
        """The results as an XLSX file (``common.downloads.answer``)."""
        with self.store.session() as session:
            return consultations.export_results(session, consultation_id)

    # -- evidence attachments (佐证材料) --------------------------------------------------

    @rpc
    @idempotent
    def add_attachment(self, data, content_base64, created_by=None):
        """A photo or file for an owner (``attachments.OWNERS``); the bytes arrive as
        base64, at most ATTACHMENT_MAX_BYTES."""
        return attachments.add_attachment(
            self.store, attachments.file_store(self.config), data, content_base64,
            attachments.max_bytes(self.config), created_by)

    @rpc
    def list_attachments(self, query=None):
        with self.store.session() as session:
            return attachments.list_attachments(session, query)

    @rpc
    def get_attachment(self, attachment_id):
        with self.store.session() as session:
            return attachments.get_attachment(session, attachment_id)

    @rpc
    def read_attachment(self, attachment_id, thumbnail=False):
        """The bytes (``common.downloads.answer``) of an attachment or its thumbnail."""
        with self.store.session() as session:
            return attachments.file_answer(session, attachments.file_store(self.config),
                                           attachment_id, thumbnail)

    @rpc
    @idempotent
    def remove_attachment(self, attachment_id, removed_by=None):
        with self.store.unit_of_work() as uow:
            answer = attachments.remove_attachment(uow, attachment_id, removed_by)
        attachments.release_bytes(self.store, attachments.file_store(self.config),
                                  answer["sha256"])
        return answer
    # -- expenditures (支出) against the contract's budget lines ----------------------------

    def _contract(self):
        return contract.from_config(self.config)

    @rpc
    @idempotent
    def record_expenditure(self, data, recorded_by="unknown", may_override=False):
        years = self._contract()
        with self.store.unit_of_work() as uow:
            return expenditures.record_expenditure(uow, years, data, recorded_by, may_override)

    @rpc
    def get_expenditure(self, expenditure_id):
        with self.store.session() as session:
            return expenditures.get_expenditure(session, self._contract(), expenditure_id)

    @rpc
    def list_expenditures(self, query=None):
        with self.store.session() as session:
            return expenditures.list_expenditures(session, self._contract(), query)

    @rpc
    def get_budget_lines(self, year=None):
        with self.store.session() as session:
            return expenditures.budget_lines(session, self._contract(), year)

    # -- housekeeping --------------------------------------------------------------------

    @timer(interval=15)
    def release_pending_bookings(self):
        """Retry releasing bookings the resources service has not confirmed yet."""
        booking.release_pending(self.store, self.resources)
