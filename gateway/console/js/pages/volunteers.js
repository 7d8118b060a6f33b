// 志愿者: search by skill and compound, a volunteer's shifts and hours, manual hours,
// approving pending hours in bulk (never one's own: the API refuses them too), issuing,
// downloading and reissuing a certificate (PDF); a certificate an approved correction
// has superseded says so.
import { api, download, session, vocabularies } from "../api.js";
import { h, clear, form, badge, pager, table, act, section, toast } from "../ui.js";
import { STATUS, compoundName, skillNames, fmt, todayLocal, errorText } from "../i18n.js";

const GENDERS = { female: "女", male: "男", other: "其他" };
// Where an hours entry came from (the ledger's source codes).
const HOURS_SOURCES = { check_out: "班次签退", auto_closed: "班次自动签退", manual: "补录", correction: "更正" };
const skillsText = (v) => skillNames(v.skills) || "—";
// Separation of duties: nobody decides hours they recorded or their own service.
const ownEntry = (e, me) => e.recorded_by === me.username || (me.volunteer_id && e.volunteer_id === me.volunteer_id);

function certificateStatus(c) {
  if (c.status !== "superseded") return badge("有效", "h-approved");
  return [badge("已作废（已更正）", "at_risk"), c.replaced_by ? h("small.muted", ` 已重新开具：${c.replaced_by}`) : ""];
}

export async function list(view, { params, go }) {
  const vocab = await vocabularies();
  const q = Object.fromEntries(["skill", "compound", "q", "talent", "page"].map((k) => [k, params.get(k) || ""]));
  const data = await api.get("/volunteers", { ...q, page: q.page || 1, per_page: 20 });
  const nav = (changes) => {
    const p = new URLSearchParams({ ...q, ...changes });
    [...p.keys()].forEach((k) => { if (!p.get(k)) p.delete(k); });
    go(`/volunteers${p.toString() ? `?${p}` : ""}`);
  };
  const search = form({
    id: "volunteer-search",
    className: "inline search",
    fields: [
      { name: "skill", label: "技能", type: "select", options: vocab.skills, value: q.skill, placeholder: "全部技能" },
      { name: "compound", label: "小区", type: "select", options: vocab.compounds, value: q.compound, placeholder: "全部小区" },
      { name: "q", label: "姓名/电话/编号", value: q.q },
      { name: "talent", label: "能人骨干", type: "select", options: { true: "仅能人骨干" }, value: q.talent, placeholder: "全部" },
    ],
    submit: "搜索",
    onSubmit: async (values) => nav({ skill: "", compound: "", q: "", talent: "", ...values, page: "" }),
  });
  clear(view,
    h("div.page-head", h("h1", "志愿者"), h("a.button.primary", { href: "#/volunteers/new" }, "＋ 登记志愿者")),
    h("section.card", search),
    table([
      { label: "编号", render: (v) => h("a", { href: `#/volunteers/${v.id}` }, v.number) },
      { label: "姓名", render: (v) => h("a", { href: `#/volunteers/${v.id}` }, v.name) },
      { label: "电话", render: (v) => v.phone },
      { label: "小区", render: (v) => compoundName(v.compound) },
      { label: "技能", render: (v) => [skillsText(v), v.talent ? badge("能人骨干", "talent") : ""] },
      { label: "状态", render: (v) => STATUS.volunteer[v.status] || v.status },
    ], data.items, { empty: "没有符合条件的志愿者" }),
    pager(data, (p) => nav({ page: String(p) })));
}

export async function create(view, { go }) {
  const vocab = await vocabularies();
  const f = form({
    id: "volunteer-form",
    fields: [
      { name: "name", label: "姓名", required: true },
      { name: "phone", label: "手机号", type: "tel", required: true, placeholder: "11 位手机号" },
      { name: "id_number", label: "身份证号", placeholder: "可不填" },
      { name: "gender", label: "性别", type: "select", options: GENDERS },
      { name: "birth_year", label: "出生年份", type: "number", min: 1900, max: 2030 },
      { name: "compound", label: "小区", type: "select", options: vocab.compounds },
      { name: "skills", label: "技能", type: "checks", options: vocab.skills, wide: true },
      { name: "talent", label: "能人骨干", type: "checkbox", text: "是社区能人骨干" },
    ],
    submit: "登记",
    onSubmit: async (values) => {
      const v = await api.post("/volunteers", values);
      toast(`已登记志愿者 ${v.number}`);
      go(`/volunteers/${v.id}`);
    },
  });
  clear(view, h("div.page-head", h("h1", "登记志愿者"), h("a", { href: "#/volunteers" }, "返回")), h("section.card", f));
}

