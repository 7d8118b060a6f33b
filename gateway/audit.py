"""The audit log (审计日志): who revealed which personal data, printed a list with names
in full, or changed who may do what, and when. Rows are written by
``RequestContext.audit`` (``audit_reveal`` for a ``?reveal=true``); they name the actor by
username and the record by ``kind:id``, never the personal data itself."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from common import times
from common.db import paginate
from common.schemas import Instant, PageQuery
from gateway.models import AuditEntry

# What each action means, in Chinese, and which of the two things an admin looks for it
# is: a reveal of personal data or a change of who may do what.
ACTIONS = {
    "reveal_volunteer_contact": ("查看志愿者完整手机号/身份证号", "reveal"),
    "reveal_partner_contact": ("查看合作伙伴完整联系电话", "reveal"),
    "reveal_resident_contact": ("查看居民完整联系方式（需求）", "reveal"),
    "reveal_participant_contacts": ("查看活动报名者完整联系方式", "reveal"),
    "print_sign_in_sheet": ("打印含全名的签到表", "reveal"),
    "break_glass_case_file": ("非负责社工说明理由后查看个案档案", "reveal"),
    "reveal_case_contact": ("查看个案服务对象完整手机号/身份证号", "reveal"),
    "export_case_person": ("导出个案服务对象的个人信息（查阅复制请求）", "reveal"),
    "erase_case_person": ("删除个案服务对象的个人信息", "data"),
    "create_user": ("创建用户", "permission"),
    "disable_user": ("停用用户", "permission"),
    "enable_user": ("启用用户", "permission"),
    "reset_user_password": ("重置用户密码", "permission"),
    "update_user": ("修改用户", "permission"),
    "clear_sample_data": ("清除示例数据", "data"),
}
KINDS = ("reveal", "permission", "data")


def label(action):
    return ACTIONS.get(action, (action, None))[0]


def kind(action):
    """An action's kind; one not listed yet is a reveal if its name says so."""
    if action in ACTIONS:
        return ACTIONS[action][1]
    return "reveal" if action.startswith(REVEAL_PREFIX) else "data"


REVEAL_PREFIX = "reveal_"


def user_changes(update):
    """The audit actions of an admin's change to a user (``PATCH /users/{id}``): one per
    thing changed, so that the log says who disabled whom or reset whose password."""
    actions = []
    if "active" in update:
        actions.append("enable_user" if update["active"] else "disable_user")
    if "password" in update:
        actions.append("reset_user_password")
    return actions or ["update_user"]


class AuditQuery(PageQuery):
    actor = fields.String(validate=validate.Length(1, 64),
                          metadata={"description": "the username who acted"})
    action = fields.String(validate=validate.Length(1, 64),
                           metadata={"description": "one action code (see `actions`)"})
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={
        "description": "reveal (personal data shown), permission (users and roles), data"})
    target = fields.String(validate=validate.Length(1, 128),
                           metadata={"description": "the record, e.g. volunteer:12"})
    from_ = Instant(date_ok=True, data_key="from", attribute="from", metadata={
        "description": "entries at or after this; a date alone: that local day's start"})
    to = Instant(date_ok=True, upper_bound=True, metadata={
        "description": "entries before this; a date alone: up to that local day's end"})

    @validates_schema
    def _window(self, data, **_):
        if data.get("from") and data.get("to") and data["to"] <= data["from"]:
            raise ValidationError("must_be_after_from", "to")


class AuditEntryOut(Schema):
    id = fields.Integer()
    at = fields.Function(lambda row: times.iso(row.at))
    username = fields.String()
    action = fields.String()
    action_label = fields.Function(lambda row: label(row.action))
    kind = fields.Function(lambda row: kind(row.action))
    target = fields.String()
    request_id = fields.String(allow_none=True)


class AuditPage(Schema):
    items = fields.List(fields.Nested(AuditEntryOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    actions = fields.Dict(keys=fields.String(), values=fields.Dict(), metadata={
        "description": "every action code with its label and kind (for the filters)"})


ENTRY = AuditEntryOut()


def _of_kind(wanted):
    """The condition ``kind(action) == wanted`` in SQL."""
    listed = {k: [code for code, (_label, of) in ACTIONS.items() if of == k] for k in KINDS}
    unlisted_reveal = AuditEntry.action.notin_(list(ACTIONS)) & \
        AuditEntry.action.startswith(REVEAL_PREFIX, autoescape=True)
    if wanted == "reveal":
        return AuditEntry.action.in_(listed["reveal"]) | unlisted_reveal
    if wanted == "permission":
        return AuditEntry.action.in_(listed["permission"])
    return AuditEntry.action.in_(listed["data"]) | (
        AuditEntry.action.notin_(list(ACTIONS)) & ~unlisted_reveal)


def list_entries(session, query):
    """A page of the log, newest first, filtered by actor, action, kind, record, time."""
    t = AuditEntry
    statement = select(t).order_by(t.id.desc())
    if query.get("actor"):
        statement = statement.where(t.username == query["actor"])
    if query.get("action"):
        statement = statement.where(t.action == query["action"])
    if query.get("kind"):
        statement = statement.where(_of_kind(query["kind"]))
    if query.get("target"):
        statement = statement.where(t.target == query["target"])
    if query.get("from"):
        statement = statement.where(t.at >= query["from"])
    if query.get("to"):
        statement = statement.where(t.at < query["to"])
    answer = paginate(session, statement, query["page"], query["per_page"], ENTRY.dump)
    answer["actions"] = {code: {"label": text, "kind": k} for code, (text, k) in ACTIONS.items()}
    return answer
