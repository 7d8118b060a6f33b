// 个案管理: the caseload, opening a file with consent, the file with its timeline,
// visit and note forms, referrals, and who opened it. Contents only for the assigned
// workers and admins; others see the summary and may give a reason (audited).
import { api, vocabularies } from "../api.js";
import { h, clear, form, badge, pager, table, act, section, toast } from "../ui.js";
import { compoundName, fmt } from "../i18n.js";

const RISKS = { low: "低", medium: "中", high: "高" };
const STATUSES = { open: "跟进中", closed: "已结案" };
const GENDERS = { female: "女", male: "男", other: "其他" };
const SCOPES = { case_work: "建档与个案服务", health_data: "健康信息", referral: "向合作单位转介", photos: "照片影像" };
const ENTRY_KINDS = { note: "个案记录", home_visit: "入户探访", phone: "电话联系" };
const REFERRAL = { pending: "待回复", accepted: "已接收", declined: "已拒绝", completed: "已完成" };
const OUTCOMES = { goals_met: "目标达成", referred_on: "转介结案", moved_away: "迁出", declined_service: "本人拒绝服务", deceased: "去世", other: "其他" };
const ACCESS = { admin: "管理员", assigned: "负责社工", break_glass: "说明理由查看", export: "导出" };

const riskBadge = (risk) => badge(`风险${RISKS[risk] || risk}`, `risk-${risk}`);

export async function list(view, { params, go }) {
  const vocab = await vocabularies();
  const q = Object.fromEntries(["status", "risk", "category", "mine", "page"].map((k) => [k, params.get(k) || ""]));
  const data = await api.get("/cases", { ...q, page: q.page || 1, per_page: 20 });
  let follow = null;
  try { follow = await api.get("/cases/follow-up"); } catch { follow = null; }
  const nav = (changes) => {
    const p = new URLSearchParams({ ...q, ...changes });
    [...p.keys()].forEach((k) => { if (!p.get(k)) p.delete(k); });
    go(`/cases${p.toString() ? `?${p}` : ""}`);
  };
  const sel = (name, label, options) => h("select", { "aria-label": label, on: { change: (e) => nav({ [name]: e.target.value, page: "" }) } },
    h("option", { value: "" }, `全部${label}`),
    Object.entries(options).map(([c, l]) => h("option", { value: c, selected: q[name] === c }, l)));
  const due = (follow?.workers || []).flatMap((w) => [
    ...w.overdue_visits.map((v) => ({ worker: w.worker, number: v.number, id: v.case_id, what: "入户探访逾期", due: v.due_on, days: v.days_overdue })),
    ...w.overdue_goals.map((g) => ({ worker: w.worker, number: g.number, id: g.case_id, what: "服务计划目标逾期", due: g.due_on, days: g.days_overdue })),
    ...w.high_risk_without_contact.map((c) => ({ worker: w.worker, number: c.number, id: c.case_id, what: `高风险超过 ${follow.high_risk_contact_days} 天未联系`, due: c.last_contact_at ? fmt.date(c.last_contact_at) : "从未联系", days: "" })),
  ]);
  clear(view,
    h("div.page-head", h("h1", "个案管理"), h("a.button.primary", { href: "#/cases/new" }, "＋ 建立个案")),
    section("待跟进",
      table([
        { label: "社工", render: (r) => r.worker },
        { label: "个案", render: (r) => h("a", { href: `#/cases/${r.id}` }, r.number) },
        { label: "事项", render: (r) => r.what },
        { label: "应于", render: (r) => r.due },
        { label: "逾期天数", render: (r) => String(r.days) },
      ], due, { empty: "没有逾期事项" })),
    h("div.filters", sel("status", "状态", STATUSES), sel("risk", "风险", RISKS),
      sel("category", "类别", vocab.need_categories), sel("mine", "范围", { true: "只看我负责的" })),
    table([
      { label: "编号", render: (c) => h("a", { href: `#/cases/${c.id}` }, c.number) },
      { label: "类别", render: (c) => vocab.need_categories[c.category] || c.category },
      { label: "风险", render: (c) => riskBadge(c.risk) },
      { label: "状态", render: (c) => STATUSES[c.status] || c.status },
      { label: "我负责", render: (c) => (c.assigned_to_me ? "是" : "—") },
    ], data.items, { empty: "暂无个案" }),
    pager(data, (p) => nav({ page: String(p) })));
}

