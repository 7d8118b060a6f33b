// Chinese for what the API says in codes and English reasons. Vocabularies with labels come
// from GET /vocabularies; what it does not serve (statuses, error texts) is here.

export const ERROR_CODES = {
  VALIDATION_FAILED: "填写有误，请检查标红的项目",
  BAD_REQUEST: "请求格式有误",
  UNAUTHORIZED: "登录已失效，请重新登录",
  BAD_LOGIN: "登录失败",
  FORBIDDEN: "没有权限进行此操作",
  NOT_FOUND: "未找到该记录",
  CONFLICT: "与已有记录冲突",
  IDEMPOTENCY_KEY_REUSED: "这次提交与上次不同，请刷新后重新填写",
  IDEMPOTENCY_KEY_IN_PROGRESS: "上次提交仍在处理中，请稍后再提交一次（不会重复登记）",
  RATE_LIMITED: "操作太频繁，请一分钟后再试",
  SERVICE_UNAVAILABLE: "服务暂时无响应，请稍后再试（重新提交不会重复登记）",
  METHOD_NOT_ALLOWED: "不支持的操作",
  INTERNAL: "系统内部错误，请联系管理员",
  NETWORK: "无法连接服务器，请检查网络后再试（重新提交不会重复登记）",
  ERROR: "操作失败",
};

