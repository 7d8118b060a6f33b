"""Code lists of DESIGN.md (Vocabularies) with their Chinese labels, served by the API
(GET /vocabularies). Codes travel in data and events; labels are for people.

Two kinds:

- fixed lists, the same in every community: below (target groups, five-society
  categories, event kinds, resource types, need categories, plans);
- the community's own lists: its compounds (小区), the volunteers' skills and the service
  menu's series (服务菜单), read from ``config/communities/<COMMUNITY_ID>.yaml`` once per
  process by ``configure`` (``common.config.load_config`` calls it).

Input fields validate against either kind with ``Code`` (``Compound``, ``Skill``,
``Series``): an unknown code is refused naming the allowed ones. ``label(vocabulary,
code)`` gives the Chinese label of any code, for reports and exports.
"""
import logging
import re
from functools import lru_cache
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields

from common.messages import msg

log = logging.getLogger(__name__)

TARGET_GROUPS = {
    "children": "儿童", "youth": "青少年", "women": "妇女", "families": "家庭",
    "elderly": "老年人", "disabled": "残疾人", "in_difficulty": "困境人群",
    "all_residents": "全体居民",
}
FIVE_SOCIETY = {
    "community": "社区", "social_org": "社会组织", "social_worker": "社工",
    "social_resource": "社会资源", "self_governance": "社区自治组织",
}
EVENT_KINDS = {
    "activity": "社区活动", "group": "小组", "lecture": "讲座", "festival": "节日活动",
    "joint_meeting": "联席会", "training": "志愿者培训", "home_visit": "入户探访",
}
RESOURCE_TYPES = {
    "venue": "场地", "material": "物资", "funding": "资金", "service": "服务",
    "skill": "技能", "team": "队伍",
}
NEED_CATEGORIES = {
    "care": "照料", "tutoring": "课业辅导", "health": "健康", "employment": "就业",
    "legal": "法律", "psychological": "心理", "material": "物资", "culture": "文化",
    "safety": "安全",
}
PLANS = {
    "resources": "资源融和", "system": "体系融和", "service": "服务融和", "culture": "文化融和",
}
ROLES = ("admin", "social_worker", "volunteer", "district_viewer")

VOCABULARIES = {
    "target_groups": TARGET_GROUPS, "five_society": FIVE_SOCIETY, "event_kinds": EVENT_KINDS,
    "resource_types": RESOURCE_TYPES, "need_categories": NEED_CATEGORIES, "plans": PLANS,
}
COMMUNITY_VOCABULARIES = ("compounds", "skills", "series")
VOCABULARY_NAMES = tuple(VOCABULARIES) + COMMUNITY_VOCABULARIES

DEFAULT_COMMUNITY = "hetong"
COMMUNITIES_DIR = Path(__file__).resolve().parent.parent / "config" / "communities"
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def labelled(vocabulary):
    return [{"code": code, "label": label} for code, label in vocabulary.items()]


# ---------------------------------------------------------------- the community's lists

class Community:
    """A community's name and its own code lists, read from its file. ``items`` holds
    each list as served (code, label and what else the list says of an item);
    ``missing`` is true when the community has no file (then its lists are empty)."""

    def __init__(self, community_id, path, document=None):
        from common.config import ConfigError

        self.community_id = community_id
        self.path = path
        self.missing = document is None
        document = document or {}
        if not isinstance(document, dict):
            raise ConfigError(f"{path}: expected a mapping")
        self.name = document.get("name") or community_id
        self.project = document.get("project")
        self.district = document.get("district")
        # The issuer's seal image (a PNG) for certificates, relative to the file.
        self.seal_file = Path(path).parent / str(document["seal"]) if document.get("seal") \
            else None
        try:
            self.items = {
                "compounds": [{"code": code, "label": name,
                               "placeholder": bool(entry.get("placeholder", False))}
                              for code, name, entry in _entries(document, "compounds")],
                "skills": [{"code": code, "label": name,
                            "need_categories": _known(entry.get("needs") or [],
                                                      NEED_CATEGORIES, "needs")}
                           for code, name, entry in _entries(document, "skills")],
                "series": [{"code": code, "label": name,
                            "plan": _known([entry.get("plan")], PLANS, "plan")[0],
                            "plan_label": PLANS[entry["plan"]],
                            "description": _required(entry, "description")}
                           for code, name, entry in _entries(document, "series")],
            }
        except ValueError as problem:
            raise ConfigError(f"{path}: {problem}") from None
        self.codes = {name: {item["code"]: item["label"] for item in items}
                      for name, items in self.items.items()}

    def compound_label(self, code):
        """The Chinese name of one of its compounds ("" for none, the code if unlisted)."""
        return self.codes["compounds"].get(code, code) if code else ""


def _entries(document, name):
    """(code, name, entry) of one list, each code a lowercase identifier, once."""
    seen = set()
    for entry in document.get(name) or []:
        if not isinstance(entry, dict):
            raise ValueError(f"{name}: each item is a mapping with code and name")
        code, label = entry.get("code"), entry.get("name")
        if not isinstance(code, str) or not _CODE.match(code):
            raise ValueError(f"{name}: code {code!r} is not a lowercase identifier "
                             f"(a-z, 0-9, _; 32 at most)")
        if not label:
            raise ValueError(f"{name}: {code} has no name")
        if code in seen:
            raise ValueError(f"{name}: {code} is listed twice")
        seen.add(code)
        yield code, str(label), entry


