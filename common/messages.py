"""The one message catalogue: every text a person reads in an API error (``message`` and
the reasons in ``details``), in Chinese and English.

The texts live in ``common/messages.yaml``: ``key: {zh: 模板, en: template}``, both with
the same named parameters (``{event_id}``). Code never holds the wording, only a key:

    raise NotFound("event_not_found", {"event_id": event_id}, event_id=event_id)
    raise ValidationFailed("invalid_fields", {"end": ["must_be_after_start"]}, fields="end")
    raise ValidationError(msg("at_most_days", days=7), "end")    # in a marshmallow schema

A reason in ``details`` is a key (a string in a field's list), or ``msg(key, **params)``
when it has parameters; over RPC it travels as ``{"key": ..., "params": {...}}``. The
gateway renders both in the request's language (``language(accept_language)``): Chinese
unless the client prefers English.

``{name!l}`` in a template shows a code through the catalogue's ``labels`` (an event
status, an action, a vocabulary's name) in the language rendered. marshmallow's own
messages ("Missing data for required field.") are matched back to catalogue keys by
``from_marshmallow`` (``common.errors.validation_error`` calls it).
"""
import re
import string
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
CATALOGUE_FILE = Path(__file__).with_name("messages.yaml")


class _UniqueKeys(yaml.SafeLoader):
    """YAML keeps the last of two equal keys without a word; in the catalogue that would
    silently give one message's text to another's raise sites."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _value in node.value]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"{CATALOGUE_FILE.name}: key(s) given twice: {', '.join(repeated)}")
        return super().construct_mapping(node, deep=deep)


@lru_cache(maxsize=1)
def _load():
    with open(CATALOGUE_FILE, encoding="utf-8") as f:
        document = yaml.load(f, Loader=_UniqueKeys)
    return document["messages"], document["labels"]


def catalogue():
    """{key: {"zh": template, "en": template}}"""
    return _load()[0]


def labels():
    """{code: {"zh": label, "en": label}}: codes shown inside messages with ``!l``."""
    return _load()[1]


def is_key(text):
    return isinstance(text, str) and text in catalogue()


class Msg(str):
    """A catalogue key with parameters that passes where marshmallow expects a message
    string (its value is the key). ``format`` (what marshmallow's validators call on an
    ``error=``) adds the validator's values to the parameters."""

    def __new__(cls, key, params=None):
        self = super().__new__(cls, key)
        self.key = key
        self.params = dict(params or {})
        return self

    def format(self, *args, **kwargs):
        used = template_fields(catalogue().get(self.key, {}).get("en", ""))
        extra = {k: v for k, v in kwargs.items() if k in used and k not in self.params}
        return Msg(self.key, dict(self.params, **extra))

    def wire(self):
        return {"key": self.key, "params": _plain(self.params)}


def msg(key, **params):
    return Msg(key, params)


def _plain(value):
    """Parameters as JSON keeps them: numbers, text, lists, nested messages."""
    if isinstance(value, Msg):
        return value.wire()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def template_fields(template):
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Formatter(string.Formatter):
    def __init__(self, lang):
        self.lang = lang

    def convert_field(self, value, conversion):
        if conversion == "l":
            return label(value, self.lang)
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        if isinstance(value, (dict, Msg)):
            value = render_value(value, self.lang)
        if isinstance(value, (list, tuple)):
            value = ("、" if self.lang == "zh" else ", ").join(
                str(render_value(v, self.lang)) for v in value)
        return super().format_field(value, format_spec)


def label(code, lang=DEFAULT_LANGUAGE):
    entry = labels().get(str(code))
    return entry[lang] if entry else str(code)


