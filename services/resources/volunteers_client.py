"""Asking the volunteers service for volunteers whose skills fit a need.

Called from the entrypoint, never inside a unit of work. The volunteers service may be
down, slow, or older than this code: any of those gives an empty list and a flag, never
an error for the social worker who asked for suggestions."""
import logging

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from common.errors import RongheError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 2.0


class VolunteersRpc(RpcProxy):
    """RpcProxy to volunteers with a short deadline carried as the request's TTL, so a
    question nobody answered in time is not answered later."""

    def __init__(self):
        super().__init__("volunteers")

    def setup(self):
        self.timeout = float(self.container.config.get("VOLUNTEERS_RPC_TIMEOUT_SECONDS",
                                                       DEFAULT_TIMEOUT_SECONDS))
        self.options["expiration"] = self.timeout
        super().setup()

    def get_dependency(self, worker_ctx):
        proxy = super().get_dependency(worker_ctx)
        proxy.timeout = self.timeout
        return proxy


def suggest_volunteers(proxy, skills, compound=None, limit=10):
    """(volunteers, unavailable): the volunteers service's suggestions, or ([], True) when
    it does not answer in time, is not running or fails."""
    timeout = getattr(proxy, "timeout", DEFAULT_TIMEOUT_SECONDS)
    try:
        with eventlet.Timeout(timeout):
            result = proxy.suggest_volunteers(skills, compound=compound, limit=limit)
    except eventlet.Timeout:
        log.warning("volunteers did not answer suggest_volunteers within %.1fs", timeout)
        return [], True
    except UnknownService:
        log.warning("volunteers service is not running; suggestions without volunteers")
        return [], True
    except (RemoteError, RongheError) as exc:
        log.warning("volunteers.suggest_volunteers failed (%s)", type(exc).__name__)
        return [], True
    except (ConnectionError, OSError) as exc:
        log.warning("broker unavailable asking volunteers (%s)", type(exc).__name__)
        return [], True
    if not isinstance(result, list):
        log.warning("volunteers.suggest_volunteers answered %s, not a list", type(result).__name__)
        return [], True
    return result, False
