"""Tables of the events service (plus the kernel's outbox/inbox/kernel_state)."""
from sqlalchemy.orm import DeclarativeBase

from common.db import make_metadata

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata
