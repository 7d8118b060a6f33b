// 需求对接: intake, suggestions with their reasons, match, start service, close.
import { api, vocabularies } from "../api.js";
import { h, clear, form, badge, pager, table, act, section, toast, sampleName } from "../ui.js";
import { STATUS, URGENCIES, OUTCOMES, FIT, compoundName, skillNames, fmt } from "../i18n.js";

export async function list(view, { params, go }) {
  const vocab = await vocabularies();
  const q = Object.fromEntries(["status", "category", "target_group", "urgency", "page"].map((k) => [k, params.get(k) || ""]));
  const data = await api.get("/needs", { ...q, page: q.page || 1, per_page: 20 });
  const nav = (changes) => {
    const p = new URLSearchParams({ ...q, ...changes });
    [...p.keys()].forEach((k) => { if (!p.get(k)) p.delete(k); });
    go(`/needs${p.toString() ? `?${p}` : ""}`);
  };
  const sel = (name, label, options) => h("select", { "aria-label": label, on: { change: (e) => nav({ [name]: e.target.value, page: "" }) } },
    h("option", { value: "" }, `全部${label}`),
    Object.entries(options).map(([c, l]) => h("option", { value: c, selected: q[name] === c }, l)));
  clear(view,
    h("div.page-head", h("h1", "需求对接"), h("a.button.primary", { href: "#/needs/new" }, "＋ 登记需求")),
    h("div.filters", sel("status", "状态", STATUS.need), sel("category", "类别", vocab.need_categories),
      sel("target_group", "对象", vocab.target_groups), sel("urgency", "紧急程度", URGENCIES)),
    table([
      { label: "编号", render: (n) => h("a", { href: `#/needs/${n.id}` }, n.number || `#${n.id}`) },
      { label: "类别", render: (n) => n.category_label || vocab.need_categories[n.category] },
      { label: "对象", render: (n) => n.target_group_label || vocab.target_groups[n.target_group] },
      { label: "说明", render: (n) => h("a", { href: `#/needs/${n.id}` }, n.description.length > 40 ? `${n.description.slice(0, 40)}…` : n.description) },
      { label: "紧急", render: (n) => badge(URGENCIES[n.urgency] || n.urgency, `u-${n.urgency}`) },
      { label: "小区", render: (n) => compoundName(n.compound) },
      { label: "状态", render: (n) => badge(n.status_label || STATUS.need[n.status], `n-${n.status}`) },
      { label: "登记", render: (n) => fmt.date(n.created_at) },
    ], data.items, { empty: "暂无需求" }),
    pager(data, (p) => nav({ page: String(p) })));
}

export async function create(view, { go }) {
  const vocab = await vocabularies();
  const f = form({
    id: "need-form",
    fields: [
      { name: "target_group", label: "服务对象", type: "select", options: vocab.target_groups, required: true },
      { name: "category", label: "需求类别", type: "select", options: vocab.need_categories, required: true },
      { name: "urgency", label: "紧急程度", type: "select", options: URGENCIES, required: true, value: "normal" },
      { name: "compound", label: "小区", type: "select", options: vocab.compounds },
      { name: "description", label: "需求描述", type: "textarea", required: true, wide: true, rows: 4 },
      { name: "resident_name", label: "居民姓名" },
      { name: "resident_phone", label: "联系电话", type: "tel", placeholder: "手机或 0592- 座机" },
    ],
    submit: "登记需求",
    onSubmit: async (values) => {
      const need = await api.post("/needs", values);
      toast(`需求 ${need.number || need.id} 已登记`);
      go(`/needs/${need.id}`);
    },
  });
  clear(view, h("div.page-head", h("h1", "登记需求"), h("a", { href: "#/needs" }, "返回")), h("section.card", f));
}