export async function create(view, { go }) {
  const vocab = await vocabularies();
  const f = form({
    id: "case-form",
    fields: [
      { name: "name", label: "服务对象姓名", required: true },
      { name: "phone", label: "联系电话", type: "tel" },
      { name: "birth_year", label: "出生年份", type: "number", required: true, min: 1900, max: 2099 },
      { name: "gender", label: "性别", type: "select", options: GENDERS, required: true },
      { name: "compound", label: "小区", type: "select", options: vocab.compounds },
      { name: "target_group", label: "服务对象类别", type: "select", options: vocab.target_groups, required: true },
      { name: "category", label: "主要需求", type: "select", options: vocab.need_categories, required: true },
      { name: "risk", label: "风险等级", type: "select", options: RISKS, required: true, value: "low" },
      { name: "risk_reason", label: "风险理由", type: "textarea", wide: true, hint: "中、高风险须填写" },
      { name: "guardian_name", label: "监护人姓名", hint: "未满 14 周岁须填写，并由监护人同意" },
      { name: "guardian_relation", label: "与本人关系" },
      { name: "guardian_phone", label: "监护人电话", type: "tel" },
      { name: "given_by", label: "同意人", type: "select", options: { self: "本人", guardian: "监护人" }, required: true },
      { name: "consent_name", label: "同意人姓名", required: true },
      { name: "scope", label: "同意范围", type: "checks", options: SCOPES, value: ["case_work"] },
    ],
    submit: "建立个案",
    onSubmit: async (v) => {
      const person = { name: v.name, phone: v.phone || null, birth_year: Number(v.birth_year), gender: v.gender,
        compound: v.compound || null, target_groups: [v.target_group] };
      if (v.guardian_name) person.guardian = { name: v.guardian_name, relation: v.guardian_relation, phone: v.guardian_phone || null };
      const opened = await api.post("/cases", {
        person, category: v.category, target_group: v.target_group, risk: v.risk, risk_reason: v.risk_reason || null,
        consent: { given_by: v.given_by, name: v.consent_name, relation: v.given_by === "guardian" ? v.guardian_relation || null : null, scope: v.scope },
      });
      toast(`个案 ${opened.number} 已建立`);
      if (opened.possible_duplicates?.length) {
        toast(`可能与已有服务对象重复：${opened.possible_duplicates.map((d) => d.case_numbers.join("、")).join("；")}`, "error");
      }
      go(`/cases/${opened.id}`);
    },
  });
  clear(view, h("div.page-head", h("h1", "建立个案"), h("a", { href: "#/cases" }, "返回")),
    h("p.muted", "个案信息属敏感个人信息：须取得单独同意；未满 14 周岁须监护人同意。"),
    h("section.card", f));
}

