"""A plain nameko stack in the style of nameko-examples: a gateway's ``@http`` entrypoints
validate with marshmallow and call an ``@rpc`` service, which reads and writes SQLite with
SQLAlchemy. No outbox, no inbox, no authentication, no encryption: what nameko gives
without our delivery rules and guarantees.

    nameko run --config <config.yaml> bench.peers.plain_nameko.service:EventsService
    nameko run --config <config.yaml> bench.peers.plain_nameko.service:GatewayService

Config keys: AMQP_URI, WEB_SERVER_ADDRESS, DB_URI (read by both; only the events service
opens the database).
"""
import json
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http
from sqlalchemy import (JSON, Column, DateTime, ForeignKey, Integer, MetaData, String, Table,
                        Text, create_engine, event, func, insert, select)
from werkzeug.wrappers import Response

metadata = MetaData()
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True), Column("title", String(100)),
    Column("plan", String(16)), Column("kind", String(16)),
    Column("target_groups", JSON), Column("compounds", JSON),
    Column("series", String(32), nullable=True), Column("description", Text, nullable=True),
    Column("start", DateTime(timezone=True), index=True), Column("end", DateTime(timezone=True)),
    Column("capacity", Integer), Column("venue_id", Integer, nullable=True),
    Column("booking_id", Integer, nullable=True), Column("organiser", String(64)),
    Column("status", String(16)))
registrations = Table(
    "registrations", metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", ForeignKey("events.id"), index=True),
    Column("name", String(50)), Column("phone", String(20)),
    Column("target_group", String(16)), Column("status", String(16)),
    Column("created_at", DateTime(timezone=True)))

LISTED = [events.c.id, events.c.title, events.c.plan, events.c.kind, events.c.target_groups,
          events.c.compounds, events.c.series, events.c.description, events.c.start,
          events.c.end, events.c.capacity, events.c.venue_id, events.c.status,
          events.c.organiser, events.c.booking_id]
TARGET_GROUPS = ["children", "youth", "women", "families", "elderly", "disabled",
                 "in_difficulty", "all_residents"]


def make_engine(db_uri):
    engine = create_engine(db_uri, connect_args={"timeout": 20})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # the same SQLite settings as our services
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return engine


class Database(DependencyProvider):
    """One engine per service; a connection per call (nameko-sqlalchemy's pattern)."""

    def setup(self):
        self.engine = make_engine(self.container.config["DB_URI"])

    def stop(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.engine


class EventsService:
    name = "plain_events"
    db = Database()

    @rpc
    def list_events(self, page, per_page):
        with self.db.connect() as conn:
            total = conn.execute(select(func.count()).select_from(events)).scalar_one()
            rows = conn.execute(select(*LISTED).order_by(events.c.start, events.c.id)
                                .limit(per_page).offset((page - 1) * per_page)).all()
            confirmed = dict(conn.execute(
                select(registrations.c.event_id, func.count())
                .where(registrations.c.event_id.in_([r.id for r in rows]),
                       registrations.c.status == "confirmed")
                .group_by(registrations.c.event_id)).all()) if rows else {}
        items = []
        for row in rows:
            item = dict(row._mapping)
            item["start"], item["end"] = _iso(item["start"]), _iso(item["end"])
            item["confirmed"] = confirmed.get(row.id, 0)
            item["places_left"] = (None if not row.capacity
                                   else max(0, row.capacity - item["confirmed"]))
            items.append(item)
        return {"items": items, "total": total, "page": page, "per_page": per_page}

    @rpc
    def create_registration(self, event_id, data):
        with self.db.begin() as conn:
            if conn.execute(select(events.c.id).where(events.c.id == event_id)).first() is None:
                return None
            created_at = datetime.now(timezone.utc)
            new_id = conn.execute(insert(registrations).values(
                event_id=event_id, status="confirmed", created_at=created_at, **data)
            ).inserted_primary_key[0]
        return dict(data, id=new_id, event_id=event_id, status="confirmed",
                    created_at=_iso(created_at))


def _iso(value):
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class RegistrationCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = fields.String(required=True, validate=validate.Regexp(r"^1[3-9]\d{9}$"))
    target_group = fields.String(required=True, validate=validate.OneOf(TARGET_GROUPS))


def _json(body, status=200):
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


class GatewayService:
    name = "plain_gateway"
    events_rpc = RpcProxy("plain_events")

    @http("GET", "/events")
    def list_events(self, request):
        try:
            query = PageQuery().load(request.args.to_dict())
        except ValidationError as exc:
            return _json({"errors": exc.messages}, 400)
        return _json(self.events_rpc.list_events(query["page"], query["per_page"]))

    @http("POST", "/events/<int:event_id>/registrations")
    def create_registration(self, request, event_id):
        try:
            data = RegistrationCreate().load(json.loads(request.get_data(as_text=True)))
        except (ValueError, ValidationError) as exc:
            return _json({"errors": getattr(exc, "messages", str(exc))}, 400)
        created = self.events_rpc.create_registration(event_id, data)
        if created is None:
            return _json({"error": "not found"}, 404)
        return _json(created, 201)


def seed(db_uri, total=10_000):
    """The same events as bench/gateway.py's seed_events: published, one an hour."""
    engine = make_engine(db_uri)
    metadata.create_all(engine)
    start = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(events), [
            {"title": f"长者健康讲座 {n}", "plan": "service", "kind": "lecture",
             "target_groups": ["elderly"], "compounds": ["fulong_huayuan"], "series": None,
             "description": None, "start": start + timedelta(hours=n),
             "end": start + timedelta(hours=n, minutes=90),
             "capacity": 100000 if n == 0 else 40, "venue_id": None, "booking_id": None,
             "organiser": "bench", "status": "published"} for n in range(total)])
    engine.dispose()
