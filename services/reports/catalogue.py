"""The figures reports serves: code, Chinese label, unit, how each is derived from the
raw counters, and which groupings (dimensions) it is kept under."""
from dataclasses import dataclass, field

ALL_DIMS = ("month",)


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str
    inputs: tuple = ()             # raw counter names; default (name,)
    kind: str = "sum"              # sum | ratio (numerator / denominator / scale) | distinct
    scale: float = 1.0
    dims: tuple = field(default=())  # groupings besides month
    digits: int = 2

    @property
    def raw(self):
        return self.inputs or (self.name,)

    def value(self, raw):
        if self.kind == "ratio":
            num, den = (raw.get(n, 0) for n in self.raw)
            if not den:
                return None
            return round(num / den / self.scale, self.digits)
        if self.kind == "scaled":
            return round(raw.get(self.raw[0], 0) / self.scale, self.digits)
        value = raw.get(self.raw[0], 0)
        return int(value) if float(value).is_integer() else round(value, self.digits)


PTKC = ("plan", "kind", "target_group", "compound")

METRICS = [
    # service (events)
    Metric("activities_held", "开展活动场次", "场", dims=PTKC + ("series",)),
    Metric("joint_meetings_held", "联席会议", "次", dims=("plan",)),
    Metric("joint_meeting_attendees", "联席会议参会人次", "人次", dims=("five_society",)),
    Metric("people_served", "服务人次", "人次", dims=PTKC),
    Metric("distinct_people", "服务人数", "人", kind="distinct", dims=PTKC),
    Metric("walk_ins", "现场参与人次", "人次", dims=PTKC),
    Metric("registrations", "活动报名", "人次", dims=("plan", "target_group", "compound", "status")),
    Metric("registrations_cancelled", "取消报名", "人次", dims=("status",)),
    Metric("events_scheduled", "活动排期", "场", dims=("plan", "kind")),
    Metric("events_published", "活动发布", "场", dims=("plan", "kind")),
    Metric("events_cancelled", "活动取消", "场", dims=("plan", "kind")),
    Metric("feedback_count", "满意度评价数", "份", dims=("plan", "kind")),
    Metric("mean_satisfaction", "平均满意度", "分", ("satisfaction_sum", "feedback_count"),
           kind="ratio", dims=("plan", "kind")),
    # volunteers
    Metric("volunteers_registered", "注册志愿者", "人", dims=("compound",)),
    Metric("talents_registered", "能人骨干", "人", dims=("compound",)),
    Metric("volunteers_active", "服务志愿者人数", "人", kind="distinct"),
    Metric("volunteer_hours_approved", "志愿服务时长", "小时", ("volunteer_minutes_approved",),
           kind="scaled", scale=60),
    Metric("hours_entries_recorded", "工时记录", "条", dims=("source",)),
    Metric("hours_entries_approved", "工时审核通过", "条"),
    Metric("hours_entries_rejected", "工时驳回", "条"),
    Metric("hours_entries_flagged", "异常工时", "条"),
    Metric("shifts_opened", "志愿岗位班次", "个"),
    Metric("shift_places", "班次名额", "个"),
    Metric("shift_signups", "班次报名", "人次", dims=("status",)),
    Metric("shift_signups_cancelled", "班次取消", "人次", dims=("status",)),
    Metric("waitlist_promotions", "候补转正", "人次"),
    Metric("volunteer_roles_added", "活动志愿岗位", "个"),
    Metric("volunteer_places_requested", "活动志愿名额", "个"),
    Metric("certificates_issued", "志愿证书", "份"),
    Metric("volunteer_updates", "志愿者信息变更", "次"),
    # resources
    Metric("partners_registered", "合作单位", "家", dims=("five_society", "compound")),
    Metric("resources_registered", "登记资源", "项", dims=("resource_type", "target_group")),
    Metric("resource_value_registered", "登记资源价值", "元", ("resource_value_registered_fen",),
           kind="scaled", scale=100, dims=("resource_type",)),
    Metric("resource_updates", "资源更新", "次", dims=("status",)),
    Metric("needs_registered", "登记需求", "件",
           dims=("category", "target_group", "compound", "urgency")),
    Metric("needs_matched", "需求对接", "件", dims=("category", "target_group")),
    Metric("matches_made", "对接次数", "次", dims=("category", "target_group")),
    Metric("mean_hours_to_match", "平均对接时长", "小时", ("match_wait_seconds", "needs_matched"),
           kind="ratio", scale=3600, dims=("category", "target_group")),
    Metric("needs_closed", "需求办结", "件", dims=("category", "target_group", "outcome")),
    Metric("need_mean_satisfaction", "需求办结满意度", "分",
           ("need_satisfaction_sum", "need_satisfaction_count"), kind="ratio",
           dims=("category", "target_group")),
    Metric("resource_value_linked", "链接资源价值", "元", ("resource_value_fen",),
           kind="scaled", scale=100, dims=("category", "target_group")),
    Metric("bookings_made", "场地预约", "次", dims=("venue",)),
    Metric("bookings_cancelled", "场地预约取消", "次", dims=("venue",)),
    Metric("venue_bookings", "场地使用场次", "次", dims=("venue",)),
    Metric("venue_hours_booked", "场地使用时长", "小时", ("venue_minutes",), kind="scaled",
           scale=60, dims=("venue",)),
    # case files (个案): codes and counts only, never a person
    Metric("cases_opened", "新开个案", "件", dims=("category", "target_group", "risk")),
    Metric("case_home_visits", "个案入户探访", "次"),
    Metric("case_contacts", "个案跟进记录", "次", dims=("kind",)),
    Metric("case_referrals", "个案转介", "次"),
    Metric("case_referrals_accepted", "个案转介被接收", "次"),
    Metric("cases_closed", "结案", "件", dims=("category", "outcome")),
    # linkage (system)
    Metric("ideas_collected", "收集金点子", "条", dims=("category", "compound")),
    Metric("idea_votes", "金点子投票", "票"),
    Metric("ideas_adopted", "采纳金点子", "条"),
    Metric("consultations_opened", "意见征集", "次"),
    Metric("residents_consulted", "征求居民意见", "人次"),
    Metric("decisions_recorded", "联席会决议", "项"),
    Metric("action_items_assigned", "决议分解事项", "项"),
    Metric("action_items_created", "新建督办事项", "项"),
    Metric("action_items_done", "完成督办事项", "项"),
]
BY_NAME = {m.name: m for m in METRICS}
RAW_NAMES = sorted({n for m in METRICS for n in m.raw})
GROUPINGS = ("month", "plan", "target_group", "compound", "kind", "venue", "category",
             "series")