// English reasons (marshmallow's and the services' own) → Chinese. First match wins;
// a reason with no rule is shown as it came, after a generic Chinese prefix.
const REASONS = [
  [/^Missing data for required field/i, () => "必填"],
  [/^Field may not be null/i, () => "不能为空"],
  [/^Unknown field/i, () => "不认识的字段"],
  [/^Not a valid integer/i, () => "请输入整数"],
  [/^Not a valid number/i, () => "请输入数字"],
  [/^Not a valid string/i, () => "请输入文字"],
  [/^Not a valid boolean/i, () => "请选择是或否"],
  [/^Not a valid list/i, () => "格式应为列表"],
  [/^Not a valid datetime/i, () => "日期时间格式不正确"],
  [/^Not a valid date/i, () => "日期格式不正确"],
  [/^Shorter than minimum length (\d+)/i, (m) => `至少 ${m[1]} 个字`],
  [/^Longer than maximum length (\d+)/i, (m) => `最多 ${m[1]} 个字`],
  [/^Length must be between (\d+) and (\d+)/i, (m) => `长度应为 ${m[1]}–${m[2]}`],
  [/^Must be greater than or equal to (\S+) and less than or equal to (\S+?)\.?$/i,
    (m) => `应在 ${m[1]} 到 ${m[2]} 之间`],
  [/^Must be greater than or equal to (\S+?)\.?$/i, (m) => `不能小于 ${m[1]}`],
  [/^Must be less than or equal to (\S+?)\.?$/i, (m) => `不能大于 ${m[1]}`],
  [/^Must be one of/i, () => "请从列表中选择"],
  [/^Invalid value/i, () => "取值无效"],
  [/mainland mobile number/i, () => "不是有效的手机号（11 位，以 13–19 开头）"],
  [/not a phone number/i, () => "不是有效的电话号码（手机或 0592- 座机）"],
  [/resident ID number/i, () => "不是有效的身份证号（18 位）"],
  [/^must be after start/i, () => "结束时间必须晚于开始时间"],
  [/^must be after free_from/i, () => "结束时间必须晚于开始时间"],
  [/^must be after from/i, () => "结束必须晚于开始"],
  [/^must not be before (period_from|from|available_from)/i, () => "结束日期不能早于开始日期"],
  [/lasts less than (\d+) days/i, (m) => `活动时长须少于 ${m[1]} 天`],
  [/at most 24 hours/i, () => "一个班次最长 24 小时"],
  [/give at least one field/i, () => "请至少修改一项"],
  [/nothing to change/i, () => "没有需要修改的内容"],
  [/^unknown (compound|skill|series) /, (m) =>
    `不在本社区的${{ compound: "小区", skill: "技能", series: "服务菜单" }[m[1]]}列表中，请从列表中选择`],
  [/give a resource_id, a volunteer_id or both/i, () => "请选择一项资源或一名志愿者"],
  [/give the attendee's phone/i, () => "请填写参与者手机号"],
  [/give registration_id or phone/i, () => "请选择报名记录或填写手机号"],
  [/required for a walk-in/i, () => "现场参与者必填"],
  [/a manual entry needs a reason/i, () => "手工录入需要填写原因"],
  [/expected YYYY-MM/i, () => "格式应为 2026-11 或 2026-11-01"],
  [/expected 2026-11, 2026-Q4 or 2026/i, () => "格式应为 2026-11、2026-Q4 或 2026"],
  [/not an ISO 8601/i, () => "日期格式不正确"],
  [/^(.+) is open (.+?); (.+) is outside/i, (m) => `${m[1]} 的开放时间为 ${m[2]}，所选时段（${m[3]}）不在开放时间内`],
  [/outside (the )?opening hours|not open/i, () => "不在场地开放时间内"],
  [/malformed JSON/i, () => "请求格式有误"],
  [/already registered for this event/i, () => "该手机号已报名本活动"],
  [/(phone|id_number) already registered to volunteer (\S+)/i,
    (m) => `该${m[1] === "phone" ? "手机号" : "身份证号"}已登记为志愿者 ${m[2]}`],
  [/attendance already recorded|the participant already attended/i, () => "已签到过"],
  [/feedback already given/i, () => "该参与者已评价过"],
  [/already voted/i, () => "该手机号已为此金点子投过票"],
  [/the idea is already adopted/i, () => "该金点子已被采纳"],
  [/voting is closed/i, () => "投票已结束（金点子已采纳）"],
  [/cannot (\w+) (?:an event that is|while the event is) (\w+)/i,
    (m) => `活动当前为“${STATUS.event[m[2]] || m[2]}”，不能进行此操作`],
  [/hours entry \d+ is already (\w+)/i, (m) => `该工时已是“${STATUS.hours[m[1]] || m[1]}”状态`],
  [/hours entry \d+ was recorded by you/i, () => "本人录入的工时须由其他工作人员审核"],
  [/hours entry \d+ is your own service/i, () => "本人的服务时长须由其他工作人员审核"],
  [/^in the future: at most today/i, () => "服务日期不能晚于今天"],
  [/certificate \S+ was already reissued as (\S+)/i, (m) => `该证明已重新开具为 ${m[1]}`],
  [/still states the ledger's hours/i, () => "该证明仍然有效，无需重新开具"],
  [/already signed up for this shift/i, () => "已报名该班次"],
  [/consent to the privacy notice is required/i, () => "请阅读并同意个人信息保护告知"],
  [/an application from this phone is already pending/i, () => "该手机号已有待审核的申请"],
  [/this phone is already registered as a volunteer/i, () => "该手机号已登记为志愿者"],
  [/application \d+ was declined/i, () => "该申请已婉拒"],
  [/the current password is wrong|^wrong password$/i, () => "当前密码不正确"],
  [/the password is shorter than (\d+) characters/i, (m) => `密码至少 ${m[1]} 位`],
  [/the password uses one kind of character only/i, () => "密码须混合字母与数字或符号"],
  [/the password contains the username/i, () => "密码不能包含用户名"],
  [/overlapping shift/i, () => "与已报名的其他班次时间冲突"],
  [/no approved hours in this period/i, () => "该期间没有已审核的服务时长"],
  [/only attendees give feedback/i, () => "只有到场参与者可以评价"],
  [/has no registration for the event/i, () => "该手机号未报名本活动，请按现场参与登记"],
  [/decisions are recorded at a joint meeting/i, () => "只有联席会可以记录决议"],
  [/an action item that is (\w+) cannot become (\w+)/i,
    (m) => `待办事项不能从“${STATUS.action[m[1]] || m[1]}”变为“${STATUS.action[m[2]] || m[2]}”`],
  [/registration already cancelled|the registration was cancelled/i, () => "该报名已取消"],
  [/is already booked .* to /i, () => "该场地此时段已被预约"],
  [/partner \d+ provides resources ([\d, ]+):/i,
    (m) => `该合作伙伴提供了资源 #${m[1].split(", ").join("、#")}，不能删除：请改为归档，或先删除/改挂这些资源`],
  [/resource \d+ is matched to needs ([\d, ]+):/i,
    (m) => `该资源已匹配需求 #${m[1].split(", ").join("、#")}，不能删除：请改为归档`],
  [/^unknown partner/i, () => "合作伙伴不存在"],
  [/^partner \d+ is (\w+)/i, (m) => `该合作伙伴${STATUS.partner[m[1]] || m[1]}，不能选用`],
  [/(\d+) already matched; quantity must be at least/i, (m) => `已匹配 ${m[1]}，数量不能少于 ${m[1]}`],
  [/too early to check in/i, () => "班次尚未开始（最早可提前 2 小时签到）"],
  [/^the shift is over/i, () => "班次已结束，不能签到"],
  [/check-out before check-in/i, () => "尚未签到，不能签退"],
  [/check-out must come after check-in/i, () => "签退时间须晚于签到时间"],
  [/already checked in/i, () => "已签到过"],
  [/already checked out/i, () => "已签退过"],
  [/only a confirmed sign-up can check in/i, () => "只有已确认（非候补）的报名可以签到"],
  [/a sign-up that has checked in cannot be cancelled/i, () => "已签到的报名不能取消"],
  [/^shift \d+ is cancelled/i, () => "班次已取消"],
  [/required for a guest/i, () => "来宾须填写"],
  [/an attendee names a partner that cannot attend/i, () => "参会单位中有不能参会的合作伙伴"],
  [/^only a joint_meeting has/i, () => "仅联席会可填写"],
  [/not found$/i, () => "记录不存在"],
  [/already registered/i, () => "已报名"],
  [/already attended/i, () => "已签到"],
  [/overlap/i, () => "与已有预约时间冲突"],
  [/give free_from and free_to together/i, () => "请同时填写开始和结束时间"],
];

export function reason(text) {
  const s = String(text ?? "");
  for (const [re, fn] of REASONS) {
    const m = s.match(re);
    if (m) return fn(m);
  }
  return s;
}

/** Flatten {field: [reasons] | {nested: ...}} to [[path, chineseReason], ...]. */
export function fieldErrors(details, prefix = "") {
  const out = [];
  if (!details || typeof details !== "object") return out;
  for (const [key, value] of Object.entries(details)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) {
      const texts = value.filter((v) => typeof v !== "object");
      if (texts.length) out.push([path, texts.map(reason).join("；")]);
      // nested schemas' errors (lists of objects); lists of lists are data, not reasons
      value.filter((v) => v && typeof v === "object" && !Array.isArray(v))
        .forEach((v) => out.push(...fieldErrors(v, path)));
    } else if (value && typeof value === "object") {
      out.push(...fieldErrors(value, path));
    } else if (typeof value === "string") {
      out.push([path, reason(value)]);
    }
  }
  return out;
}

export function errorText(err) {
  if (!err) return "";
  const base = ERROR_CODES[err.code] || ERROR_CODES.ERROR;
  if (["CONFLICT", "NOT_FOUND", "FORBIDDEN", "BAD_REQUEST"].includes(err.code)) {
    const r = reason(err.message);
    return r && r !== err.message ? `${base}：${r}` : `${base}（${err.message}）`;
  }
  return base;
}

export const STATUS = {
  event: { draft: "草稿", published: "已发布", completed: "已结束", cancelled: "已取消" },
  registration: { confirmed: "已确认", waitlisted: "候补", cancelled: "已取消" },
  hours: { pending: "待审核", approved: "已通过", rejected: "已驳回" },
  signup: { confirmed: "已确认", waitlisted: "候补", cancelled: "已取消" },
  need: { open: "待匹配", matched: "已匹配", in_service: "服务中", closed: "已结案" },
  action: { open: "待办", in_progress: "进行中", done: "已完成", cancelled: "已取消",
    overdue: "已逾期" },
  idea: { submitted: "已提交", adopted: "已采纳" },
  volunteer: { active: "在册", inactive: "停用", suspended: "暂停" },
  partner: { active: "合作中", inactive: "已停止合作", archived: "已归档" },
  resource: { active: "可用", archived: "已归档" },
  kpi: { achieved: "已达成", on_track: "进度正常", at_risk: "进度落后", no_data: "暂无数据" },
};

export const URGENCIES = { low: "低", normal: "一般", high: "较急", urgent: "紧急" };
export const OUTCOMES = {
  resolved: "已解决", partially_resolved: "部分解决", unresolved: "未解决",
  referred: "已转介", withdrawn: "居民撤回",
};
export const IDEA_CATEGORIES = {
  environment: "环境美化", safety: "平安建设", facilities: "设施改善", culture: "文化活动",
  elderly_care: "养老服务", children: "儿童友好", governance: "社区治理", services: "便民服务",
  other: "其他",
};
// Kinds of partners (合作单位); the API answers each partner's kind_label too.
export const PARTNER_KINDS = {
  school: "学校", enterprise: "企业", merchant: "商户", social_org: "社会组织",
  government: "政府单位", resident_group: "居民团体",
};
export const FIT = { good: "匹配度高", partial: "部分匹配", weak: "匹配度低" };

// Labels of the codes GET /vocabularies serves: the fixed lists and the community's own
// compounds, skills and service-menu series (config/communities/). api.js's vocabularies()
// sets them; every page awaits it before it renders.
const LABELS = {};
export function setLabels(vocab) { Object.assign(LABELS, vocab); }
export const labelOf = (vocabulary, code) => (code ? LABELS[vocabulary]?.[code] || code : "—");
export const compoundName = (code) => labelOf("compounds", code);
export const skillNames = (codes) => (codes || []).map((c) => labelOf("skills", c)).join("、");

// Chinese labels of the fields the forms send (for messages that name a field the form
// does not show).
export const FIELD_LABELS = {
  title: "标题", plan: "所属计划", kind: "类型", target_groups: "服务对象", start: "开始时间",
  end: "结束时间", capacity: "名额", venue_id: "场地", name: "姓名", phone: "手机号",
  target_group: "服务对象", compound: "小区", description: "说明", category: "类别",
  urgency: "紧急程度", resident_name: "居民姓名", resident_phone: "居民电话",
  skills: "技能", minutes: "时长（分钟）", service_date: "服务日期", reason: "原因",
  period_from: "开始日期", period_to: "结束日期", outcome: "结案结果", satisfaction: "满意度",
  summary: "决议内容", event_id: "联席会", score: "评分", resource_id: "资源",
  volunteer_id: "志愿者", quantity: "数量", period: "报表期间", id_number: "身份证号",
  username: "用户名", password: "密码", birth_year: "出生年份", note: "备注",
  five_society: "五社类别", contact_name: "联系人", contact_phone: "联系电话", compounds: "服务小区",
  type: "资源类型", partner_id: "提供方", need_categories: "可回应的需求", unit: "单位",
  available_from: "可用起始日", available_to: "可用截止日", availability_note: "可用时间说明",
  value_yuan: "总价值（元）", unit_value_yuan: "单价（元）", status: "状态",
  consent: "个人信息保护告知", availability: "可服务时间", current_password: "当前密码",
  new_password: "新密码", role: "角色", display_name: "显示名称",
  places: "人数", location: "地点", agenda: "议程", attendees: "参会单位",
  residents: "居民代表人数", others: "其他参会人数", idea_id: "金点子", action_items: "待办事项",
  at: "时间", checked_in_at: "签到",
};

const TZ = "Asia/Shanghai";
const dtf = new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
const df = new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, month: "numeric", day: "numeric",
  weekday: "short" });
