"""The events domain's unit tests run on the kernel's store (SQLite, or PostgreSQL where a
test asks for both backends), without a broker."""
import pytest

from common.testing import make_crypto, store_fixture
from services.events.models import metadata
from services.events.tests.helpers import FakeResources

store = store_fixture(metadata, "events")

BOTH_BACKENDS = pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture
def crypto():
    return make_crypto()


@pytest.fixture
def resources():
    return FakeResources()
