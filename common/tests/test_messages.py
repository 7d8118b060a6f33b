"""The message catalogue: every key in both languages with the same parameters, every
raise site naming a key of it (no wording in the code), the language a request asks
for, and an error's key and parameters surviving the trip over RPC."""
import ast
import string
from pathlib import Path

import pytest
from marshmallow import Schema, ValidationError, fields, validate
from nameko.exceptions import deserialize, serialize

from common import messages
from common.errors import (Conflict, NotFound, RongheError, ValidationFailed, load_input,
                           msg)

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [p for folder in ("common", "gateway", "services")
           for p in sorted((ROOT / folder).rglob("*.py"))
           if "tests" not in p.relative_to(ROOT).parts and "migrations" not in p.parts]
ERROR_CLASSES = {"RongheError", "BadRequest", "ValidationFailed", "Unauthorized", "Forbidden",
                 "NotFound", "Conflict", "PayloadTooLarge", "UnsupportedMediaType",
                 "RateLimited", "ServiceUnavailable", "KeyReused", "KeyInProgress"}


def params_of(template):
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_both_languages_with_the_same_parameters():
    catalogue = messages.catalogue()
    assert len(catalogue) > 200
    for key, entry in catalogue.items():
        assert set(entry) == {"zh", "en"}, key
        assert entry["zh"].strip() and entry["en"].strip(), key
        assert params_of(entry["zh"]) == params_of(entry["en"]), key
        # Each template renders (no stray brace) with its parameters given.
        for lang in messages.LANGUAGES:
            messages.render(key, {p: 1 for p in params_of(entry[lang])}, lang)


def test_every_label_has_both_languages():
    for code, entry in messages.labels().items():
        assert set(entry) == {"zh", "en"} and entry["zh"] and entry["en"], code


def _name(func):
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _literal(node):
    return isinstance(node, (ast.Constant, ast.JoinedStr)) and (
        not isinstance(node, ast.Constant) or isinstance(node.value, str))


def _reasons(node):
    """The literal strings inside lists under ``node`` (a field's reasons)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.List):
            yield from (el for el in sub.elts if _literal(el))


def _sites():
    """(where, literal node, keyword names given, is a reason) for every message named in the
    product code: an error's first argument and the reasons in its details,
    ValidationError's message, msg()'s key, a validator's error=."""
    for path in PRODUCT:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name in ERROR_CLASSES or name in ("ValidationError", "msg"):
                given = {kw.arg for kw in node.keywords}
                if node.args and _literal(node.args[0]):
                    yield (where, node.args[0], given if name != "ValidationError" else set(),
                           False)
                    if name == "msg":
                        continue
                for arg in list(node.args) + [kw.value for kw in node.keywords]:
                    for reason in _reasons(arg):
                        yield where, reason, set(), True
            for kw in node.keywords:
                if kw.arg == "error" and isinstance(node.func, ast.Attribute) and getattr(
                        node.func.value, "id", None) == "validate" and _literal(kw.value):
                    yield where, kw.value, set(), False


def test_every_message_in_the_code_is_a_catalogue_key_with_its_parameters():
    catalogue = messages.catalogue()
    problems = []
    count = 0
    for where, node, given, reason in _sites():
        count += 1
        if reason and isinstance(node, ast.Constant) and node.value in messages.labels():
            continue  # a code in data (a status an action needs), shown as it is
        if isinstance(node, ast.JoinedStr) or node.value not in catalogue:
            problems.append(f"{where}: {ast.unparse(node)} is not a catalogue key")
            continue
        missing = params_of(catalogue[node.value]["en"]) - given
        if missing and None not in given:  # **params given: not checked here
            problems.append(f"{where}: {node.value} lacks {sorted(missing)}")
    assert count > 250
    assert not problems, "\n".join(problems)


def test_the_scan_catches_a_literal_message():
    tree = ast.parse('raise NotFound(f"event {event_id} not found")')
    call = tree.body[0].exc
    assert _name(call.func) in ERROR_CLASSES and _literal(call.args[0])