def render(key, params=None, lang=DEFAULT_LANGUAGE):
    """The text of ``key`` in ``lang`` with ``params``; an unknown key is shown as it is
    (a service one version behind may still send English)."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["en"]
    params = params or {}
    try:
        return _Formatter(lang).vformat(template, (), _Defaulting(params))
    except (ValueError, IndexError):
        return template


class _Defaulting(dict):
    def __missing__(self, name):
        return "{" + name + "}"


def is_wire_message(value):
    return (isinstance(value, dict) and set(value) == {"key", "params"}
            and isinstance(value["key"], str))


def render_value(value, lang):
    if isinstance(value, Msg):
        return render(value.key, value.params, lang)
    if is_wire_message(value):
        return render(value["key"], value["params"], lang)
    return value


def render_details(details, lang):
    """``details`` with every reason in ``lang``: the messages anywhere, and keys that are
    items of a list (a field's reasons). Other values (ids, statuses, dates) stay."""
    if isinstance(details, Msg) or is_wire_message(details):
        return render_value(details, lang)
    if isinstance(details, dict):
        return {k: render_details(v, lang) for k, v in details.items()}
    if isinstance(details, (list, tuple)):
        return [render(item, None, lang) if is_key(item) else render_details(item, lang)
                for item in details]
    return details


def to_wire(details):
    """``details`` as JSON carries them over RPC: each ``Msg`` as {"key", "params"}."""
    return _plain(details)


# -- the language of a request -----------------------------------------------------------

_TAG = re.compile(r"^([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)$")


def language(accept_language):
    """"zh" or "en" from an Accept-Language header: the highest-q range that names one of
    them (``en-US`` is English, ``zh-CN`` Chinese; ``*`` is ours, Chinese); Chinese when
    none does, when the header is missing or unreadable; the first on a tie. A range
    with an unreadable q is skipped."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in accept_language.split(",")[:32]:
        tag, *options = [piece.strip() for piece in part.split(";")]
        if not _TAG.match(tag):
            continue
        q = 1.0
        try:
            for option in options:
                name, _, value = option.partition("=")
                if name.strip().lower() == "q":
                    q = float(value)
        except ValueError:
            continue
        primary = tag.lower().split("-")[0]
        lang = primary if primary in LANGUAGES else (DEFAULT_LANGUAGE if tag == "*" else None)
        if lang is not None and q > best_q and q <= 1:
            best, best_q = lang, q
    return best


# -- marshmallow's own messages ----------------------------------------------------------

def _marshmallow_templates():
    """(regex, key) for each of marshmallow's default messages we know (below)."""
    patterns = []
    for english, key in _MARSHMALLOW_KEYS.items():
        regex = ""
        for literal, name, _spec, _conv in string.Formatter().parse(english):
            regex += re.escape(literal)
            if name:
                regex += f"(?P<{name}>.+?)"
        patterns.append((re.compile("^" + regex + "$", re.S), key))
    return patterns


# marshmallow's English (its fields' default_error_messages, its validators' messages)
# → our key; the catalogue's templates have the same parameters.
_MARSHMALLOW_KEYS = {
    "Missing data for required field.": "mm_required",
    "Field may not be null.": "mm_null",
    "Invalid value.": "mm_invalid_value",
    "Unknown field.": "mm_unknown_field",
    "Invalid input type.": "mm_invalid_input_type",
    "Not a valid string.": "mm_invalid_string",
    "Not a valid utf-8 string.": "mm_invalid_utf8",
    "Not a valid integer.": "mm_invalid_integer",
    "Not a valid number.": "mm_invalid_number",
    "Number too large.": "mm_number_too_large",
    "Special numeric values (nan or infinity) are not permitted.": "mm_special_number",
    "Not a valid boolean.": "mm_invalid_boolean",
    "Not a valid {obj_type}.": "mm_invalid_datetime",
    "\"{input}\" cannot be formatted as a {obj_type}.": "mm_datetime_format",
    "Not a valid period of time.": "mm_invalid_timedelta",
    "Not a valid list.": "mm_invalid_list",
    "Not a valid tuple.": "mm_invalid_tuple",
    "Not a valid mapping type.": "mm_invalid_mapping",
    "Not a valid URL.": "mm_invalid_url",
    "Not a valid email address.": "mm_invalid_email",
    "Not a valid UUID.": "mm_invalid_uuid",
    "Not a valid IP address.": "mm_invalid_ip",
    "Must be one of: {choices}.": "mm_one_of",
    "Must be greater than or equal to {min}.": "mm_min",
    "Must be greater than {min}.": "mm_min_exclusive",
    "Must be less than or equal to {max}.": "mm_max",
    "Must be less than {max}.": "mm_max_exclusive",
    "Must be greater than or equal to {min} and less than or equal to {max}.": "mm_range",
    "Must be greater than {min} and less than {max}.": "mm_range_exclusive",
    "Must be greater than or equal to {min} and less than {max}.": "mm_range_max_exclusive",
    "Must be greater than {min} and less than or equal to {max}.": "mm_range_min_exclusive",
    "Shorter than minimum length {min}.": "mm_length_min",
    "Longer than maximum length {max}.": "mm_length_max",
    "Length must be between {min} and {max}.": "mm_length_range",
    "Length must be {equal}.": "mm_length_equal",
    "String does not match expected pattern.": "mm_regexp",
    "Must be equal to {other}.": "mm_equal",
    "One or more of the choices you made was not in: {choices}.": "mm_contains_only",
    "One or more of the choices you made was in: {values}.": "mm_contains_none_of",
    "Invalid value. Must be one of: {choices}.": "mm_enum",
    "Invalid input.": "mm_invalid_value",
}

_PATTERNS = None


def from_marshmallow(text):
    """marshmallow's English message → Msg of our catalogue; None if it is not one."""
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = _marshmallow_templates()
    # The template that leaves the least to its parameters: "Not a valid integer." is
    # that text, not "Not a valid {obj_type}."; "... {min} and less than or equal to
    # {max}." is not "... {min}." with "1 and less than ..." as its minimum.
    best = None
    for regex, key in _PATTERNS:
        match = regex.match(text)
        if match:
            taken = sum(len(v) for v in match.groupdict().values())
            if best is None or taken < best[0]:
                best = (taken, Msg(key, match.groupdict()))
    return best[1] if best else None


def from_schema_messages(messages):
    """A marshmallow error's messages ({field: [reasons]}, nested for nested schemas) with
    every reason as a catalogue message: our own keys and ``msg``s as they are,
    marshmallow's English matched to its key."""
    if isinstance(messages, dict):
        return {k: from_schema_messages(v) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [from_schema_messages(m) for m in messages]
    if isinstance(messages, Msg):
        return messages.wire()
    if isinstance(messages, str) and not is_key(messages):
        found = from_marshmallow(messages)
        return found.wire() if found is not None else messages
    return messages
