import re

from rest_framework import serializers

from events.models import Event, Registration

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


class EventSerializer(serializers.ModelSerializer):
    confirmed = serializers.SerializerMethodField()
    places_left = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "title", "plan", "kind", "target_groups", "compounds", "series",
                  "description", "start", "end", "capacity", "venue_id", "status",
                  "organiser", "booking_id", "confirmed", "places_left"]

    def get_confirmed(self, event):
        return self.context["confirmed"].get(event.id, 0)

    def get_places_left(self, event):
        if not event.capacity:
            return None
        return max(0, event.capacity - self.get_confirmed(event))


class RegistrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Registration
        fields = ["id", "event", "name", "phone", "target_group", "status", "created_at"]
        read_only_fields = ["id", "event", "status", "created_at"]
        extra_kwargs = {"name": {"min_length": 1}}

    def validate_phone(self, value):
        if not PHONE_RE.match(value):
            raise serializers.ValidationError("not a mainland mobile number")
        return value
