"""From a werkzeug request to a JSON response: route match, auth, role check, rate
limit, validation, own-records limit, handler, error mapping, and the time it took
(``ronghe_http_seconds`` by route and status). Every failure has DESIGN.md's error
shape."""
import json
import logging
import re
import time
import uuid

import orjson
from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.exceptions import MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.wrappers import Response

from common import logs, messages, metrics
from common.schemas import instance
from common.errors import (BadRequest, Forbidden, NotFound, PayloadTooLarge, RateLimited,
                           RongheError, Unauthorized, UnsupportedMediaType, ValidationFailed,
                           msg, validation_error)
from gateway import auth, idempotency, uploads
from gateway.context import RequestContext
from gateway.public_limits import PUBLIC_WRITES_REFUSED
from gateway.routes import ROUTES
from gateway.routing import url_map

log = logging.getLogger(__name__)
URL_MAP = url_map(ROUTES)
# The route label of requests no route matched (404, 405).
UNMATCHED = "unmatched"


# Answers are encoded by orjson (UTF-8, no escapes: ensure_ascii=False), with the
# standard library's conversions kept: datetimes, dates and dataclasses go to ``str`` as
# any other type orjson does not know (Decimal), keys that are not text become text.
_ORJSON_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
                   | orjson.OPT_PASSTHROUGH_DATACLASS)


