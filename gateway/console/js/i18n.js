// Chinese for what the API says in codes. Vocabularies with labels come from
// GET /vocabularies; what it does not serve (statuses, error codes) is here. Messages and
// reasons come in Chinese from the API itself.

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

// The API gives every message and reason in Chinese (the console asks for zh-CN; the
// wording lives in the gateway's one catalogue, common/messages.yaml).
export function reason(text) {
  return String(text ?? "");
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
    return err.message ? `${base}：${err.message}` : base;
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

