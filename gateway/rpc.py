"""RPC from the gateway to the services: nameko's RpcProxy (one reply queue per gateway
process, shared by all requests: a pooled proxy), bounded by RPC_TIMEOUT_SECONDS so a
service that is down gives 503 quickly, never a hung request. Requests carry the same
time as a message TTL so that a call nobody answered is not executed later."""
import logging

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from common.errors import RongheError, ServiceUnavailable

log = logging.getLogger(__name__)


class TimedRpcProxy(RpcProxy):
    """Requests expire after the timeout and are published without waiting for a
    publisher confirm: the confirm doubled the cost of a call at the gateway, and the
    bounded wait already answers 503 for a service that is down or was never started."""

    def setup(self):
        self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", 5))
        self.options["expiration"] = self.timeout
        self.options["use_confirms"] = False
        self.options["mandatory"] = False
        super().setup()


def call(proxy, timeout, service, method, *args, **kwargs):
    try:
        with eventlet.Timeout(timeout):
            return getattr(proxy, method)(*args, **kwargs)
    except eventlet.Timeout:
        raise ServiceUnavailable(f"{service} did not answer within {timeout:g} s",
                                 {"service": service}) from None
    except UnknownService:
        raise ServiceUnavailable(f"{service} is not running", {"service": service}) from None
    except RongheError:
        raise
    except RemoteError as exc:
        log.error("%s.%s failed: %s", service, method, exc.exc_type)
        raise
    except (ConnectionError, OSError) as exc:
        raise ServiceUnavailable(f"message broker unavailable ({type(exc).__name__})",
                                 {"service": service}) from None
