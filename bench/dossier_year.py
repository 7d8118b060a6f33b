"""The evaluation dossier of a full scripted year, through the gateway, on the real
processes: 120 events across the four plans (3 of them joint meetings with decisions),
each with registrations, attendance and walk-ins, 30 expenditures over four budget lines
(some paying for an activity), a photo on each of 20 activities; then the dossier is asked
for and `GET /events` is timed before and while it builds. Prints one JSON line: the
build's seconds, pages and sizes, whether every event, the counts and the budget totals
read back, whether the ZIP holds every attachment with its hash, and the listing's
p50/p99 beside the same listing with nothing building.

    .venv/bin/python bench/dossier_year.py            # 120 events (several minutes)
    .venv/bin/python bench/dossier_year.py --events 16   # a quick check
"""
import argparse
import hashlib
import io
import json
import sys
import time
import zipfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Stack, Vhost, percentile  # noqa: E402

PLANS = ("resources", "system", "service", "culture")


class Api:
    def __init__(self, base, token=None):
        self.base, self.http = base, requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method, path, expect=(200, 201, 202), **kw):
        response = self.http.request(method, self.base + path, timeout=60, **kw)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response


def script_year(staff, public, count, meetings=3, registered=4):
    titles, served = [], 0
    for n in range(count):
        meeting = n < meetings
        plan = "system" if meeting else PLANS[n % 4]
        # Ahead of today (residents register only for coming events), inside year 1.
        day, hour = 4 + n % 27, (n // 27) * 2
        title = f"{'联席会' if meeting else '活动'}{n + 1:03d}·{plan}"
        body = {"title": title, "plan": plan, "kind": "joint_meeting" if meeting else "activity",
                "target_groups": ["all_residents" if meeting else "children"],
                "compounds": ["banshan_linhai"], "capacity": 0 if meeting else 20,
                "start": f"2026-12-{day:02d}T{hour:02d}:00:00Z",
                "end": f"2026-12-{day:02d}T{hour + 1:02d}:30:00Z"}
        if meeting:
            body["attendees"] = [{"organisation": "居委会", "category": "community"}]
        eid = staff.call("POST", "/events", json=body).json()["id"]
        staff.call("POST", f"/events/{eid}/publish")
        if meeting:
            staff.call("POST", f"/events/{eid}/decisions", json={
                "summary": f"决议{n + 1}", "action_items": [
                    {"title": f"行动{n + 1}", "owner": "社工站", "due_date": "2026-12-31"}]})
        else:
            for k in range(registered):
                reg = public.call("POST", f"/events/{eid}/registrations", json={
                    "name": f"居民{n}-{k}", "phone": f"158{n:04d}{k:04d}",
                    "target_group": "children", "compound": "banshan_linhai"}).json()
                staff.call("POST", f"/events/{eid}/attendance",
                           json={"registration_id": reg["id"]})
            staff.call("POST", f"/events/{eid}/attendance",
                       json={"walk_in": True, "target_group": "elderly"})
            served += registered + 1
        staff.call("POST", f"/events/{eid}/complete")
        titles.append(title)
    return titles, served


LINES = ("activities", "materials", "publicity", "management")


def spend_and_photograph(staff, titles, expenditures=30, photos=20):
    """Expenditures over four lines (every third one paying for an activity) and a photo
    on each of the first ``photos`` activities. Returns (total fen, {sha256})."""
    from PIL import Image

    events = {e["title"]: e["id"] for e in
              staff.call("GET", "/events?per_page=100&status=completed").json()["items"]}
    for page in range(2, 4):
        events.update({e["title"]: e["id"] for e in staff.call(
            "GET", f"/events?per_page=100&status=completed&page={page}").json()["items"]})
    activities = [events[t] for t in titles if t.startswith("活动")]
    total = 0
    for n in range(expenditures):
        fen = 10_000 + 137 * n  # 100.00, 101.37, … exact to the fen
        body = {"spent_on": f"2026-{1 + n % 11:02d}-15", "amount": f"{fen // 100}.{fen % 100:02d}",
                "budget_line": LINES[n % 4], "plan": PLANS[n % 4], "payee": f"供应商{n}"}
        if n % 3 == 0:
            body["event_id"] = activities[n % len(activities)]
        staff.call("POST", "/expenditures", json=body)
        total += fen
    kept = set()
    for n, event_id in enumerate(activities[:photos]):
        picture = io.BytesIO()
        # A different picture each (the store keeps one file per content).
        Image.new("RGB", (64, 48), (10 * n, 120, 200)).save(picture, "JPEG")
        added = staff.call("POST", "/attachments", data={"owner_kind": "event",
                                                         "owner_id": event_id},
                           files={"file": (f"活动照片{n}.jpg", picture.getvalue(), "image/jpeg")})
        kept.add(added.json()["sha256"])
    return total, kept


def listing_times(staff, seconds=None, until=None):
    times, started = [], time.monotonic()
    while True:
        t = time.monotonic()
        staff.call("GET", "/events?per_page=20")
        times.append(time.monotonic() - t)
        if seconds is not None and time.monotonic() - started > seconds:
            return times
        if until is not None and until():
            return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=120)
    args = parser.parse_args()
    from pypdf import PdfReader

    with Vhost() as vhost, Stack(vhost.amqp_uri, {
            "PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000",
            "PUBLIC_PHONE_RATE_LIMIT_PER_MINUTE": "100000000",
            "KPI_CHECK_INTERVAL_SECONDS": "0", "SUMMARY_INTERVAL_SECONDS": "0"}) as stack:
        stack.env["DOSSIER_DIR"] = str(stack.tmp / "dossiers")
        stack.start("resources", "volunteers", "events", "reports", "gateway")
        base = stack.url("gateway") + "/api/v1"
        token = requests.post(base + "/auth/login", json={
            "username": "admin", "password": "ronghe-admin"}, timeout=10).json()["access_token"]
        staff, public = Api(base, token), Api(base)
        seeded = time.monotonic()
        titles, served = script_year(staff, public, args.events)
        spent_fen, photo_hashes = spend_and_photograph(staff, titles)
        seeding = time.monotonic() - seeded

        idle = listing_times(staff, seconds=3)
        asked = time.monotonic()
        dossier = staff.call("POST", "/reports/dossiers", expect=(202,), json={"year": 1}).json()
        answered = time.monotonic() - asked
        state = {}

        def done():
            state.update(staff.call("GET", f"/reports/dossiers/{dossier['id']}").json())
            return state["status"] in ("ready", "failed")

        busy = listing_times(staff, until=done)
        built = time.monotonic() - asked
        if state["status"] != "ready":
            raise RuntimeError(state)
        pdf = staff.call("GET", f"/reports/dossiers/{dossier['id']}/pdf").content
        archive = staff.call("GET", f"/reports/dossiers/{dossier['id']}/zip").content
        reader = PdfReader(io.BytesIO(pdf))
        text = "".join("".join(page.extract_text() for page in reader.pages).split())
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            names = z.namelist()
            zipped = {hashlib.sha256(z.read(n)).hexdigest() for n in names
                      if n.startswith("attachments/")}
        spent = f"{spent_fen // 100}.{spent_fen % 100:02d}"
        print(json.dumps({
            "events": len(titles), "seeding_s": round(seeding, 1),
            "post_answered_s": round(answered, 3), "build_s": round(built, 1),
            "pdf_pages": len(reader.pages), "pdf_kb": len(pdf) // 1024,
            "zip_kb": len(archive) // 1024, "zip_files": len(names),
            "every_event_in_pdf": all(t in text for t in titles),
            "budget_total_in_pdf": f"合计420000.00{spent}" in text, "spent_yuan": spent,
            "zip_holds_every_photo": zipped == photo_hashes, "photos": len(photo_hashes),
            "counts_right": state["summary"]["events"] == len(titles)
            and state["summary"]["attendance"] == served,
            "get_events_idle_ms": {"p50": round(1000 * percentile(idle, 50), 1),
                                   "p99": round(1000 * percentile(idle, 99), 1),
                                   "n": len(idle)},
            "get_events_while_building_ms": {"p50": round(1000 * percentile(busy, 50), 1),
                                             "p99": round(1000 * percentile(busy, 99), 1),
                                             "n": len(busy)},
        }, ensure_ascii=False))


if __name__ == "__main__":
    main()
