"""Volunteers service: nameko entrypoints only; the logic is in domain.py. Every list RPC
takes one ``query`` dict, which the domain loads with the route's query schema."""
import base64
import logging

from nameko.dependency_providers import Config
from common.rpc import rpc
from nameko.timer import timer

from common import vocab
from common.bus import handle_event
from common.db import Store
from common.idempotency import idempotent
from common.inbox import consume_once
from common.metrics import Instrumentation
from common.ops import OperatorEndpoints
from common.outbox import OutboxRelay
from common.pii import PiiCrypto
from services.volunteers import domain
from services.volunteers.models import metadata

log = logging.getLogger(__name__)

AUTO_CLOSE_INTERVAL_SECONDS = 60
# Where residents reach the gateway's public pages (the certificate's QR code leads there).
DEFAULT_PUBLIC_BASE_URL = "http://localhost:8000"


class VolunteersService(OperatorEndpoints):
    name = "volunteers"

    config = Config()
    store = Store(metadata)
    relay = OutboxRelay()
    instrumentation = Instrumentation()
    crypto = PiiCrypto()

    def _grace_minutes(self):
        return int(self.config.get("AUTO_CLOSE_GRACE_MINUTES", domain.AUTO_CLOSE_GRACE_MINUTES))

    def _community(self):
        return vocab.of_community(self.config.get("COMMUNITY_ID"))

    def _issuer(self):
        return self.config.get("COMMUNITY_NAME") or vocab.of_community(
            self.config.get("COMMUNITY_ID")).name

    # -- registry ---------------------------------------------------------------------

    @rpc
    @idempotent
    def create_volunteer(self, data):
        with self.store.unit_of_work() as uow:
            return domain.register_volunteer(uow, self.crypto, data)

    @rpc
    def get_volunteer(self, volunteer_id, reveal=False):
        with self.store.session() as session:
            return domain.get_volunteer(session, self.crypto, volunteer_id, reveal)

    @rpc
    def list_volunteers(self, query=None):
        with self.store.session() as session:
            return domain.list_volunteers(session, self.crypto, query)

    @rpc
    @idempotent
    def update_volunteer(self, volunteer_id, data):
        with self.store.unit_of_work() as uow:
            return domain.update_volunteer(uow, self.crypto, volunteer_id, data)

    @rpc
    def list_available_volunteers(self, query):
        with self.store.session() as session:
            return domain.available_volunteers(session, self.crypto, query)

    @rpc
    def suggest_volunteers(self, skills, compound=None, limit=10):
        with self.store.session() as session:
            return domain.suggest_volunteers(session, skills, compound, limit)

    @rpc
    @idempotent
    def create_team(self, data):
        with self.store.unit_of_work() as uow:
            return domain.create_team(uow, data)

    @rpc
    def list_teams(self, query=None):
        with self.store.session() as session:
            return domain.list_teams(session, query)

    # -- applications -----------------------------------------------------------------

    @rpc
    @idempotent
    def submit_application(self, data):
        with self.store.unit_of_work() as uow:
            return domain.submit_application(uow, self.crypto, data)

    @rpc
    def list_applications(self, query=None):
        with self.store.session() as session:
            return domain.list_applications(session, self.crypto, query)

    @rpc
    @idempotent
    def approve_application(self, application_id, actor=None):
        with self.store.unit_of_work() as uow:
            return domain.approve_application(uow, self.crypto, application_id, actor)

    @rpc
    @idempotent
    def decline_application(self, application_id, data, actor=None):
        with self.store.unit_of_work() as uow:
            return domain.decline_application(uow, self.crypto, application_id, data, actor)

    # -- shifts and sign-ups ------------------------------------------------------------

    @rpc
    def list_open_shifts_for(self, query):
        with self.store.session() as session:
            return domain.open_shifts_for(session, query)

    @rpc
    @idempotent
    def create_shift(self, data):
        with self.store.unit_of_work() as uow:
            return domain.create_shift(uow, data)

    @rpc
    def get_shift(self, shift_id):
        with self.store.session() as session:
            return domain.get_shift(session, shift_id)

    @rpc
    def list_shifts(self, query=None):
        with self.store.session() as session:
            return domain.list_shifts(session, query)

    @rpc
    @idempotent
    def sign_up(self, shift_id, data, only_volunteer_id=None):
        with self.store.unit_of_work() as uow:
            return domain.sign_up(uow, shift_id, data, only_volunteer_id)

    @rpc
    @idempotent
    def cancel_signup(self, signup_id, only_volunteer_id=None):
        with self.store.unit_of_work() as uow:
            return domain.cancel_signup(uow, signup_id, only_volunteer_id)

    @rpc
    def get_signup(self, signup_id, only_volunteer_id=None):
        with self.store.session() as session:
            return domain.get_signup(session, signup_id, only_volunteer_id)

    @rpc
    def list_signups(self, query=None):
        with self.store.session() as session:
            return domain.list_signups(session, query)

    @rpc
    @idempotent
    def check_in(self, signup_id, data=None, actor=None, only_volunteer_id=None):
        with self.store.unit_of_work() as uow:
            return domain.check_in(uow, signup_id, data, actor, only_volunteer_id)

    @rpc
    @idempotent
    def check_out(self, signup_id, data=None, actor=None, only_volunteer_id=None):
        with self.store.unit_of_work() as uow:
            return domain.check_out(uow, signup_id, data, actor, only_volunteer_id,
                                    grace_minutes=self._grace_minutes())

    @timer(interval=AUTO_CLOSE_INTERVAL_SECONDS)
    def close_overdue_check_ins(self):
        with self.store.unit_of_work() as uow:
            closed = domain.auto_close_overdue(uow, grace_minutes=self._grace_minutes())
        if closed:
            log.info("auto-closed %d check-in(s) still open past shift end", len(closed))

    # -- hours ledger -------------------------------------------------------------------

    @rpc
    @idempotent
    def record_hours(self, data, actor=None, only_volunteer_id=None):
        with self.store.unit_of_work() as uow:
            return domain.record_hours(uow, data, actor, only_volunteer_id)

    @rpc
    def list_hours(self, query=None):
        with self.store.session() as session:
            return domain.list_hours(session, query)

    @rpc
    @idempotent
    def approve_hours(self, entry_id, actor=None, reason=None, actor_volunteer_id=None):
        with self.store.unit_of_work() as uow:
            return domain.approve_hours(uow, entry_id, actor, reason, actor_volunteer_id)

    @rpc
    @idempotent
    def reject_hours(self, entry_id, actor=None, reason=None, actor_volunteer_id=None):
        with self.store.unit_of_work() as uow:
            return domain.reject_hours(uow, entry_id, actor, reason, actor_volunteer_id)

    # -- certificates -------------------------------------------------------------------

    @rpc
    @idempotent
    def issue_certificate(self, volunteer_id, data, actor=None):
        with self.store.unit_of_work() as uow:
            return domain.issue_certificate(uow, self.crypto, volunteer_id, data,
                                            self._issuer(),
                                            self.config.get("COMMUNITY_ID", "hetong"), actor)

    @rpc
    @idempotent
    def reissue_certificate(self, number, actor=None):
        with self.store.unit_of_work() as uow:
            return domain.reissue_certificate(uow, self.crypto, number, self._issuer(),
                                              self.config.get("COMMUNITY_ID", "hetong"), actor)

    @rpc
    def list_certificates(self, volunteer_id):
        with self.store.session() as session:
            return domain.list_certificates(session, self.crypto, volunteer_id)

    @rpc
    def get_certificate_pdf(self, number, only_volunteer_id=None):
        """The PDF, base64-encoded (RPC carries JSON). certificate_pdf (reportlab, segno)
        is imported here: the service holds it once a certificate has been printed."""
        from services.volunteers import certificate_pdf

        with self.store.session() as session:
            doc = domain.certificate_document(session, self.crypto, number, only_volunteer_id)
        url = certificate_pdf.verify_url(
            self.config.get("PUBLIC_BASE_URL") or DEFAULT_PUBLIC_BASE_URL, doc["number"],
            doc["verification_code"])
        pdf = certificate_pdf.render(doc, url, self._community().seal_file,
                                     self.config.get("REPORT_FONT_FILE"))
        return {"number": doc["number"], "pdf_base64": base64.b64encode(pdf).decode("ascii")}

    @rpc
    def verify_certificate(self, number, code):
        with self.store.session() as session:
            return domain.verify_certificate(session, self.crypto, number, code)

    # -- facts from the events service ------------------------------------------------

    @handle_event("volunteer_role_added")
    def handle_volunteer_role_added(self, envelope):
        consume_once(self.store, envelope,
                     lambda uow, env: domain.open_shift_for_role(uow, env["payload"]),
                     self.name)

    @handle_event("event_cancelled")
    def handle_event_cancelled(self, envelope):
        consume_once(self.store, envelope,
                     lambda uow, env: domain.cancel_event_shifts(uow,
                                                                 env["payload"]["event_id"]),
                     self.name)
