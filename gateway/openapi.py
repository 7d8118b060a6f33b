"""OpenAPI 3 document generated from the route table and the marshmallow schemas."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from gateway import idempotency
from gateway.routes import ROUTES
from gateway.routing import API_PREFIX

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# A path parameter without the int converter (a period, a certificate number).
_TEXT_PARAM = re.compile(r"<(?!int:)(?:\w+:)?\w+>")


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"example": "VALIDATION_FAILED"})
    message = fields.String(required=True)
    details = fields.Dict(required=True)


def _openapi_path(path):
    return _PARAM.sub(lambda m: "{%s}" % m.group(2), API_PREFIX + path)


def _path_parameters(path):
    params = []
    for converter, name in _PARAM.findall(path):
        schema = ({"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
                  if converter == "int" else {"type": "string"})
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return params


def _schema_name(schema_cls):
    return schema_cls.__name__


API_DESCRIPTION = """Community-governance social-work platform.

**Errors**: `{error, message, details}`; `details` names each field at fault
(`{field: [reasons]}`). `error` is a fixed code (`VALIDATION_FAILED`, `NOT_FOUND`, ...);
`message` and the reasons are for people: in Chinese by default, in English when the
request's `Accept-Language` prefers English (`en`, `en-US`, ...; q-values count:
`en;q=0.5, zh` is Chinese, `fr, en;q=0.8` English). Other values in `details` (ids,
statuses, dates) are data and are the same in both languages.

**Times**: a date and time written without an offset (`2026-12-05T09:30`) is the
community's local time (its configured zone, `Asia/Shanghai` for Hetong); one with an
offset or `Z` is taken as written. Every answer gives instants in UTC with `Z`
(`2026-12-05T01:30:00Z`) and dates as `YYYY-MM-DD`. A listing's `from` / `to` filter also
takes a date alone: that whole local day (`to=2026-12-05` includes the 5th).

**Retries**: every write (POST, PUT, PATCH, DELETE) takes an `Idempotency-Key` header. A
client that got no answer or a 503 retries with the same key and gets the first answer,
without a second record."""


IDEMPOTENCY_KEY = {
    "in": "header", "name": idempotency.HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_LENGTH,
               # printable ASCII, not only spaces
               "pattern": "^[\\x20-\\x7e]*[\\x21-\\x7e][\\x20-\\x7e]*$"},
    "description": "A key the client chooses per submission (a random UUID) and sends "
                   "again, unchanged, when it retries that submission (after a 503 or a "
                   "network error). A repeat with the same key and the same request gets "
                   "the first answer and writes nothing more; the same key with another "
                   "method, path or body is 409. Keys are scoped to the user (the client's "
                   "address on public routes) and kept for IDEMPOTENCY_RETENTION_HOURS "
                   "(24 h).",
}


def build_spec(version="1.0.0"):
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Ronghe (融和) API", version=version, openapi_version="3.0.3",
                   plugins=[plugin],
                   info={"description": API_DESCRIPTION})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                                "bearerFormat": "JWT"})
    spec.components.schema("Error", schema=ErrorSchema)
    seen = set()

    def ref(schema_cls):
        name = _schema_name(schema_cls)
        if name not in seen:
            seen.add(name)
            # A schema nested in an earlier one (a sign-up's hours entry) is there already.
            if name not in spec.components.schemas:
                spec.components.schema(name, schema=schema_cls)
        return {"$ref": f"#/components/schemas/{name}"}

    paths = {}
    for r in ROUTES:
        op = {
            "operationId": r.handler.__name__,
            "summary": r.summary or r.handler.__name__.replace("_", " "),
            "tags": [r.tag],
            "parameters": _path_parameters(r.path),
            "responses": {},
        }
        if r.query is not None:
            op["parameters"].append({"in": "query", "schema": r.query})
        if r.method in idempotency.WRITE_METHODS:
            op["parameters"].append(IDEMPOTENCY_KEY)
        if r.body is not None:
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": ref(r.body)}}}
        if r.upload is not None:
            form = plugin.converter.schema2jsonschema(r.upload)
            form["properties"]["file"] = {"type": "string", "format": "binary"}
            form["required"] = sorted(set(form.get("required", [])) | {"file"})
            op["requestBody"] = {"required": True,
                                 "content": {"multipart/form-data": {"schema": form}}}
        ok = {"description": "OK"}
        if r.response is not None:
            schema = ref(r.response)
            if r.many:
                schema = {"type": "object", "properties": {
                    "items": {"type": "array", "items": schema},
                    "total": {"type": "integer"}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"}}}
            ok["content"] = {"application/json": {"schema": schema}}
        elif r.produces != ("application/json",):
            # A route that also answers JSON (a report as json or as a file) documents
            # the JSON as an object, the files as bytes.
            ok["content"] = {mime: {"schema": {"type": "object"} if mime == "application/json"
                                    else {"type": "string", "format": "binary"}}
                             for mime in r.produces}
        op["responses"][str(r.status)] = ok
        error_ref = {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
        codes = {"503": "A service did not answer in time"}
        if r.body is not None or r.query is not None:
            codes.update({"400": "Malformed request", "422": "Invalid field"})
        if r.upload is not None:
            codes.update({"400": "Malformed request", "422": "Invalid field",
                          "413": "File larger than the route's limit",
                          "415": "Body not multipart/form-data"})
        if r.body is not None:
            codes.update({"413": "Body larger than the gateway's limit",
                          "415": "Body not application/json"})
        if _TEXT_PARAM.search(r.path):  # a period or a number in the path has a form
            codes["422"] = "Invalid field"
        if not r.is_public:
            codes.update({"401": "Missing or invalid token", "403": "Role not allowed"})
            op["security"] = [{"bearer": []}]
        else:
            codes["401"] = "A bearer token was sent and is invalid"
        codes.update(r.answers)
        if r.rate_limited:
            codes["429"] = "Rate limited; Retry-After says when to try again"
        if _PARAM.search(r.path) or r.body is not None or r.query is not None \
                or r.upload is not None:
            codes["404"] = "Not found (an id in the path, query or body)"
        if r.method in idempotency.WRITE_METHODS:
            codes["409"] = ("Conflict with the current state; or the Idempotency-Key was "
                            "used for another request (IDEMPOTENCY_KEY_REUSED) or its first "
                            "request is still running (IDEMPOTENCY_KEY_IN_PROGRESS)")
            codes.setdefault("422", "Invalid field (or Idempotency-Key header)")
        for code, description in codes.items():
            op["responses"][code] = dict(error_ref, description=description)
        if r.rate_limited:
            op["responses"]["429"]["headers"] = {"Retry-After": {
                "description": "seconds to wait", "schema": {"type": "integer"}}}
        paths.setdefault(_openapi_path(r.path), {})[r.method.lower()] = op
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    return spec.to_dict()
