"""The same events as bench/gateway.py's seed_events: published, one an hour."""
from datetime import datetime, timedelta, timezone

from django.core.management.base import BaseCommand

from events.models import Event


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("total", type=int, nargs="?", default=10_000)

    def handle(self, total, **_options):
        start = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
        Event.objects.bulk_create([
            Event(title=f"长者健康讲座 {n}", plan="service", kind="lecture",
                  target_groups=["elderly"], compounds=["fulong_huayuan"],
                  start=start + timedelta(hours=n),
                  end=start + timedelta(hours=n, minutes=90),
                  capacity=100000 if n == 0 else 40, organiser="bench", status="published")
            for n in range(total)], batch_size=500)
