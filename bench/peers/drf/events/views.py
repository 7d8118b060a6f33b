from django.db.models import Count
from django.shortcuts import get_object_or_404
from rest_framework import generics
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from events.models import Event, Registration
from events.serializers import EventSerializer, RegistrationSerializer


class Pages(PageNumberPagination):
    page_size = 20
    page_size_query_param = "per_page"
    max_page_size = 100

    def get_paginated_response(self, data):
        return Response({"items": data, "total": self.page.paginator.count,
                         "page": self.page.number, "per_page": self.get_page_size(self.request)})


class EventList(generics.ListAPIView):
    """Events by start: the count, the page, and the confirmed registrations of the page's
    events in one grouped query (what the events service does too)."""
    serializer_class = EventSerializer
    pagination_class = Pages
    queryset = Event.objects.order_by("start", "id")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        ids = [event.id for event in page]
        confirmed = dict(Registration.objects.filter(event_id__in=ids, status="confirmed")
                         .values("event_id").annotate(n=Count("id"))
                         .values_list("event_id", "n"))
        serializer = self.get_serializer(page, many=True,
                                         context={"confirmed": confirmed, "request": request})
        return self.get_paginated_response(serializer.data)


class RegistrationCreate(generics.CreateAPIView):
    """A plain validated insert: the event must exist, the body must be valid."""
    serializer_class = RegistrationSerializer

    def perform_create(self, serializer):
        event = get_object_or_404(Event, pk=self.kwargs["event_id"])
        serializer.save(event=event)