export async function detail(view, { args, params, go }) {
  const id = Number(args[0]);
  const reload = () => detail(view, { args, params, go });
  const hpage = Number(params.get("hpage") || 1);
  const [v, signups, hours, certs, approved] = await Promise.all([
    api.get(`/volunteers/${id}`),
    api.get("/signups", { volunteer_id: id, per_page: 20 }),
    api.get("/hours", { volunteer_id: id, page: hpage, per_page: 20 }),
    api.get(`/volunteers/${id}/certificates`).catch(() => []),
    api.get("/hours", { volunteer_id: id, status: "approved", per_page: 100 }),
    vocabularies(), // the compound's and skills' labels
  ]);
  const shifts = {};
  await Promise.all([...new Set(signups.items.map((s) => s.shift_id))].map(async (sid) => {
    shifts[sid] = await api.get(`/shifts/${sid}`).catch(() => null);
  }));
  // An approved correction counts instead of the entry it corrects.
  const replaced = new Set(approved.items.map((e) => e.corrects_entry_id).filter(Boolean));
  const approvedMinutes = approved.items.filter((e) => !replaced.has(e.id)).reduce((a, e) => a + e.minutes, 0);
  const manual = form({
    id: "hours-form",
    className: "inline",
    fields: [
      { name: "service_date", label: "服务日期", type: "date", required: true, value: todayLocal() },
      { name: "minutes", label: "时长（分钟）", type: "number", required: true, min: 0, max: 1440, value: 120 },
      { name: "description", label: "服务内容" },
      { name: "reason", label: "补录原因", required: true, placeholder: "如：纸质签到表补录" },
    ],
    submit: "补录工时",
    onSubmit: async (values) => {
      await api.post("/hours", { ...values, volunteer_id: id });
      toast("工时已录入，待审核");
      reload();
    },
  });
  const yearStart = `${todayLocal().slice(0, 4)}-01-01`;
  const certForm = form({
    id: "certificate-form",
    className: "inline",
    fields: [
      { name: "period_from", label: "开始日期", type: "date", required: true, value: yearStart },
      { name: "period_to", label: "结束日期", type: "date", required: true, value: todayLocal() },
    ],
    submit: "开具证明",
    onSubmit: async (values) => {
      const cert = await api.post(`/volunteers/${id}/certificates`, values);
      toast(`已开具证明 ${cert.number}`);
      reload();
    },
  });
  const reissue = (c) => h("button.small", { type: "button", dataset: { reissue: c.number }, on: { click: (e) => act(e.target,
    () => api.post(`/certificates/${encodeURIComponent(c.number)}/reissue`), "已按当前审核时长重新开具证明").then(reload) } }, "重新开具");
  const certList = table([
    { label: "证明编号", render: (c) => c.number },
    { label: "期间", render: (c) => `${fmt.date(c.period_from)} 至 ${fmt.date(c.period_to)}` },
    { label: "服务时长", render: (c) => `${fmt.number(c.approved_hours, 1)} 小时` },
    { label: "状态", render: certificateStatus },
    { label: "验证码", render: (c) => c.verification_code },
    { label: "", render: (c) => [h("button.small", { type: "button", dataset: { pdf: c.number }, on: { click: (e) => act(e.target,
      () => download(`/certificates/${encodeURIComponent(c.number)}/pdf`, null, `${c.number}.pdf`), "证明 PDF 已下载") } }, "下载 PDF"),
      c.status === "superseded" && !c.replaced_by && session.role !== "volunteer" ? [" ", reissue(c)] : ""] },
  ], certs.items || certs || [], { empty: "尚未开具证明" });
  clear(view,
    h("div.page-head", h("h1", `${v.name} `, h("small.muted", v.number)),
      session.role === "volunteer" ? null : h("a", { href: "#/volunteers" }, "返回志愿者")),
    h("section.card",
      h("dl.facts",
        h("dt", "电话"), h("dd", v.phone),
        h("dt", "小区"), h("dd", compoundName(v.compound)),
        h("dt", "技能"), h("dd", skillsText(v), v.talent ? [" ", badge("能人骨干", "talent")] : ""),
        h("dt", "状态"), h("dd", STATUS.volunteer[v.status] || v.status),
        h("dt", "已审核时长"), h("dd", `${approved.total > approved.items.length ? "至少 " : ""}${fmt.hours(approvedMinutes)}（${approved.total} 条）`))),
    section("服务班次",
      table([
        { label: "班次", render: (s) => shifts[s.shift_id]?.name || `#${s.shift_id}` },
        { label: "时间", render: (s) => (shifts[s.shift_id] ? `${fmt.datetime(shifts[s.shift_id].start)}–${fmt.time(shifts[s.shift_id].end)}` : "—") },
        { label: "状态", render: (s) => [STATUS.signup[s.status] || s.status, s.waitlist_position ? ` 第 ${s.waitlist_position} 位` : ""] },
        { label: "签到/签退", render: (s) => `${s.checked_in_at ? fmt.time(s.checked_in_at) : "—"} / ${s.checked_out_at ? fmt.time(s.checked_out_at) : "—"}` },
      ], signups.items, { empty: "暂无班次" }),
      signups.total > signups.items.length ? h("p.muted.small", `仅显示最近 ${signups.items.length} 条，共 ${signups.total} 条`) : null),
    section("服务时长",
      table([
        { label: "日期", render: (e) => fmt.date(e.service_date) },
        { label: "时长", render: (e) => fmt.hours(e.minutes) },
        { label: "来源", render: (e) => HOURS_SOURCES[e.source] || e.source },
        { label: "内容", render: (e) => e.description || e.reason || "—" },
        { label: "状态", render: (e) => [badge(STATUS.hours[e.status] || e.status, `h-${e.status}`), e.flagged ? badge("异常", "at_risk") : ""] },
      ], hours.items, { empty: "暂无工时记录" }),
      pager(hours, (p) => go(`/volunteers/${id}?hpage=${p}`)),
      h("details.add", h("summary", "＋ 补录工时"), manual)),
    section("志愿服务证明", certList, session.role === "volunteer" ? null
      : h("details.add", { open: true }, h("summary", "＋ 开具证明（按已审核时长）"), certForm)));
}