const tf = new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, hour: "2-digit", minute: "2-digit",
  hour12: false });

export const fmt = {
  datetime: (iso) => (iso ? dtf.format(new Date(iso)) : "—"),
  day: (iso) => (iso ? df.format(new Date(iso)) : "—"),
  time: (iso) => (iso ? tf.format(new Date(iso)) : "—"),
  // A date (YYYY-MM-DD) as it is; an instant (answers give UTC, "…Z") as its day in Xiamen.
  date: (value) => (!value ? "—" : String(value).includes("T") ? isoToLocal(value).slice(0, 10)
    : String(value).slice(0, 10)),
  number: (n, digits = 0) => (n === null || n === undefined ? "—"
    : Number(n).toLocaleString("zh-CN", { maximumFractionDigits: digits })),
  hours: (minutes) => (minutes === null || minutes === undefined ? "—"
    : `${(minutes / 60).toLocaleString("zh-CN", { maximumFractionDigits: 1 })} 小时`),
};

/** "2026-12-05T09:00" typed in Xiamen → an ISO string with the +08:00 offset. */
export const localToIso = (value) => (value ? `${value.length === 16 ? `${value}:00` : value}+08:00` : null);

/** An ISO instant → "YYYY-MM-DDTHH:MM" in Xiamen time (for datetime-local inputs). */
export function isoToLocal(iso) {
  const d = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 16);
}