def _known(codes, vocabulary, what):
    unknown = [c for c in codes if c not in vocabulary]
    if unknown:
        raise ValueError(f"{what}: {', '.join(map(str, unknown))} not one of "
                         f"{', '.join(vocabulary)}")
    return list(codes)


def _required(entry, key):
    if not entry.get(key):
        raise ValueError(f"{entry['code']} has no {key}")
    return str(entry[key])


def load_community(community_id, directory=None):
    path = Path(directory or COMMUNITIES_DIR) / f"{community_id}.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Community(community_id, path)
    return Community(community_id, path, yaml.safe_load(text) or {})


_community = None


def configure(config, directory=None):
    """Read the community of ``COMMUNITY_ID`` (once per process; called by
    ``common.config.load_config``). A community without its file gets empty lists, so
    that every compound, skill or series is refused until the file lists them."""
    global _community
    community_id = str(config.get("COMMUNITY_ID") or DEFAULT_COMMUNITY)
    _community = load_community(community_id, directory)
    if _community.missing:
        log.warning("no %s: the community has no compounds, skills or series yet",
                    _community.path)
    return _community


def community():
    """The configured community (the default one where nothing configured the process:
    a domain unit test)."""
    if _community is None:
        configure({})
    return _community


@lru_cache(maxsize=16)
def _other_community(community_id):
    return load_community(community_id)


def of_community(community_id):
    """The community a document is printed for: the configured one, or (a district's
    instance naming one of its communities) that community's own file."""
    configured = community()
    if not community_id or community_id == configured.community_id:
        return configured
    return _other_community(community_id)


def codes(vocabulary):
    """{code: label} of a vocabulary, fixed or the community's."""
    if vocabulary in COMMUNITY_VOCABULARIES:
        return community().codes[vocabulary]
    return VOCABULARIES[vocabulary]


def label(vocabulary, code):
    """The Chinese label of a code (the code itself if the list does not hold it; None
    for no code). ``vocabulary`` is one of VOCABULARY_NAMES."""
    known = codes(vocabulary)
    if code is None:
        return None
    return known.get(code, code)


def code_of(vocabulary, value):
    """The code a recorded value stands for: a code as it is, a label written out in full
    (records from before compounds were codes: 福隆花园 for fulong_huayuan) as its code,
    anything else unchanged. Figures count both under one key."""
    if value is None:
        return None
    known = codes(vocabulary)
    if value in known:
        return value
    text = str(value).strip()
    for code, name in known.items():
        if name == text:
            return code
    return value


def skills_for_need(category):
    """Skill codes of the volunteers who can help with a need of this category."""
    return [item["code"] for item in community().items["skills"]
            if category in item["need_categories"]]


def vocabularies():
    """Every vocabulary as served: {name: [{code, label, ...}]}."""
    served = {name: labelled(values) for name, values in VOCABULARIES.items()}
    served.update(community().items)
    return served


# ---------------------------------------------------------------- input fields

class Code(fields.String):
    """A code of a vocabulary, checked when it loads, against the list configured then
    (so schemas built at import serve whatever community the process runs for)."""

    SINGULAR = {"compounds": "compound", "skills": "skill", "series": "series"}

    def __init__(self, vocabulary, **kwargs):
        if vocabulary not in VOCABULARY_NAMES:
            raise KeyError(vocabulary)
        self.vocabulary = vocabulary
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("description", f"a code of GET /vocabularies: {vocabulary}")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        known = codes(self.vocabulary)
        if value not in known:
            what = self.SINGULAR.get(self.vocabulary, self.vocabulary)
            if not known:
                raise ValidationError(
                    msg("unknown_code_none_listed", what=what, value=value,
                        name=community().path.name))
            listed = ", ".join(f"{code} ({name})" for code, name in known.items())
            raise ValidationError(msg("unknown_code", what=what, value=value, listed=listed))
        return value


def Compound(**kwargs):  # noqa: N802 - a field, named like one
    return Code("compounds", **kwargs)


def Skill(**kwargs):  # noqa: N802
    return Code("skills", **kwargs)


def Series(**kwargs):  # noqa: N802
    return Code("series", **kwargs)


# ---------------------------------------------------------------- the answer

class Term(Schema):
    code = fields.String()
    label = fields.String(metadata={"description": "Chinese label"})


class CompoundTerm(Term):
    placeholder = fields.Boolean(metadata={
        "description": "a compound the community has still to name"})


class SkillTerm(Term):
    need_categories = fields.List(fields.String(), metadata={
        "description": "need categories a volunteer with the skill can help with"})


class SeriesTerm(Term):
    plan = fields.String(metadata={"description": "the plan the series serves"})
    plan_label = fields.String()
    description = fields.String()


def _terms(term=Term):
    return fields.List(fields.Nested(term))


class Vocabularies(Schema):
    """GET /vocabularies: every code list with its Chinese labels."""
    target_groups = _terms()
    five_society = _terms()
    event_kinds = _terms()
    resource_types = _terms()
    need_categories = _terms()
    plans = _terms()
    compounds = _terms(CompoundTerm)
    skills = _terms(SkillTerm)
    series = _terms(SeriesTerm)