export async function detail(view, { args, params, go }) {
  const id = Number(args[0]);
  const vocab = await vocabularies();
  const reload = () => detail(view, { args, params, go });
  const reason = params.get("reason");
  const file = await api.get(`/cases/${id}`, reason ? { reason } : {});
  const head = h("div.page-head", h("h1", `个案 ${file.number} `, riskBadge(file.risk), " ", badge(STATUSES[file.status] || file.status)),
    h("a", { href: "#/cases" }, "返回个案"));
  if (file.restricted) {
    const glass = form({
      id: "break-glass-form",
      fields: [{ name: "reason", label: "查看理由", type: "textarea", wide: true, required: true, hint: "您不是本个案的负责社工；查看将记入审计日志" }],
      submit: "说明理由并查看",
      onSubmit: async (v) => go(`/cases/${id}?${new URLSearchParams({ reason: v.reason })}`),
    });
    clear(view, head, section("仅显示摘要", h("dl.facts",
      h("dt", "类别"), h("dd", vocab.need_categories[file.category] || file.category),
      h("dt", "风险"), h("dd", RISKS[file.risk] || file.risk)), glass));
    return;
  }
  const p = file.person;
  const saved = () => { toast("已保存"); reload(); };
  const open = file.status === "open" && !p.erased;
  const entryForm = form({
    id: "entry-form", className: "inline",
    fields: [
      { name: "kind", label: "类型", type: "select", options: ENTRY_KINDS, required: true, value: "home_visit" },
      { name: "text", label: "记录", type: "textarea", wide: true, required: true },
      { name: "next_visit_on", label: "下次探访日期", type: "date" },
    ],
    submit: "添加记录",
    onSubmit: async (v) => { await api.post(`/cases/${id}/entries`, { ...v, next_visit_on: v.next_visit_on || null }); saved(); },
  });
  const goalForm = form({
    id: "goal-form", className: "inline",
    fields: [{ name: "text", label: "目标", wide: true, required: true }, { name: "due_on", label: "完成期限", type: "date", required: true }],
    submit: "添加目标", onSubmit: async (v) => { await api.post(`/cases/${id}/goals`, v); saved(); },
  });
  const closeForm = form({
    id: "case-close-form", className: "inline",
    fields: [{ name: "outcome", label: "结案结果", type: "select", options: OUTCOMES, required: true },
      { name: "note", label: "结案说明", type: "textarea", wide: true }],
    submit: "结案", onSubmit: async (v) => { await api.post(`/cases/${id}/close`, { ...v, note: v.note || null }); saved(); },
  });
  clear(view, head,
    file.access === "break_glass" ? h("div.alert.warn", "您正在以说明理由的方式查看本个案，已记入审计日志。") : null,
    h("section.card", h("dl.facts",
      h("dt", "服务对象"), h("dd", p.erased ? "个人信息已删除" : `${p.name} · ${GENDERS[p.gender] || ""} · ${p.age} 岁${p.minor ? "（未成年）" : ""}`),
      h("dt", "联系电话"), h("dd", p.phone || "—"),
      h("dt", "小区"), h("dd", compoundName(p.compound)),
      p.guardian ? [h("dt", "监护人"), h("dd", `${p.guardian.name}（${p.guardian.relation}） ${p.guardian.phone || ""}`)] : null,
      h("dt", "类别"), h("dd", vocab.need_categories[file.category] || file.category),
      h("dt", "负责社工"), h("dd", file.workers.join("、") || "—"),
      h("dt", "下次探访"), h("dd", file.next_visit_on ? `${file.next_visit_on}${file.visit_overdue ? "（已逾期）" : ""}` : "—"),
      h("dt", "最近联系"), h("dd", file.last_contact_at ? fmt.datetime(file.last_contact_at) : "—"),
      file.outcome ? [h("dt", "结案"), h("dd", `${OUTCOMES[file.outcome] || file.outcome} ${file.closure_note || ""}`)] : null)),
    section("同意记录", table([
      { label: "同意人", render: (c) => `${c.name}（${c.given_by === "guardian" ? "监护人" : "本人"}）` },
      { label: "范围", render: (c) => c.scope.map((s) => SCOPES[s] || s).join("、") },
      { label: "时间", render: (c) => fmt.datetime(c.given_at) },
    ], file.consents)),
    section("评估", table([
      { label: "风险", render: (a) => RISKS[a.risk] || a.risk },
      { label: "理由", render: (a) => a.reason },
      { label: "需求", render: (a) => a.needs.map((n) => vocab.need_categories[n.category] || n.category).join("、") },
      { label: "时间", render: (a) => fmt.datetime(a.assessed_at) },
    ], file.assessments, { empty: "尚未评估" })),
    section("服务计划", table([
      { label: "目标", render: (g) => g.text },
      { label: "期限", render: (g) => `${g.due_on}${g.overdue ? "（逾期）" : ""}` },
      { label: "状态", render: (g) => ({ open: "进行中", done: "已完成", dropped: "已放弃" }[g.status] || g.status) },
      { label: "操作", render: (g) => (open && g.status === "open" ? h("button.small", { type: "button", on: { click: (e) => act(e.target, () => api.patch(`/cases/${id}/goals/${g.id}`, { status: "done" }), "已完成").then(reload) } }, "标记完成") : "—") },
    ], file.goals, { empty: "暂无目标" }), open ? goalForm : null),
    section("时间线", table([
      { label: "时间", render: (e) => fmt.datetime(e.occurred_at) },
      { label: "类型", render: (e) => ENTRY_KINDS[e.kind] || e.kind },
      { label: "记录", render: (e) => e.text },
      { label: "记录人", render: (e) => e.recorded_by || "—" },
    ], file.timeline, { empty: "暂无记录" }), open ? entryForm : null),
    section("转介", table([
      { label: "合作单位", render: (r) => r.partner_name || `#${r.partner_id}` },
      { label: "原因", render: (r) => r.reason },
      { label: "状态", render: (r) => REFERRAL[r.status] || r.status },
      { label: "结果", render: (r) => r.outcome || "—" },
    ], file.referrals, { empty: "暂无转介" })),
    section("查看记录", table([
      { label: "时间", render: (a) => fmt.datetime(a.at) },
      { label: "查看人", render: (a) => a.username },
      { label: "方式", render: (a) => ACCESS[a.access] || a.access },
      { label: "理由", render: (a) => a.reason || "—" },
    ], file.access_log || [])),
    open ? section("结案", closeForm) : null);
}
