"""Asking the volunteers service for volunteers whose skills fit a need.

Called from the entrypoint, never inside a unit of work, with the service's
``common.rpc.BoundedRpc`` to volunteers (``VOLUNTEERS_RPC_TIMEOUT_SECONDS``). The
volunteers service may be down, slow, failing or older than this code: any of those
gives an empty list and a flag, never an error for the social worker who asked for
suggestions."""
import logging

from nameko import exceptions as nameko_errors

from common.errors import RongheError

log = logging.getLogger(__name__)


def suggest_volunteers(volunteers, skills, compound=None, limit=10):
    """(volunteers, unavailable): the volunteers service's suggestions, or ([], True) when
    it did not answer, failed, or does not know the call (an older version)."""
    try:
        result = volunteers.call("suggest_volunteers", skills, compound=compound, limit=limit)
    except RongheError as exc:  # ServiceUnavailable: slow, stopped, never started
        log.warning("suggestions without volunteers: %s", exc)
        return [], True
    # RemoteError: it failed; nameko's BadRequest (MethodNotFound, IncorrectSignature):
    # an older volunteers service that does not know this call.
    except (nameko_errors.RemoteError, nameko_errors.BadRequest) as exc:
        log.warning("suggestions without volunteers: suggest_volunteers raised %s",
                    getattr(exc, "exc_type", type(exc).__name__))
        return [], True
    if not isinstance(result, list):
        log.warning("volunteers.suggest_volunteers answered %s, not a list",
                    type(result).__name__)
        return [], True
    return result, False
