"""Fixtures of the volunteers domain tests: the kernel's store on a real database (outbox
rows written in the same transaction as the changes) and the PII crypto with test keys."""
import pytest

from common.testing import make_crypto, store_fixture
from services.volunteers.models import metadata

store = store_fixture(metadata, "volunteers")


@pytest.fixture
def crypto():
    return make_crypto()
