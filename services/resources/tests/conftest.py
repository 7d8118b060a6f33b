import pytest

from services.resources.tests.helpers import LocalStore, crypto as make_crypto


@pytest.fixture
def store(tmp_path):
    local = LocalStore(f"sqlite:///{tmp_path}/resources.db")
    yield local
    local.dispose()


@pytest.fixture
def crypto():
    return make_crypto()
