"""The columns of the events listing (services/events/models.py: Event, Registration)."""
from django.db import models

TARGET_GROUPS = ["children", "youth", "women", "families", "elderly", "disabled",
                 "in_difficulty", "all_residents"]


class Event(models.Model):
    title = models.CharField(max_length=100)
    plan = models.CharField(max_length=16)
    kind = models.CharField(max_length=16)
    target_groups = models.JSONField(default=list)
    compounds = models.JSONField(default=list)
    series = models.CharField(max_length=32, null=True)
    description = models.TextField(null=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    capacity = models.IntegerField(default=0)  # 0: no limit
    venue_id = models.IntegerField(null=True)
    booking_id = models.IntegerField(null=True)
    organiser = models.CharField(max_length=64)
    status = models.CharField(max_length=16, default="draft")

    class Meta:
        db_table = "events"
        indexes = [models.Index(fields=["status", "start"], name="ix_events_status_start"),
                   models.Index(fields=["start"], name="ix_events_start")]


class Registration(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20)
    target_group = models.CharField(max_length=16, choices=[(g, g) for g in TARGET_GROUPS])
    status = models.CharField(max_length=16, default="confirmed")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "registrations"
        indexes = [models.Index(fields=["event", "status"], name="ix_registrations_event_status")]
