"""Schemas of case files (个案档案): the bodies and queries the gateway validates and the
service loads again, and the answers' shapes for the OpenAPI document."""
from marshmallow import ValidationError, fields, validate, validates_schema

from common import pii, vocab
from common.schemas import Day, Id, QueryId
from services.resources.schemas import (Code, Instant, ListingQuery, NeedCategory, Strict,
                                        TargetGroup, _resident_phone)

GENDERS = {"female": "女", "male": "男", "other": "其他"}
RISKS = {"low": "低", "medium": "中", "high": "高"}
CASE_STATUSES = {"open": "跟进中", "closed": "已结案"}
CONSENT_GIVERS = {"self": "本人", "guardian": "监护人"}
# What a consent covers (PIPL: a separate consent for sensitive data).
CONSENT_SCOPES = {
    "case_work": "建档与个案服务", "health_data": "健康信息", "referral": "向合作单位转介",
    "photos": "照片影像",
}
ENTRY_KINDS = {"note": "个案记录", "home_visit": "入户探访", "phone": "电话联系"}
REFERRAL_STATUSES = {"pending": "待回复", "accepted": "已接收", "declined": "已拒绝",
                     "completed": "已完成"}
CLOSE_OUTCOMES = {"goals_met": "目标达成", "referred_on": "转介结案", "moved_away": "迁出",
                  "declined_service": "本人拒绝服务", "deceased": "去世", "other": "其他"}
# Under this age (in years, from the birth year) a guardian's consent is required (PIPL 第31条).
MINOR_AGE = 14
ID_NUMBER = validate.Regexp(r"^\d{17}[\dXx]$", error="not_resident_id")


class Guardian(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = fields.String(load_default=None, allow_none=True, validate=_resident_phone)
    relation = fields.String(required=True, validate=validate.Length(1, 32))


class PersonCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = fields.String(load_default=None, allow_none=True, validate=_resident_phone)
    id_number = fields.String(load_default=None, allow_none=True, validate=ID_NUMBER)
    birth_year = fields.Integer(required=True, validate=validate.Range(1900, 2099))
    gender = Code(GENDERS, required=True)
    compound = vocab.Compound(load_default=None, allow_none=True)
    target_groups = fields.List(TargetGroup(), load_default=list,
                                validate=validate.Length(max=8))
    guardian = fields.Nested(Guardian, load_default=None, allow_none=True)


class ConsentCreate(Strict):
    given_by = Code(CONSENT_GIVERS, required=True)
    name = fields.String(required=True, validate=validate.Length(1, 50),
                         metadata={"description": "who consented (the person or the guardian)"})
    relation = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(1, 32))
    scope = fields.List(Code(CONSENT_SCOPES), required=True, validate=validate.Length(min=1))
    given_at = Instant(load_default=None, allow_none=True,
                       metadata={"description": "when it was given; default now"})

    @validates_schema
    def _covers_case_work(self, data, **_):
        if "case_work" not in data.get("scope", []):
            raise ValidationError("scope_must_include_case_work", "scope")


class CaseCreate(Strict):
    person = fields.Nested(PersonCreate, required=True)
    consent = fields.Nested(ConsentCreate, required=True)
    category = NeedCategory(required=True)
    target_group = TargetGroup(required=True)
    risk = Code(RISKS, load_default="low")
    risk_reason = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(1, 1000))
    workers = fields.List(fields.String(validate=validate.Length(1, 64)), load_default=list,
                          validate=validate.Length(max=5), metadata={
                              "description": "usernames of the assigned social workers; "
                                             "default the one who opens it"})
    visit_every_days = fields.Integer(load_default=30, validate=validate.Range(1, 365))

    @validates_schema
    def _risk_reason(self, data, **_):
        if data.get("risk") in ("medium", "high") and not data.get("risk_reason"):
            raise ValidationError("risk_needs_reason", "risk_reason")


class AssessmentNeed(Strict):
    category = NeedCategory(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000))


class AssessmentCreate(Strict):
    needs = fields.List(fields.Nested(AssessmentNeed), required=True,
                        validate=validate.Length(1, 9))
    risk = Code(RISKS, required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 1000))


class GoalCreate(Strict):
    text = fields.String(required=True, validate=validate.Length(1, 500))
    due_on = Day(required=True)


class GoalUpdate(Strict):
    status = Code({"open": "", "done": "", "dropped": ""}, required=True)


class EntryCreate(Strict):
    kind = Code(ENTRY_KINDS, required=True)
    text = fields.String(required=True, validate=validate.Length(1, 4000))
    occurred_at = Instant(load_default=None, allow_none=True)
    event_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "the home_visit event this visit belonged to"})
    next_visit_on = Day(load_default=None, allow_none=True, metadata={
        "description": "a home visit: when the next is due (default visit_every_days on)"})


class ReferralCreate(Strict):
    partner_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 1000))


class ReferralAnswer(Strict):
    status = Code({k: v for k, v in REFERRAL_STATUSES.items() if k != "pending"},
                  required=True)
    outcome = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(1, 1000))


class NeedLink(Strict):
    need_id = Id(required=True)


class CaseClose(Strict):
    outcome = Code(CLOSE_OUTCOMES, required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 2000))


class WorkersSet(Strict):
    workers = fields.List(fields.String(validate=validate.Length(1, 64)), required=True,
                          validate=validate.Length(1, 5))


class CaseRead(Strict):
    reason = fields.String(load_default=None, validate=validate.Length(5, 500), metadata={
        "description": "break-the-glass: why a social worker not assigned reads the file "
                       "(written to the audit log)"})
    reveal = fields.String(load_default=None, metadata={
        "description": "true: the phone and ID number unmasked (audited)"})


class CaseQuery(ListingQuery):
    status = Code(CASE_STATUSES)
    risk = Code(RISKS)
    category = NeedCategory()
    mine = fields.Boolean(load_default=False,
                          metadata={"description": "only cases assigned to me"})


class FollowUpQuery(Strict):
    worker = fields.String(validate=validate.Length(1, 64), metadata={
        "description": "one worker (an admin may name anyone; a worker sees their own)"})


class MergeCreate(Strict):
    into_person_id = Id(required=True)


# Why a person's data may be erased (PIPL art. 47).
ERASURE_REASONS = {
    "purpose_achieved": "处理目的已实现或无法实现", "service_ended": "停止提供服务",
    "retention_expired": "保存期限已届满", "consent_withdrawn": "个人撤回同意",
    "unlawful_processing": "违法或违约处理", "person_request": "本人或监护人请求删除",
}


class ErasureCreate(Strict):
    reason = Code(ERASURE_REASONS, required=True)


class PersonQuery(Strict):
    person_id = QueryId(required=True)


class CaseSummary(Strict):
    """What any staff member sees of a case: that it exists, never its contents."""
    id = fields.Integer()
    number = fields.String()
    category = fields.String()
    risk = fields.String()
    status = fields.String()
    assigned_to_me = fields.Boolean()
    restricted = fields.Boolean()


def is_minor(birth_year, today):
    """Under MINOR_AGE at ``today`` by birth year (a person born in the year that
    reaches 14 today counts as a minor: the cautious side)."""
    return today.year - birth_year <= MINOR_AGE


def phone_of(data):
    return pii.normalise(data["phone"]) if data.get("phone") else None