export async function detail(view, { args, params, go }) {
  const id = Number(args[0]);
  const vocab = await vocabularies();
  const reload = () => detail(view, { args, params, go });
  const need = await api.get(`/needs/${id}`);
  const open = need.status === "open" || need.status === "matched" || need.status === "in_service";
  let suggestions = null;
  let suggestError = null;
  if (open) {
    try { suggestions = await api.get(`/needs/${id}/suggestions`, { limit: 10 }); } catch (err) { suggestError = err; }
  }
  const match = (body, button) => act(button, () => api.post(`/needs/${id}/matches`, body), "已匹配").then(reload);
  const actions = h("div.actions-bar");
  if (need.status === "matched") {
    actions.append(h("button.primary", { type: "button", on: { click: (e) => act(e.target, () => api.post(`/needs/${id}/start`), "已开始服务").then(reload) } }, "开始服务"));
  }
  const closeForm = form({
    id: "close-form",
    className: "inline",
    fields: [
      { name: "outcome", label: "结案结果", type: "select", options: OUTCOMES, required: true,
        hint: need.status === "in_service" ? "" : "尚未开始服务的需求只能以“已转介”或“居民撤回”结案" },
      { name: "satisfaction", label: "居民满意度", type: "select", options: { 5: "5 非常满意", 4: "4 满意", 3: "3 一般", 2: "2 不满意", 1: "1 很不满意" } },
      { name: "note", label: "备注", type: "textarea", wide: true },
    ],
    submit: "结案",
    onSubmit: async (values) => {
      const body = { ...values };
      if (body.satisfaction) body.satisfaction = Number(body.satisfaction);
      await api.post(`/needs/${id}/close`, body);
      toast("需求已结案");
      reload();
    },
  });
  clear(view,
    h("div.page-head", h("h1", `需求 ${need.number || `#${need.id}`} `, badge(need.status_label || STATUS.need[need.status], `n-${need.status}`)),
      h("a", { href: "#/needs" }, "返回需求")),
    h("section.card",
      h("dl.facts",
        h("dt", "类别"), h("dd", need.category_label || vocab.need_categories[need.category]),
        h("dt", "服务对象"), h("dd", need.target_group_label || vocab.target_groups[need.target_group]),
        h("dt", "紧急程度"), h("dd", URGENCIES[need.urgency] || need.urgency),
        h("dt", "小区"), h("dd", compoundName(need.compound)),
        h("dt", "居民"), h("dd", `${need.resident_name || "—"} ${need.resident_phone || ""}`),
        h("dt", "描述"), h("dd", need.description),
        need.outcome ? [h("dt", "结案"), h("dd", `${OUTCOMES[need.outcome] || need.outcome}${need.satisfaction ? `，满意度 ${need.satisfaction}` : ""}${need.outcome_note ? `：${need.outcome_note}` : ""}`)] : null,
        h("dt", "链接资源价值"), h("dd", `¥${fmt.number(need.value_linked_yuan, 2)}`)),
      actions),
    section("已匹配",
      table([
        { label: "资源", render: (m) => sampleName(m.resource_title || (m.resource_id ? `#${m.resource_id}` : "—"), m.sample) },
        { label: "志愿者", render: (m) => (m.volunteer_id ? h("a", { href: `#/volunteers/${m.volunteer_id}` }, `#${m.volunteer_id}`) : "—") },
        { label: "数量", render: (m) => m.quantity },
        { label: "价值", render: (m) => (m.sample ? h("span.muted", { title: "示例资源的价值不计入链接资源价值" }, `¥${fmt.number(m.value_yuan, 2)}（不计）`) : `¥${fmt.number(m.value_yuan, 2)}`) },
        { label: "时间", render: (m) => fmt.datetime(m.created_at) },
      ], need.matches || [], { empty: "尚未匹配" })),
    open ? section("推荐（按匹配度）",
      suggestError ? h("div.alert.error", "暂时无法获取推荐") : null,
      suggestions ? [
        h("h3", "资源"),
        suggestions.resources.length ? h("ul.suggestions", suggestions.resources.map((r) => h("li",
          h("div", h("strong", sampleName(r.title, r.sample)), " ", badge(FIT[r.fit] || r.fit, `fit-${r.fit}`), h("span.muted", ` ${r.partner_name || ""}`),
            h("ul.reasons", (r.reasons || []).map((t) => h("li", t))),
            h("p.small.muted", `剩余 ${r.quantity_left ?? "不限"} · 单价 ¥${fmt.number(r.unit_value_yuan, 2)}`)),
          h("button.small", { type: "button", dataset: { resource: r.resource_id }, on: { click: (e) => match({ resource_id: r.resource_id, quantity: 1 }, e.target) } }, "匹配此资源"))))
          : h("p.empty", "没有合适的资源"),
        h("h3", "志愿者"),
        suggestions.volunteers_unavailable ? h("p.muted", "志愿者服务暂时无响应") : null,
        suggestions.volunteers.length ? h("ul.suggestions", suggestions.volunteers.map((v) => h("li",
          h("div", h("strong", v.number), h("span.muted", ` ${compoundName(v.compound)} · ${skillNames(v.skills)}`),
            h("ul.reasons", (v.reasons || []).map((t) => h("li", t)))),
          h("button.small", { type: "button", on: { click: (e) => match({ volunteer_id: v.volunteer_id }, e.target) } }, "匹配此志愿者"))))
          : h("p.empty", "没有合适的志愿者"),
      ] : null) : null,
    open ? section("结案", closeForm) : null);
}