// 工时审核: pending entries, approved or rejected in bulk.
export async function hours(view, { params, go }) {
  const status = params.get("status") || "pending";
  const page = Number(params.get("page") || 1);
  const [data, me] = await Promise.all([api.get("/hours", { status, page, per_page: 50 }), api.get("/me")]);
  const names = {};
  await Promise.all([...new Set(data.items.map((e) => e.volunteer_id))].map(async (vid) => {
    names[vid] = await api.get(`/volunteers/${vid}`).catch(() => null);
  }));
  const selectAll = h("input", { type: "checkbox", "aria-label": "全选", on: { change: (e) => {
    view.querySelectorAll("input.pick").forEach((c) => { c.checked = e.target.checked; });
  } } });
  const picked = () => [...view.querySelectorAll("input.pick:checked")].map((c) => Number(c.value));
  const result = h("div.bulk-result", { role: "status" });
  async function bulk(button, kind) {
    const ids = picked();
    if (!ids.length) { toast("请先勾选工时记录", "warn"); return; }
    let reason = null;
    if (kind === "reject") {
      reason = prompt("驳回原因（必填，至少 2 个字）");
      if (!reason) return;
    }
    button.disabled = true;
    let ok = 0;
    const failed = [];
    for (const entry of ids) {
      try {
        await api.post(`/hours/${entry}/${kind}`, kind === "reject" ? { reason } : {});
        ok += 1;
      } catch (err) {
        failed.push(`#${entry}：${errorText(err)}`);
      }
    }
    button.disabled = false;
    toast(`${kind === "approve" ? "已通过" : "已驳回"} ${ok} 条${failed.length ? `，${failed.length} 条失败` : ""}`, failed.length ? "warn" : "ok");
    await hours(view, { params, go });
    if (failed.length) view.querySelector(".bulk-result")?.append(h("ul", failed.map((t) => h("li", t))));
  }
  const tabs = h("div.tabs", Object.entries(STATUS.hours).map(([code, label]) =>
    h("button", { type: "button", class: code === status ? "active" : "", on: { click: () => go(`/hours?status=${code}`) } }, label)));
  clear(view,
    h("div.page-head", h("h1", "工时审核")),
    tabs,
    status === "pending" ? h("div.actions-bar.sticky",
      h("label.check", selectAll, "全选本页"),
      h("button.primary", { type: "button", id: "approve-selected", on: { click: (e) => bulk(e.target, "approve") } }, "批量通过"),
      h("button.danger", { type: "button", id: "reject-selected", on: { click: (e) => bulk(e.target, "reject") } }, "批量驳回")) : null,
    result,
    table([
      status === "pending" ? { label: "", class: "pick-cell", render: (e) => (ownEntry(e, me)
        ? h("small.muted.own", { title: "由其他工作人员审核" }, e.recorded_by === me.username ? "本人录入" : "本人服务")
        : h("input.pick", { type: "checkbox", value: e.id, "aria-label": `选择工时 ${e.id}` })) } : null,
      { label: "志愿者", render: (e) => h("a", { href: `#/volunteers/${e.volunteer_id}` }, names[e.volunteer_id] ? `${names[e.volunteer_id].name}（${names[e.volunteer_id].number}）` : `#${e.volunteer_id}`) },
      { label: "日期", render: (e) => fmt.date(e.service_date) },
      { label: "时长", render: (e) => fmt.hours(e.minutes) },
      { label: "来源/原因", render: (e) => [(e.source === "manual" ? "补录：" : ""), e.reason || e.description || "—"] },
      { label: "标记", render: (e) => (e.flagged ? badge(e.flag_reason || "异常", "at_risk") : "") },
      { label: "录入/审核", render: (e) => `${e.recorded_by || "—"} / ${e.decided_by || "—"}` },
      { label: "状态", render: (e) => STATUS.hours[e.status] || e.status },
    ].filter(Boolean), data.items, { empty: status === "pending" ? "没有待审核的工时" : "暂无记录", rowAttrs: (e) => ({ dataset: { entry: e.id } }) }),
    pager(data, (p) => go(`/hours?status=${status}&page=${p}`)));
}