@pytest.mark.parametrize("header,lang", [
    (None, "zh"), ("", "zh"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("zh-CN", "zh"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en;q=0.5,zh;q=0.9", "zh"), ("zh;q=0.3, en", "en"),
    ("fr-FR,en;q=0.5", "en"), ("fr", "zh"), ("*", "zh"), ("en;q=0", "zh"), ("EN-gb", "en"),
    ("en;q=abc", "zh"), ("en;q=0.8,zh;q=0.8", "en"),
])
def test_the_language_of_a_request(header, lang):
    assert messages.language(header) == lang


def test_an_error_keeps_its_key_and_parameters_over_rpc():
    error = ValidationFailed("invalid_fields", {"end": ["must_be_after_start"],
                                                "at": [msg("between_event_start_end",
                                                           start="09:00", end="11:00")]},
                             fields="at, end")
    back = deserialize(serialize(error))
    assert type(back) is ValidationFailed
    assert (back.key, back.params, back.details) == (error.key, error.params, error.details)
    zh, en = back.to_dict("zh"), back.to_dict("en")
    assert zh["message"] == "以下字段有误：at, end"
    assert zh["details"] == {"end": ["结束时间必须晚于开始时间"], "at": ["须在活动开始 09:00 与结束 11:00 之间"]}
    assert en["details"]["end"] == ["must be after start"]
    assert en["message"] == "invalid fields: at, end" == str(back)


def test_labels_show_codes_in_the_language():
    error = Conflict("event_transition_refused", action="publish", status="cancelled")
    assert error.to_dict("zh")["message"] == "活动当前为“已取消”，不能发布"
    assert error.to_dict("en")["message"] == "cannot publish an event that is cancelled"


def test_data_in_details_stays_as_it_is():
    error = NotFound("event_not_found", {"event_id": 5, "status": "required"}, event_id=5)
    assert error.to_dict("zh") == {"error": "NOT_FOUND", "message": "活动 5 不存在",
                                   "details": {"event_id": 5, "status": "required"}}


class _Sample(Schema):
    count = fields.Integer(required=True, validate=validate.Range(min=1))
    size = fields.Integer(validate=validate.Range(1, 5))
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    name = fields.String(validate=validate.Length(max=3))
    day = fields.Date()
    own = fields.String(validate=lambda v: (_ for _ in ()).throw(ValidationError("required")))


def test_marshmallow_messages_are_rendered_in_chinese_naming_the_field():
    with pytest.raises(ValidationFailed) as caught:
        load_input(_Sample, {"kind": "c", "name": "abcd", "day": "x", "extra": 1, "own": "v"})
    zh = caught.value.to_dict("zh")
    assert zh["details"] == {
        "count": ["必填"], "kind": ["须为以下之一：a, b"], "name": ["最多 3 个字"],
        "day": ["日期格式不正确"], "extra": ["不认识的字段"], "own": ["必填"]}
    assert zh["message"] == "以下字段有误：count, day, extra, kind, name, own"
    with pytest.raises(ValidationFailed) as caught:
        load_input(_Sample, {"count": 0})
    assert caught.value.to_dict("zh")["details"] == {"count": ["不能小于 1"]}
    assert caught.value.to_dict("en")["details"] == {
        "count": ["Must be greater than or equal to 1."]}
    with pytest.raises(ValidationFailed) as caught:
        load_input(_Sample, {"count": 1, "size": 9, "day": "2026-13-01"})
    assert caught.value.to_dict("zh")["details"] == {"size": ["应在 1 到 5 之间"],
                                                     "day": ["日期格式不正确"]}
    with pytest.raises(ValidationFailed) as caught:
        load_input(_Sample, {"count": "many"})
    assert caught.value.to_dict("zh")["details"] == {"count": ["请输入整数"]}


def test_an_unknown_key_is_shown_as_it_is():
    assert RongheError("an older service's English").to_dict("zh")["message"] == \
        "an older service's English"


def test_a_key_given_twice_in_the_catalogue_is_refused(tmp_path, monkeypatch):
    from common import messages

    twice = tmp_path / "messages.yaml"
    twice.write_text("messages:\n  a: {zh: 甲, en: a}\n  a: {zh: 乙, en: b}\nlabels: {}\n",
                     encoding="utf-8")
    monkeypatch.setattr(messages, "CATALOGUE_FILE", twice)
    messages._load.cache_clear()
    try:
        with pytest.raises(ValueError, match="given twice: a"):
            messages.catalogue()
    finally:
        messages._load.cache_clear()