VISIT_GROUPINGS = ("month", "plan", "kind", "target_group", "compound")  # distinct people

# Current-state figures (as of today, not summed over a period).
STATE_LABELS = {"action_items_open": ("未完成督办事项", "项"),
                "action_items_overdue": ("逾期督办事项", "项"),
                "partners_active": ("合作中的合作单位", "家"),
                "five_society_covered": ("五社覆盖类别", "类")}
# Current-state figures a KPI can count (``where`` on their dimension): 五社 coverage,
# partners in cooperation (not archived, not stopped, not sample) per category.
STATES = {"partners_active": Metric("partners_active", "合作中的合作单位", "家", kind="state",
                                    dims=("five_society",)),
          "five_society_covered": Metric("five_society_covered", "五社覆盖类别", "类",
                                         kind="state")}


def derive(raw, names=None):
    """Metric values from raw counter sums (distinct metrics come from ``raw`` too)."""
    out = {}
    for m in METRICS:
        if names is not None and m.name not in names:
            continue
        out[m.name] = m.value(raw)
    return out


def metrics_for(grouping):
    if grouping == "month":
        return [m.name for m in METRICS]
    return [m.name for m in METRICS if grouping in m.dims]


def label(name):
    if name in BY_NAME:
        return BY_NAME[name].label
    return STATE_LABELS.get(name, (name,))[0]


def unit(name):
    if name in BY_NAME:
        return BY_NAME[name].unit
    return STATE_LABELS.get(name, (None, ""))[1]