/** Today's date in Xiamen as YYYY-MM-DD. */
export const todayLocal = () => isoToLocal(new Date().toISOString()).slice(0, 10);

// Why a resource or volunteer is suggested for a need (the resources service explains in
// English with Chinese labels, "answers 照料 (care) needs"): in Chinese.
const SUGGESTION_REASONS = [
  [/^answers (.+) needs$/, (m) => `对应“${m[1]}”类需求`],
  [/^does not answer (.+?)(?: \(answers (.+)\))?$/, (m) => `不对应“${m[1]}”类需求${m[2] ? `（提供：${m[2]}）` : ""}`],
  [/^serves all residents/, () => "面向全体居民"],
  [/^serves (.+), not (.+)$/, (m) => `服务对象为${m[1]}，不含${m[2]}`],
  [/^serves (.+)$/, (m) => `服务对象含${m[1]}`],
  [/^no fixed limit on quantity$/, () => "数量不限"],
  [/^(\d+) (.+) left$/, (m) => `剩余 ${m[1]} ${m[2] === "units" ? "份" : m[2]}`],
  [/^available from (.+)$/, (m) => `${m[1]} 起可用`],
  [/^available now(?: until (.+))?$/, (m) => (m[1] ? `现在可用（至 ${m[1]}）` : "现在可用")],
  [/^provider serves (.+)$/, (m) => `提供方服务${compoundName(m[1])}`],
  [/^skills: (.+)$/, (m) => `技能匹配：${skillNames(m[1].split(", "))}`],
  [/^lives in (.+)$/, (m) => `住在${compoundName(m[1])}`],
  [/^能人骨干/, () => "社区能人骨干"],
];

export function suggestionReason(text) {
  const s = String(text ?? "").replace(/ \([a-z_]+\)/g, "");
  for (const [re, fn] of SUGGESTION_REASONS) {
    const m = s.match(re);
    if (m) return fn(m);
  }
  return s;
}
