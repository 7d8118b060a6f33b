"""The services the admin's clearing goes through are exactly those with sample data,
and each answers the clearing's RPC."""
from common import sample
from common.cli import SERVICE_CLASSES, service_class


def test_the_clearing_reaches_every_service_with_sample_data():
    holders = set()
    for process in SERVICE_CLASSES:
        cls = service_class(process)
        if any(isinstance(value, sample.SampleData) for value in vars(cls).values()):
            holders.add(process)
            assert callable(getattr(cls, "count_sample_data", None)), process
            assert callable(getattr(cls, "clear_sample_data", None)), process
    assert holders == set(sample.SERVICES)
