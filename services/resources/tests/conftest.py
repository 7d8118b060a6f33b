import pytest

from common.testing import make_crypto, store_fixture
from services.resources.models import metadata

store = store_fixture(metadata, "resources")


@pytest.fixture
def crypto():
    return make_crypto()