def encode_json(data):
    """An answer's JSON bytes (also the read models' pre-encoded entries)."""
    try:
        return orjson.dumps(data, default=str, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        # What orjson refuses (integers past 64 bits, lone surrogates, nesting past its
        # limit) gets the standard library's answer, as before.
        return json.dumps(data, ensure_ascii=False, default=str)


def json_response(data, status=200, headers=None):
    return Response(encode_json(data), status=status, mimetype="application/json",
                    headers=headers)


def error_response(error, request_id=None, lang=messages.DEFAULT_LANGUAGE):
    """The error in DESIGN.md's shape, its message and reasons in ``lang``."""
    body = error.to_dict(lang)
    headers = {"X-Request-Id": request_id} if request_id else None
    if isinstance(error, Unauthorized):
        headers = dict(headers or {}, **{"WWW-Authenticate": "Bearer"})
    if isinstance(error, RateLimited) and "retry_after_seconds" in error.details:
        headers = dict(headers or {}, **{"Retry-After": str(error.details["retry_after_seconds"])})
    return json_response(body, error.status, headers)




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
        raise NotFound("no_route", method=request.method, path=request.path) from None
    except RouteNotFound:
        raise NotFound("no_route", method=request.method, path=request.path) from None


class _MethodNotAllowed(RongheError):
    code, status = "METHOD_NOT_ALLOWED", 405

    def __init__(self):
        super().__init__("method_not_allowed")


MAX_SAFE_INT = 2**31 - 1
# Our bodies nest a few levels (an object, a list of codes); far deeper is an attack on
# the parser or on whatever walks the value after it.
MAX_JSON_DEPTH = 32
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
JSON_TYPE = "application/json"


def _unstorable(data):
    """Values no store of ours keeps, by field: integers beyond a 32-bit column, text
    with NUL (PostgreSQL refuses it) or lone surrogates (not encodable as UTF-8). One
    walk over the whole input, keys too, without recursion; nesting deeper than
    MAX_JSON_DEPTH is a 400."""
    problems = {}
    pending = [(data, "_value", 0)]
    while pending:
        value, field, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest("body_nested_too_deeply",
                             {"body": ["nested_too_deeply"]})
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            if abs(value) > MAX_SAFE_INT:
                problems.setdefault(field, []).append(msg("at_most_number", max=MAX_SAFE_INT))
        elif isinstance(value, str):
            reason = _unstorable_text(value)
            if reason:
                problems.setdefault(field, []).append(reason)
        elif isinstance(value, dict):
            for key, item in value.items():
                key = str(key)
                reason = _unstorable_text(key)
                if reason:
                    # Named as it can be shown: the surrogate as an escape.
                    key = key.encode("utf-8", "backslashreplace").decode("utf-8")
                    problems.setdefault(key, []).append(
                        msg("field_name_reason", reason=msg(reason)))
                pending.append((item, key, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, field, depth + 1) for item in value)
    return problems


def _unstorable_text(text):
    if "\x00" in text:
        return "text_has_nul"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text_has_surrogates"
    return None


def _refuse_unstorable(data):
    problems = _unstorable(data)
    if problems:
        fields = ", ".join(sorted(problems))
        raise ValidationFailed("invalid_fields", problems, fields=fields)


def _body_limit(service):
    return int(service.config.get("MAX_BODY_BYTES") or DEFAULT_MAX_BODY_BYTES)


def _too_large(limit):
    return PayloadTooLarge("body_too_large",
                           {"body": [msg("at_most_bytes", limit=limit)]}, limit=limit)


def _refuse_announced_oversize(request, limit):
    """413 on the Content-Length alone, before a byte of the body is read."""
    if (request.content_length or 0) > limit:
        raise _too_large(limit)


def _is_chunked(request):
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _read_body(request, limit):
    """The body, never more than ``limit`` bytes of it. A chunked body has no length to
    check first: read one byte past the limit at most (the WSGI server decodes the
    chunks) and refuse it if that byte came."""
    if request.content_length is not None:
        return request.get_data(cache=True)  # within the limit, checked before
    if not _is_chunked(request):
        return b""
    raw = request.environ["wsgi.input"].read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    return raw


# Routes whose service loads the body with the route's own schema before anything else
# (no read, no write, no other check comes first): the gateway checks what only it can
# (size, media type, JSON, an object, values no store keeps) and leaves the schema to the
# service, whose ValidationFailed is the same 422 with the same details by field (the
# same ``validation_error``, rendered here in the request's language). Validating here
# too would run the same schema twice per request in two processes.
# The gateway still validates when something between it and that load depends on the
# body being valid: a rate limit per phone (an invalid body must not spend the phone's
# allowance), an own-records check (a volunteer_id not a number is 422, not 403), or an
# Idempotency-Key (the service reads the stored answer before it loads: a reused key
# with a wrong body is 422 as before, not 409).
VALIDATED_BY_SERVICE = frozenset({"POST /volunteers"})


def _service_validates(request, route):
    return (route.endpoint in VALIDATED_BY_SERVICE and not route.rate_limited
            and not route.own_records_only and idempotency.HEADER not in request.headers)


def _parse_body(request, schema_cls, limit, validate=True):
    """A route's body: only a route that takes one reads it, and never more than
    ``limit`` bytes (a route without a body leaves whatever was sent unread). With
    ``validate`` False the route's service is the one to load it with the schema."""
    if schema_cls is None:
        return None
    _refuse_announced_oversize(request, limit)
    if (request.content_length or _is_chunked(request)) and request.mimetype != JSON_TYPE:
        raise UnsupportedMediaType(
            "body_wrong_type",
            {"content_type": [msg("must_be_type", json_type=JSON_TYPE)]}, json_type=JSON_TYPE,
            sent=request.mimetype or 'untyped')
    data = _json_body(_read_body(request, limit))
    _refuse_unstorable(data)
    if not isinstance(data, dict):
        raise BadRequest("body_not_object", {"body": ["not_object"]})
    if not validate:
        return data
    try:
        instance(schema_cls).load(data)
    except ValidationError as exc:
        raise validation_error(exc) from None
    # The service validates again and owns the conversion; the gateway passes JSON on.
    return data


# An integer literal orjson would read as a float (past 64 bits): the standard library
# reads it as the integer it is, which the unstorable-value check then names.
_LONG_DIGITS = re.compile(rb"[0-9]{20}")


def _json_body(raw):
    """The body's JSON value. orjson reads what is plain JSON; anything it refuses (a lone
    surrogate escape, NaN, nesting past 1,024, malformed text) and a long digit run are
    read by the standard library, whose answers (the value, or which 400) stay the API's."""
    if not raw:
        return {}
    if not _LONG_DIGITS.search(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BadRequest("body_nested_too_deeply",
                         {"body": ["nested_too_deeply"]}) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("body_malformed_json", {"body": ["malformed_json"]}, exc=exc)


def _parse_query(request, schema_cls):
    if schema_cls is None:
        return {}
    raw = {key: request.args.getlist(key) if len(request.args.getlist(key)) > 1
           else request.args.get(key) for key in request.args}
    raw.pop("reveal", None)
    _refuse_unstorable(raw)  # the text as sent (%00 decodes to NUL)
    try:
        query = instance(schema_cls).load(raw)
    except ValidationError as exc:
        raise validation_error(exc) from None
    _refuse_unstorable(query)  # the numbers as read
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
            raise Forbidden("volunteer_own_records_only")
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
            raise Unauthorized("missing_bearer_token")
        user = auth.verify_token(token, service.config["JWT_SECRET"],
                                 service.config["COMMUNITY_ID"],
                                 int(service.config["JWT_MAX_LIFETIME_SECONDS"]))
        service.active_users.check(user)
    if not route.allows(user["role"] if user else None):
        raise Forbidden("role_may_not", role=user['role'], method=route.method, path=route.path)
    ctx = RequestContext(service, request, route, user, request_id)
    if route.rate_limited and not service.rate_limiter.allow((route.endpoint, ctx.client)):
        PUBLIC_WRITES_REFUSED.labels(route.endpoint, "client").inc()
        raise RateLimited("rate_limited_minute",
                          {"retry_after_seconds": 60})
    _refuse_unstorable(params)  # a text path parameter (a period, a number)
    ctx.query = _parse_query(request, route.query)
    if route.upload is not None:
        ctx.body, ctx.upload = uploads.parse(request, route, service.config, _read_body)
    else:
        ctx.body = _parse_body(request, route.body, _body_limit(service),
                               validate=not _service_validates(request, route))
    if route.rate_limited and not service.phone_limiter.allow(
            route.endpoint, (ctx.body or {}).get("phone")):
        PUBLIC_WRITES_REFUSED.labels(route.endpoint, "phone").inc()
        raise RateLimited("rate_limited_phone",
                          {"phone": ["too_many_requests"]})
    _limit_to_own_records(ctx, params)
    idempotency.forward(ctx, ctx.client)
    result = route.handler(ctx, **params)
    if isinstance(result, Response):
        result.headers["X-Request-Id"] = request_id
        return result
    return json_response(result, route.status, {"X-Request-Id": request_id})


def _internal_error(request_id, lang):
    return json_response({"error": "INTERNAL",
                          "message": messages.render("internal_error", None, lang),
                          "details": {"request_id": request_id}}, 500,
                         {"X-Request-Id": request_id})


def dispatch(service, request):
    started = time.perf_counter()
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    request_id = request_id[:64]
    logs.set_request_id(request_id)
    service.request_state.set_request_id(request_id)
    route = None
    # Messages in Chinese unless the client prefers English (Accept-Language).
    lang = messages.language(request.headers.get("Accept-Language"))
    try:
        route, params = _match(request)
        response = _handle(service, request, route, params, request_id)
    except RongheError as error:
        response = error_response(error, request_id, lang)
    except RemoteError as error:
        log.error("unexpected remote error %s", error.exc_type)
        response = _internal_error(request_id, lang)
    except Exception:  # noqa: BLE001 - never leak a traceback to a client
        log.exception("unhandled error")
        response = _internal_error(request_id, lang)
    # The route's template, never the raw path: a label value per route, not per id.
    metrics.HTTP_LATENCY.labels(service.name, route.endpoint if route else UNMATCHED,
                                str(response.status_code)).observe(
        time.perf_counter() - started)
    return response
