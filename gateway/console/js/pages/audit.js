// 审计日志 (admins): who revealed which personal data, printed names in full or changed a
// user, and when; filtered by person, kind, action, record and dates (GET /audit-log).
import { api } from "../api.js";
import { h, clear, badge, pager, table, form, showErrors } from "../ui.js";
import { fmt } from "../i18n.js";

const KINDS = { reveal: "查看个人信息", permission: "用户与权限", data: "数据操作" };
// "volunteer:12" → 志愿者 #12, linked to its page where the console has one.
const TARGETS = {
  volunteer: ["志愿者", (id) => `#/volunteers/${id}`],
  need: ["需求", (id) => `#/needs/${id}`],
  event: ["活动", (id) => `#/events/${id}`],
  partner: ["合作伙伴", (id) => `#/partners/${id}`],
  user: ["用户", null],
  community: ["社区", null],
};
const FILTERS = ["actor", "kind", "action", "target", "from", "to"];

function target(text) {
  const [kind, id] = String(text || "").split(":");
  const known = TARGETS[kind];
  if (!known || !id) return text || "—";
  const name = `${known[0]} #${id}`;
  return known[1] && /^\d+$/.test(id) ? h("a", { href: known[1](id) }, name) : name;
}

export async function list(view, { params, go }) {
  const q = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || ""]));
  const page = Number(params.get("page") || 1);
  const asked = Object.fromEntries(Object.entries(q).filter(([, v]) => v));
  const nav = (changes) => {
    const p = new URLSearchParams({ ...q, page: String(page), ...changes });
    [...p.keys()].forEach((k) => { if (!p.get(k) || (k === "page" && p.get(k) === "1")) p.delete(k); });
    go(`/audit${p.toString() ? `?${p}` : ""}`);
  };
  let data;
  let refused = null;
  try {
    data = await api.get("/audit-log", { ...asked, page, per_page: 20 });
  } catch (err) {
    if (err.status !== 422) throw err;
    refused = err; // the filter form shows the reason beside its field
    data = await api.get("/audit-log", { page: 1, per_page: 20 });
  }
  const actions = Object.fromEntries(Object.entries(data.actions || {})
    .filter(([, a]) => !q.kind || a.kind === q.kind).map(([code, a]) => [code, a.label]));
  const filters = form({
    id: "audit-filters",
    className: "inline filters-form",
    fields: [
      { name: "actor", label: "操作人（用户名）", value: q.actor },
      { name: "kind", label: "类别", type: "select", options: KINDS, value: q.kind, placeholder: "全部类别" },
      { name: "action", label: "操作", type: "select", options: actions, value: q.action, placeholder: "全部操作" },
      { name: "target", label: "对象（如 volunteer:12）", value: q.target },
      { name: "from", label: "开始日期", type: "date", value: q.from },
      { name: "to", label: "结束日期", type: "date", value: q.to },
    ],
    submit: "筛选",
    onSubmit: async (values) => nav({ ...Object.fromEntries(FILTERS.map((k) => [k, ""])), ...values, page: "1" }),
  });
  if (refused) showErrors(filters, refused);
  clear(view,
    h("div.page-head", h("h1", "审计日志"),
      h("p.muted", "记录谁在何时查看了完整的个人信息（手机号、身份证号、含全名的签到表），以及用户的创建、停用、启用和密码重置。记录中只有用户名和记录编号，不含个人信息本身。")),
    // Folded on a phone unless a filter is set: the entries come first there.
    h("details.card.audit-filters", { open: window.innerWidth >= 640 || Object.keys(asked).length > 0 || !!refused },
      h("summary", Object.keys(asked).length ? `筛选（${Object.keys(asked).length} 项）` : "筛选"),
      filters,
      Object.keys(asked).length ? h("p", h("a#audit-clear", { href: "#/audit" }, "清除筛选")) : null),
    table([
      { label: "时间", render: (e) => fmt.datetime(e.at) },
      { label: "操作人", render: (e) => h("a", { href: `#/audit?actor=${encodeURIComponent(e.username)}` }, e.username) },
      { label: "类别", render: (e) => badge(KINDS[e.kind] || e.kind, `audit-${e.kind}`) },
      { label: "操作", render: (e) => h("span", { dataset: { action: e.action } }, e.action_label) },
      { label: "对象", render: (e) => target(e.target) },
      { label: "请求编号", class: "muted small", render: (e) => (e.request_id || "—").slice(0, 12) },
    ], data.items, { empty: "没有符合条件的记录", rowAttrs: (e) => ({ dataset: { entry: e.id } }) }),
    pager(data, (p) => nav({ page: String(p) })));
}
