"""The audit log's kinds on a real database: an action the catalogue does not list yet is a
reveal when its name says so, else data; the kind filter and the answer agree."""
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from gateway import audit
from gateway.models import AuditEntry, metadata

ACTIONS = ["reveal_volunteer_contact", "reveal_case_file", "create_user", "update_user",
           "clear_sample_data", "export_dossier"]


def test_every_entry_is_of_the_kind_the_filter_finds_it_under(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    metadata.create_all(engine)
    with Session(engine) as session:
        for n, action in enumerate(ACTIONS):
            session.execute(insert(AuditEntry.__table__).values(
                username="admin", action=action, target=f"record:{n}"))
        session.commit()
        everything = audit.list_entries(session, {"page": 1, "per_page": 50})["items"]
        assert {e["action"]: e["kind"] for e in everything} == {
            "reveal_volunteer_contact": "reveal", "reveal_case_file": "reveal",
            "create_user": "permission", "update_user": "permission",
            "clear_sample_data": "data", "export_dossier": "data"}
        for kind in audit.KINDS:
            found = audit.list_entries(session, {"page": 1, "per_page": 50, "kind": kind})
            assert sorted(e["action"] for e in found["items"]) == sorted(
                e["action"] for e in everything if e["kind"] == kind), kind
        assert everything[0]["action_label"] == "export_dossier"  # unlisted: its code
    engine.dispose()
