"""A realistic, deterministic scenario of one community's autumn (the facts the other
three services publish), with an independent count of what the funder should see.

``Scenario(seed).envelopes`` are contract-valid envelopes in publishing order;
``expected_*`` count the same facts directly from the generator's own records, without
the reports code."""
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from common.contracts import envelope as make_envelope

BEIJING = ZoneInfo("Asia/Shanghai")
PLANS = ["resources", "system", "service", "culture"]
KINDS = ["activity", "group", "lecture", "festival", "training", "home_visit"]
GROUPS = ["children", "youth", "women", "families", "elderly", "disabled", "in_difficulty",
          "all_residents"]
COMPOUNDS = ["banshan_linhai", "fulong_huayuan", "binhai_senlin", "gangwu_xiaoqu",
             "youshan_meidi", "xinfeng_jiayuan", "jinhai_huayuan"]
CATEGORIES = ["care", "tutoring", "health", "employment", "legal", "psychological",
              "material", "culture", "safety"]
PRIORITY_GROUPS = {"children", "women", "families", "in_difficulty", "elderly", "disabled"}
FIVE = ["community", "social_org", "social_worker", "social_resource", "self_governance"]
MONTHS = [(2026, 9), (2026, 10), (2026, 11)]


def local(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def ym(dt):
    """Month in Beijing time (the project's calendar)."""
    if isinstance(dt, datetime):
        return dt.astimezone(BEIJING).strftime("%Y-%m")
    return dt.strftime("%Y-%m")


class Scenario:
    def __init__(self, seed=6, community_id="hetong", scale=1.0, id_base=0):
        self.r = random.Random(seed)
        self.community_id = community_id
        self.scale = scale
        self.id_base = id_base
        self.envelopes = []
        self.facts = defaultdict(list)  # event type → [(payload, month)]
        self._ids = Counter()
        self.build()

    # -- helpers ---------------------------------------------------------------------

    def nid(self, kind):
        self._ids[kind] += 1
        return self.id_base + self._ids[kind]

    def n(self, count):
        return max(1, int(round(count * self.scale)))

    def day(self):
        y, m = self.r.choice(MONTHS)
        # Some times fall late in the evening of the last day: the month is Beijing's.
        d = self.r.randint(1, 30 if m in (9, 11) else 31)
        return y, m, d

    def emit(self, source, event_type, payload, when, month_of=None):
        env = make_envelope(event_type, payload, source, self.community_id,
                            occurred_at=when.astimezone(timezone.utc))
        self.envelopes.append(env)
        self.facts[event_type].append((payload, month_of or ym(when)))
        return env

    # -- the scenario ----------------------------------------------------------------

    def build(self):
        r = self.r
        # resources: partners, resources, venues
        for _ in range(self.n(6)):
            y, m, d = self.day()
            when = local(y, m, d, 10)
            self.emit("resources", "partner_registered", {
                "partner_id": self.nid("partner"), "kind": "business",
                "five_society": r.choice(FIVE), "compounds": r.sample(COMPOUNDS, 2),
                "registered_at": when}, when)
        for _ in range(self.n(12)):
            y, m, d = self.day()
            when = local(y, m, d, 11)
            self.emit("resources", "resource_registered", {
                "resource_id": self.nid("resource"), "partner_id": None,
                "type": r.choice(["venue", "material", "funding", "service", "skill", "team"]),
                "target_groups": r.sample(GROUPS, 2), "need_categories": r.sample(CATEGORIES, 2),
                "quantity": 10, "value_yuan": round(r.uniform(100, 5000), 2),
                "status": "available"}, when)
        for i in range(self.n(4)):
            y, m, d = self.day()
            when = local(y, m, d, 12)
            self.emit("resources", "resource_updated", {
                "resource_id": i + 1 + self.id_base, "changed_fields": ["quantity_left"],
                "status": "available", "quantity_left": 3, "value_yuan": 100.0}, when)
        venues = [self.id_base + v for v in (1, 2, 3, 4)]
        bookings = []
        for _ in range(self.n(36)):
            y, m, d = self.day()
            start = local(y, m, d, r.choice([9, 14, 19]))
            minutes = r.choice([60, 90, 120])
            booking = {"booking_id": self.nid("booking"), "venue_id": r.choice(venues),
                       "start": start, "end": start + timedelta(minutes=minutes),
                       "minutes": minutes, "event_id": None}
            bookings.append(booking)
            self.emit("resources", "venue_booked", booking, start - timedelta(days=3),
                      month_of=ym(start))
        for booking in r.sample(bookings, self.n(6)):
            self.emit("resources", "venue_booking_cancelled", booking,
                      booking["start"] - timedelta(days=1), month_of=ym(booking["start"]))
        # needs: 45 registered, 40 matched (a few twice), 25 closed
        needs = []
        for _ in range(self.n(45)):
            y, m, d = self.day()
            when = local(y, m, min(d, 20), 9)
            need = {"need_id": self.nid("need"), "target_group": r.choice(GROUPS),
                    "category": r.choice(CATEGORIES),
                    "urgency": r.choice(["low", "normal", "high", "urgent"]),
                    "compound": r.choice(COMPOUNDS + [None]), "registered_at": when}
            needs.append(need)
            self.emit("resources", "need_registered", need, when)
        matched = r.sample(needs, self.n(36))
        for need in matched + r.sample(matched, self.n(4)):
            first = not any(p["need_id"] == need["need_id"]
                            for p, _ in self.facts["need_matched"])
            hours = round(r.uniform(1, 96), 2)
            when = need["registered_at"] + timedelta(hours=hours if first else hours + 100)
            self.emit("resources", "need_matched", {
                "need_id": need["need_id"], "match_id": self.nid("match"),
                "resource_id": None, "volunteer_id": None, "quantity": 1,
                "value_yuan": round(r.uniform(0, 2000), 2), "category": need["category"],
                "target_group": need["target_group"], "first_match": first,
                "hours_to_match": hours if first else hours + 100, "matched_at": when}, when)
        for need in r.sample(matched, self.n(25)):
            when = need["registered_at"] + timedelta(days=8)
            self.emit("resources", "need_closed", {
                "need_id": need["need_id"], "outcome": r.choice(["resolved", "referred"]),
                "satisfaction": r.choice([None, 3, 4, 5]), "category": need["category"],
                "target_group": need["target_group"], "closed_at": when}, when)

        # volunteers
        volunteers = []
        for _ in range(self.n(60)):
            y, m, d = self.day()
            when = local(y, m, d, 15)
            vid = self.nid("volunteer")
            volunteers.append(vid)
            self.emit("volunteers", "volunteer_registered", {
                "volunteer_id": vid, "volunteer_number": f"V{vid:05d}",
                "compound": r.choice(COMPOUNDS + [None]), "skills": ["cooking"],
                "talent": r.random() < 0.3, "registered_at": when}, when)
        for vid in r.sample(volunteers, self.n(5)):
            when = local(2026, 11, 20, 10)
            self.emit("volunteers", "volunteer_updated", {
                "volunteer_id": vid, "changed_fields": ["status"], "status": "inactive",
                "compound": None, "skills": [], "talent": False}, when)
        shifts = []
        for _ in range(self.n(10)):
            y, m, d = self.day()
            start = local(y, m, d, 9)
            sid = self.nid("shift")
            shifts.append(sid)
            self.emit("volunteers", "shift_opened", {
                "shift_id": sid, "event_id": None, "role_id": None, "start": start,
                "end": start + timedelta(hours=3), "places": 5, "skills": []}, start - timedelta(days=5),
                month_of=ym(start))
        signups = []
        for _ in range(self.n(40)):
            when = local(2026, 10, r.randint(1, 31), 8)
            signup = {"signup_id": self.nid("signup"), "shift_id": r.choice(shifts),
                      "volunteer_id": r.choice(volunteers),
                      "status": r.choice(["confirmed", "confirmed", "waitlisted"]),
                      "event_id": None}
            signups.append(signup)
            self.emit("volunteers", "shift_signed_up", signup, when)
        for s in r.sample(signups, self.n(5)):
            self.emit("volunteers", "shift_signup_cancelled", {
                "signup_id": s["signup_id"], "shift_id": s["shift_id"],
                "volunteer_id": s["volunteer_id"], "was_status": s["status"], "event_id": None},
                local(2026, 11, 2, 8))
        for s in r.sample(signups, self.n(3)):
            self.emit("volunteers", "waitlist_promoted", {
                "signup_id": s["signup_id"], "shift_id": s["shift_id"],
                "volunteer_id": s["volunteer_id"], "event_id": None}, local(2026, 11, 3, 8))
        entries = []
        for _ in range(self.n(115)):
            y, m, d = self.day()
            service_date = date(y, m, d)
            entry = {"entry_id": self.nid("entry"), "volunteer_id": r.choice(volunteers),
                     "shift_id": None, "event_id": None, "minutes": r.choice([60, 90, 120, 180]),
                     "source": r.choice(["check_out", "manual"]), "corrects_entry_id": None,
                     "service_date": service_date, "flagged": r.random() < 0.1}
            entries.append(entry)
            self.emit("volunteers", "hours_recorded", entry,
                      local(y, m, d, 18), month_of=ym(service_date))
        approved = entries[:self.n(100)]
        for e in approved:
            when = local(e["service_date"].year, e["service_date"].month,
                         e["service_date"].day, 21)
            self.emit("volunteers", "hours_approved", {
                "entry_id": e["entry_id"], "volunteer_id": e["volunteer_id"],
                "minutes": e["minutes"], "counted_minutes": e["minutes"],
                "corrects_entry_id": None, "event_id": None,
                "service_date": e["service_date"]}, when, month_of=ym(e["service_date"]))
        # one approved correction: counts the difference (here −30 minutes)
        e = approved[0]
        self.emit("volunteers", "hours_approved", {
            "entry_id": self.nid("entry"), "volunteer_id": e["volunteer_id"],
            "minutes": e["minutes"] - 30, "counted_minutes": -30,
            "corrects_entry_id": e["entry_id"], "event_id": None,
            "service_date": e["service_date"]}, local(2026, 11, 25, 10),
            month_of=ym(e["service_date"]))
        for e in entries[self.n(100):]:
            self.emit("volunteers", "hours_rejected", {
                "entry_id": e["entry_id"], "volunteer_id": e["volunteer_id"],
                "minutes": e["minutes"]}, local(2026, 11, 26, 10))
        for vid in volunteers[:self.n(5)]:
            when = local(2026, 11, 28, 10)
            self.emit("volunteers", "certificate_issued", {
                "certificate_number": f"C{vid}", "volunteer_id": vid,
                "period_from": date(2026, 9, 1), "period_to": date(2026, 11, 30),
                "approved_minutes": 120, "issued_at": when}, when)
        # one reissued after a correction: it replaces a certificate, it adds none
        vid, when = volunteers[0], local(2026, 12, 2, 10)
        self.emit("volunteers", "certificate_issued", {
            "certificate_number": f"C{vid}-2", "volunteer_id": vid,
            "period_from": date(2026, 9, 1), "period_to": date(2026, 11, 30),
            "approved_minutes": 90, "issued_at": when, "replaces": f"C{vid}"}, when)

        # events: 62 scheduled, 56 published, 4 cancelled, 52 completed (6 joint meetings)
        residents = [self.id_base + 1000 + i for i in range(self.n(260))]
        events = []
        for i in range(self.n(62)):
            y, m, d = self.day()
            hour = 23 if i % 17 == 0 else r.choice([9, 14, 19])  # 23:xx Beijing = 15:xx UTC
            start = local(y, m, d, hour)
            kind = "joint_meeting" if i % 10 == 0 else r.choice(KINDS)
            ev = {"event_id": self.nid("event"),
                  "plan": "system" if kind == "joint_meeting" else r.choice(PLANS),
                  "kind": kind, "target_groups": r.sample(GROUPS, r.randint(1, 2)),
                  "compounds": r.sample(COMPOUNDS, r.randint(0, 2)), "start": start,
                  "end": start + timedelta(minutes=50), "capacity": 40,
                  "venue_id": None, "booking_id": None}
            events.append(ev)
            self.emit("events", "event_scheduled", ev, start - timedelta(days=10),
                      month_of=ym(start))
        published = events[:self.n(58)]
        for ev in published:
            self.emit("events", "event_published", {k: ev[k] for k in ("event_id", "plan", "kind", "start")},
                      ev["start"] - timedelta(days=9), month_of=ym(ev["start"]))
        cancelled = published[self.n(52):self.n(56)]
        for ev in cancelled:
            self.emit("events", "event_cancelled", {
                "event_id": ev["event_id"], "plan": ev["plan"], "kind": ev["kind"],
                "start": ev["start"], "booking_id": None}, ev["start"] - timedelta(days=1),
                month_of=ym(ev["start"]))
        completed = published[:self.n(52)]
        for ev in r.sample(completed, self.n(10)):
            self.emit("events", "volunteer_role_added", {
                "role_id": self.nid("role"), "event_id": ev["event_id"], "name": "helper",
                "skills": [], "places": 3, "start": ev["start"], "end": ev["end"]},
                ev["start"] - timedelta(days=8), month_of=ym(ev["start"]))
        registrations = []
        for _ in range(self.n(520)):
            ev = r.choice(completed)
            reg = {"registration_id": self.nid("registration"), "event_id": ev["event_id"],
                   "resident_id": r.choice(residents),
                   "status": "confirmed" if r.random() < 0.9 else "waitlisted",
                   "target_group": r.choice(ev["target_groups"]),
                   "compound": r.choice(COMPOUNDS + [None]), "plan": ev["plan"],
                   "event_start": ev["start"]}
            registrations.append((reg, ev))
            # Two days or more before the event, often in the month before: counted in
            # the event's month.
            when = ev["start"] - timedelta(days=2, hours=r.randint(0, 30))
            self.emit("events", "participant_registered", reg, when, month_of=ym(ev["start"]))
        for reg, ev in r.sample(registrations, self.n(20)):
            self.emit("events", "participant_cancelled", {
                "registration_id": reg["registration_id"], "event_id": ev["event_id"],
                "was_status": reg["status"], "promoted_registration_id": None,
                "event_start": ev["start"]},
                ev["start"] - timedelta(days=1), month_of=ym(ev["start"]))
        attendance = Counter()
        for i in range(self.n(320)):
            walk_in = i % 5 == 0
            if walk_in:
                ev = r.choice(completed)
                resident, reg_id = r.choice(residents), None
                group, compound = r.choice(ev["target_groups"]), r.choice(COMPOUNDS)
            else:
                reg, ev = registrations[i]
                resident, reg_id = reg["resident_id"], reg["registration_id"]
                group, compound = reg["target_group"], reg["compound"]
            attendance[ev["event_id"]] += 1
            at = ev["start"] + timedelta(minutes=5)
            # Every seventh from a paper sign-in sheet typed in three days later.
            typed = at + timedelta(days=3) if i % 7 == 0 else at
            self.emit("events", "attendance_recorded", {
                "attendance_id": self.nid("attendance"), "event_id": ev["event_id"],
                "resident_id": resident, "registration_id": reg_id, "walk_in": walk_in,
                "target_group": group, "compound": compound, "plan": ev["plan"],
                "kind": ev["kind"], "attended_at": at, "event_start": ev["start"]},
                typed, month_of=ym(ev["start"]))
        for ev in completed:
            five = {c: r.randint(1, 4) for c in r.sample(FIVE, 3)} \
                if ev["kind"] == "joint_meeting" else {}
            self.emit("events", "event_completed", {
                "event_id": ev["event_id"], "plan": ev["plan"], "kind": ev["kind"],
                "target_groups": ev["target_groups"], "compounds": ev["compounds"],
                "start": ev["start"], "end": ev["end"], "registered": 10,
                "attended": attendance[ev["event_id"]], "walk_ins": 0,
                "people_served": attendance[ev["event_id"]], "volunteers": 2,
                "feedback_count": 0, "satisfaction_mean": None, "five_society": five},
                ev["end"] + timedelta(minutes=10), month_of=ym(ev["start"]))
        for _ in range(self.n(80)):
            ev = r.choice(completed)
            self.emit("events", "feedback_submitted", {
                "feedback_id": self.nid("feedback"), "event_id": ev["event_id"],
                "score": r.choice([3, 4, 4, 5, 5]), "plan": ev["plan"], "kind": ev["kind"],
                "event_start": ev["start"]},
                ev["end"] + timedelta(hours=1), month_of=ym(ev["start"]))
        ideas = []
        for _ in range(self.n(20)):
            y, m, d = self.day()
            when = local(y, m, min(d, 25), 20)
            idea = {"idea_id": self.nid("idea"), "category": r.choice(["safety", "environment"]),
                    "compound": r.choice(COMPOUNDS + [None]), "submitted_at": when}
            ideas.append(idea)
            self.emit("events", "idea_submitted", idea, when)
        for i in range(self.n(30)):
            idea = r.choice(ideas)
            self.emit("events", "idea_voted", {"idea_id": idea["idea_id"], "votes": i + 1},
                      idea["submitted_at"] + timedelta(hours=2))
        meetings = [ev for ev in completed if ev["kind"] == "joint_meeting"]
        items = []
        for idea in ideas[:self.n(6)]:
            meeting = r.choice(meetings)
            decision_id = self.nid("decision")
            when = idea["submitted_at"] + timedelta(days=2)
            self.emit("events", "idea_adopted", {
                "idea_id": idea["idea_id"], "decision_id": decision_id,
                "meeting_event_id": meeting["event_id"], "adopted_at": when}, when)
            item_ids = [self.nid("action"), self.nid("action")]
            self.emit("events", "decision_recorded", {
                "decision_id": decision_id, "meeting_event_id": meeting["event_id"],
                "idea_id": idea["idea_id"], "action_item_ids": item_ids}, when)
            for aid in item_ids:
                due = (when + timedelta(days=r.choice([5, 40, 90]))).date()
                items.append({"id": aid, "decision_id": decision_id, "due": due,
                              "status": "open", "when": when})
                self.emit("events", "action_item_updated", {
                    "action_item_id": aid, "decision_id": decision_id, "status": "open",
                    "previous_status": None, "due_date": due}, when + timedelta(minutes=1))
        for item in items[::2]:
            for new in (["in_progress", "done"] if item["id"] % 3 else ["in_progress"]):
                when = item["when"] + timedelta(days=1 if new == "in_progress" else 3)
                self.emit("events", "action_item_updated", {
                    "action_item_id": item["id"], "decision_id": item["decision_id"],
                    "status": new, "previous_status": item["status"], "due_date": item["due"]},
                    when)
                item["status"] = new
        # Consultations (意见征集) and residents' answers, some in the evening of a
        # month's last day (the month is Beijing's).
        for _ in range(self.n(3)):
            y, m, d = self.day()
            cid = self.nid("consultation")
            opens = local(y, m, d, 8)
            self.emit("events", "consultation_created", {
                "consultation_id": cid, "opens_on": opens.date(),
                "closes_on": (opens + timedelta(days=10)).date(), "questions": 3,
                "compounds": []}, opens)
            for k in range(self.n(8)):
                when = opens + timedelta(days=k, hours=15)
                self.emit("events", "consultation_answered", {
                    "consultation_id": cid, "answer_id": self.nid("answer"),
                    "resident_id": 1 + k, "answered_at": when, "answers": k + 1}, when)
        # Case files (个案): opened, contacts and home visits, referrals answered, some
        # closed; codes only, as the resources service publishes them.
        for _ in range(self.n(4)):
            y, m, d = self.day()
            case_id, opened = self.nid("case"), local(y, m, d, 9)
            category = r.choice(CATEGORIES)
            self.emit("resources", "case_opened", {
                "case_id": case_id, "category": category, "target_group": r.choice(GROUPS),
                "risk": r.choice(["low", "medium", "high"]), "minor": r.random() < 0.5,
                "compound": r.choice(COMPOUNDS), "opened_at": opened}, opened)
            for k in range(r.randint(0, 3)):
                when = opened + timedelta(days=7 * (k + 1), hours=6)
                self.emit("resources", "case_contact_recorded", {
                    "case_id": case_id, "entry_id": self.nid("case_entry"),
                    "kind": r.choice(["note", "home_visit", "phone"]), "event_id": None,
                    "occurred_at": when}, when)
            if r.random() < 0.6:
                when = opened + timedelta(days=3)
                referral, partner = self.nid("referral"), self.nid("partner")
                self.emit("resources", "case_referred", {
                    "case_id": case_id, "referral_id": referral, "partner_id": partner,
                    "referred_at": when}, when)
                for k, status in enumerate(r.choice([["accepted", "completed"], ["declined"],
                                                     ["accepted"]])):
                    answered = when + timedelta(days=2 + k)
                    self.emit("resources", "case_referral_answered", {
                        "case_id": case_id, "referral_id": referral, "partner_id": partner,
                        "status": status, "answered_at": answered}, answered)
            if r.random() < 0.5:
                closed = opened + timedelta(days=40)
                self.emit("resources", "case_closed", {
                    "case_id": case_id, "outcome": "goals_met", "category": category,
                    "closed_at": closed}, closed)
        self.action_items = items
        self.venues = venues

    # -- the independent count -------------------------------------------------------

    def by_source(self, source):
        return [e for e in self.envelopes if e["source"] == source]

    def count(self, event_type, where=lambda p: True, month=None):
        return sum(1 for p, m in self.facts[event_type] if where(p) and (month is None or m == month))

    def total(self, event_type, value, where=lambda p: True, month=None):
        return sum(value(p) for p, m in self.facts[event_type]
                   if where(p) and (month is None or m == month))

    def expected(self, month=None, plan=None, today=date(2026, 12, 1)):
        """The funder's figures over the whole scenario (or one month / one plan)."""
        c, t = self.count, self.total
        on_plan = (lambda p: p.get("plan") == plan) if plan else (lambda p: True)
        att = [(p, m) for p, m in self.facts["attendance_recorded"]
               if on_plan(p) and (month is None or m == month)]
        feedback = [p for p, m in self.facts["feedback_submitted"]
                    if on_plan(p) and (month is None or m == month)]
        exp = {
            "activities_held": c("event_completed", on_plan, month),
            "joint_meetings_held": c("event_completed",
                                     lambda p: p["kind"] == "joint_meeting" and on_plan(p), month),
            "people_served": len(att),
            "distinct_people": len({p["resident_id"] for p, _ in att}),
            "walk_ins": sum(1 for p, _ in att if p["walk_in"]),
            "registrations": c("participant_registered", on_plan, month),
            "events_scheduled": c("event_scheduled", on_plan, month),
            "events_published": c("event_published", on_plan, month),
            "events_cancelled": c("event_cancelled", on_plan, month),
            "feedback_count": len(feedback),
            "mean_satisfaction": round(sum(p["score"] for p in feedback) / len(feedback), 2)
            if feedback else None,
        }
        if plan:
            return exp
        hours_approved = [p for p, m in self.facts["hours_approved"] if month is None or m == month]
        first = [p for p, m in self.facts["need_matched"] if p["first_match"] and (month is None or m == month)]
        closed_sat = [p["satisfaction"] for p, m in self.facts["need_closed"]
                      if p["satisfaction"] is not None and (month is None or m == month)]
        bookings = c("venue_booked", month=month) - c("venue_booking_cancelled", month=month)
        minutes = t("venue_booked", lambda p: p["minutes"], month=month) - \
            t("venue_booking_cancelled", lambda p: p["minutes"], month=month)
        exp.update({
            "joint_meeting_attendees": t("event_completed", lambda p: sum(p["five_society"].values()),
                                         month=month),
            "registrations_cancelled": c("participant_cancelled", month=month),
            "volunteers_registered": c("volunteer_registered", month=month),
            "talents_registered": c("volunteer_registered", lambda p: p["talent"], month),
            "volunteers_active": len({p["volunteer_id"] for p in hours_approved
                                      if p["counted_minutes"] > 0}),
            "volunteer_hours_approved": round(sum(p["counted_minutes"] for p in hours_approved) / 60, 2),
            "hours_entries_recorded": c("hours_recorded", month=month),
            "hours_entries_approved": len(hours_approved),
            "hours_entries_rejected": c("hours_rejected", month=month),
            "hours_entries_flagged": c("hours_recorded", lambda p: p["flagged"], month),
            "shifts_opened": c("shift_opened", month=month),
            "shift_places": t("shift_opened", lambda p: p["places"], month=month),
            "shift_signups": c("shift_signed_up", month=month),
            "shift_signups_cancelled": c("shift_signup_cancelled", month=month),
            "waitlist_promotions": c("waitlist_promoted", month=month),
            "volunteer_roles_added": c("volunteer_role_added", month=month),
            "volunteer_places_requested": t("volunteer_role_added", lambda p: p["places"], month=month),
            "certificates_issued": c("certificate_issued", lambda p: not p.get("replaces"),
                                     month),
            "volunteer_updates": c("volunteer_updated", month=month),
            "partners_registered": c("partner_registered", month=month),
            "resources_registered": c("resource_registered", month=month),
            "resource_value_registered": round(t("resource_registered", lambda p: p["value_yuan"],
                                                 month=month), 2),
            "resource_updates": c("resource_updated", month=month),
            "needs_registered": c("need_registered", month=month),
            "needs_matched": len(first),
            "matches_made": c("need_matched", month=month),
            "mean_hours_to_match": round(sum(p["hours_to_match"] for p in first) / len(first), 2)
            if first else None,
            "needs_closed": c("need_closed", month=month),
            "need_mean_satisfaction": round(sum(closed_sat) / len(closed_sat), 2) if closed_sat else None,
            "resource_value_linked": round(t("need_matched", lambda p: p["value_yuan"], month=month), 2),
            "bookings_made": c("venue_booked", month=month),
            "bookings_cancelled": c("venue_booking_cancelled", month=month),
            "venue_bookings": bookings,
            "venue_hours_booked": round(minutes / 60, 2),
            "ideas_collected": c("idea_submitted", month=month),
            "idea_votes": c("idea_voted", month=month),
            "ideas_adopted": c("idea_adopted", month=month),
            "consultations_opened": c("consultation_created", month=month),
            "residents_consulted": c("consultation_answered", month=month),
            "decisions_recorded": c("decision_recorded", month=month),
            "action_items_assigned": t("decision_recorded", lambda p: len(p["action_item_ids"]),
                                       month=month),
            "action_items_created": c("action_item_updated", lambda p: p["previous_status"] is None,
                                      month),
            "action_items_done": c("action_item_updated", lambda p: p["status"] == "done", month),
            "cases_opened": c("case_opened", month=month),
            "case_contacts": c("case_contact_recorded", month=month),
            "case_home_visits": c("case_contact_recorded", lambda p: p["kind"] == "home_visit",
                                  month),
            "case_referrals": c("case_referred", month=month),
            "case_referrals_accepted": c("case_referral_answered",
                                         lambda p: p["status"] == "accepted", month),
            "cases_closed": c("case_closed", month=month),
        })
        if month is None:
            open_items = [i for i in self.action_items if i["status"] in ("open", "in_progress")]
            exp["action_items_open"] = len(open_items)
            exp["action_items_overdue"] = sum(1 for i in open_items if i["due"] < today)
        return exp

    def expected_kpis(self):
        """The project year's KPIs of the targets file: the figures of ``expected`` plus
        the activities of each plan and the people served from the priority groups."""
        exp = self.expected()
        for plan in PLANS:
            exp[f"activities_{plan}"] = self.count("event_completed",
                                                   lambda p, k=plan: p["plan"] == k)
        exp["people_served_priority"] = self.count(
            "attendance_recorded", lambda p: p["target_group"] in PRIORITY_GROUPS)
        # 五社 coverage: every partner of the scenario is in cooperation.
        partners = Counter(p["five_society"] for p, _m in self.facts["partner_registered"])
        for category in FIVE:
            exp[f"partners_{category}"] = partners[category]
        exp["five_society_covered"] = len(partners)
        for series in ("festivals", "intergenerational", "after_school", "child_friendly",
                       "elder_care", "neighbourhood_market", "five_society_council"):
            exp[f"activities_{series}"] = self.count(
                "event_completed", lambda p, k=series: p.get("series") == k)
        return exp

    def expected_by(self, dimension):
        """people served and activities held by plan / target_group / compound."""
        served, held = Counter(), Counter()
        for p, _m in self.facts["attendance_recorded"]:
            key = p["compound"] or "-" if dimension == "compound" else p[dimension]
            served[key] += 1
        for p, _m in self.facts["event_completed"]:
            keys = {"plan": [p["plan"]], "target_group": set(p["target_groups"]),
                    "compound": set(p["compounds"])}[dimension]
            for k in keys:
                held[k] += 1
        return served, held

    def expected_venues(self):
        minutes = Counter()
        for p, _ in self.facts["venue_booked"]:
            minutes[str(p["venue_id"])] += p["minutes"]
        for p, _ in self.facts["venue_booking_cancelled"]:
            minutes[str(p["venue_id"])] -= p["minutes"]
        return {k: round(v / 60, 2) for k, v in minutes.items()}
