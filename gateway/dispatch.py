"""From a werkzeug request to a JSON response: route match, auth, role check, rate
limit, validation, own-records limit, handler, error mapping, and the time it took
(``ronghe_http_seconds`` by route and status). Every failure has DESIGN.md's error
shape."""
import json
import logging
import time
import uuid

from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled, RemoteError
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.wrappers import Response

from common import logs, metrics
from common.errors import (BadRequest, Forbidden, NotFound, RateLimited, RongheError,
                           ServiceUnavailable, Unauthorized, ValidationFailed,
                           validation_error)
from gateway import auth
from gateway.context import RequestContext
from gateway.routes import ROUTES
from gateway.routing import url_map

log = logging.getLogger(__name__)
URL_MAP = url_map(ROUTES)
# The route label of requests no route matched (404, 405).
UNMATCHED = "unmatched"


def json_response(data, status=200, headers=None):
    return Response(json.dumps(data, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json", headers=headers)


def error_response(error, request_id=None):
    body = error.to_dict()
    headers = {"X-Request-Id": request_id} if request_id else None
    if isinstance(error, Unauthorized):
        headers = dict(headers or {}, **{"WWW-Authenticate": "Bearer"})
    return json_response(body, error.status, headers)


class _HttpEntrypoint(HttpRequestHandler):
    """nameko's ``@http`` whose own failures, before a request reaches ``dispatch``, keep
    the error shape: a request arriving while the container is being killed (it lost its
    broker and its process is about to exit and be started again) is 503, not nameko's
    plain-text 500."""

    def response_from_exception(self, exc):
        if isinstance(exc, ContainerBeingKilled):
            return error_response(ServiceUnavailable("gateway restarting; try again"))
        return super().response_from_exception(exc)


http = _HttpEntrypoint.decorator


def _match(request):
    adapter = URL_MAP.bind_to_environ(request.environ)
    try:
        return adapter.match()
    except MethodNotAllowed as exc:
        # werkzeug says 405 when another method's rule has this path's shape even if its
        # converters would refuse the values (an id beyond range): that is a 404.
        for method in exc.valid_methods or ():
            try:
                adapter.match(method=method)
            except (RouteNotFound, MethodNotAllowed):
                continue
            raise _MethodNotAllowed() from None
        raise NotFound(f"no route {request.method} {request.path}") from None
    except RouteNotFound:
        raise NotFound(f"no route {request.method} {request.path}") from None


class _MethodNotAllowed(RongheError):
    code, status = "METHOD_NOT_ALLOWED", 405

    def __init__(self):
        super().__init__("method not allowed on this path")


def _client_key(request, trusted_proxies):
    """The client's address for rate limiting. X-Forwarded-For is believed only when the
    direct peer is a proxy we trust (a client could otherwise pick a new key per call)."""
    peer = request.remote_addr or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and peer in trusted_proxies:
        return forwarded.split(",")[-1].strip() or peer
    return peer


MAX_SAFE_INT = 2**31 - 1


def _oversized_numbers(data, path=""):
    """Fields holding integers no column of ours can store (ids, counts, minutes)."""
    if isinstance(data, bool):
        return []
    if isinstance(data, int):
        return [path or "_value"] if abs(data) > MAX_SAFE_INT else []
    if isinstance(data, dict):
        return [f for k, v in data.items() for f in _oversized_numbers(v, k)]
    if isinstance(data, list):
        return [f for v in data for f in _oversized_numbers(v, path)]
    return []


def _reject_oversized(data):
    fields = _oversized_numbers(data)
    if fields:
        raise ValidationFailed("number out of range",
                               {f: [f"must be at most {MAX_SAFE_INT}"] for f in fields})


def _parse_body(request, schema_cls):
    if schema_cls is None:
        return None
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}", {"body": ["malformed JSON"]})
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object", {"body": ["not an object"]})
    _reject_oversized(data)
    try:
        schema_cls().load(data)
    except ValidationError as exc:
        raise validation_error(exc) from None
    # The service validates again and owns the conversion; the gateway passes JSON on.
    return data


def _parse_query(request, schema_cls):
    if schema_cls is None:
        return {}
    raw = {key: request.args.getlist(key) if len(request.args.getlist(key)) > 1
           else request.args.get(key) for key in request.args}
    raw.pop("reveal", None)
    try:
        query = schema_cls().load(raw)
    except ValidationError as exc:
        raise validation_error(exc) from None
    _reject_oversized(query)
    return query


def _limit_to_own_records(ctx, params):
    """On a route's ``own_records_only`` roles (a volunteer): the volunteer a request
    names in its path, body or query must be the user's own (else 403), and a listing
    that names none is narrowed to theirs. A record named by another id (a sign-up, a
    certificate) is checked by its service, which the handler passes ``ctx.only_own``."""
    own = ctx.only_own
    if own is None:
        return
    for named in (params.get("volunteer_id"), (ctx.body or {}).get("volunteer_id"),
                  ctx.query.get("volunteer_id")):
        if named is not None and _as_int(named) != own:
            raise Forbidden("volunteers may only see their own records")
    if ctx.route.query is not None and "volunteer_id" in ctx.route.query._declared_fields:
        ctx.query["volunteer_id"] = own


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _handle(service, request, route, params, request_id):
    user = None
    token = auth.bearer_token(request)
    if token is not None or not route.is_public:
        if token is None:
            raise Unauthorized("missing bearer token")
        user = auth.verify_token(token, service.config["JWT_SECRET"],
                                 service.config["COMMUNITY_ID"])
    if not route.allows(user["role"] if user else None):
        raise Forbidden(f"role {user['role']} may not {route.method} {route.path}")
    trusted = service.config.get("TRUSTED_PROXIES", "") or ""
    if route.rate_limited and not service.rate_limiter.allow(
            (route.endpoint, _client_key(request, set(trusted.split(","))))):
        raise RateLimited("too many requests; try again in a minute")
    ctx = RequestContext(service, request, route, user, request_id)
    ctx.query = _parse_query(request, route.query)
    ctx.body = _parse_body(request, route.body)
    _limit_to_own_records(ctx, params)
    result = route.handler(ctx, **params)
    if isinstance(result, Response):
        result.headers["X-Request-Id"] = request_id
        return result
    return json_response(result, route.status, {"X-Request-Id": request_id})


def _internal_error(request_id):
    return json_response({"error": "INTERNAL", "message": "internal error",
                          "details": {"request_id": request_id}}, 500,
                         {"X-Request-Id": request_id})


def dispatch(service, request):
    started = time.perf_counter()
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    request_id = request_id[:64]
    logs.set_request_id(request_id)
    service.request_state.set_request_id(request_id)
    route = None
    try:
        route, params = _match(request)
        response = _handle(service, request, route, params, request_id)
    except RongheError as error:
        response = error_response(error, request_id)
    except RemoteError as error:
        log.error("unexpected remote error %s", error.exc_type)
        response = _internal_error(request_id)
    except Exception:  # noqa: BLE001 - never leak a traceback to a client
        log.exception("unhandled error")
        response = _internal_error(request_id)
    # The route's template, never the raw path: a label value per route, not per id.
    metrics.HTTP_LATENCY.labels(service.name, route.endpoint if route else UNMATCHED,
                                str(response.status_code)).observe(
        time.perf_counter() - started)
    return response
