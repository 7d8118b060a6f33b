// 合作伙伴: the partners of 五社联动 listed by their 五社 category, with filters; register,
// change, archive (kept for history) or delete one nothing refers to. The contact is shown
// masked; showing it in full is a reveal the gateway writes to the audit log.
import { api, vocabularies } from "../api.js";
import { h, clear, form, badge, pager, table, act, section, toast, sampleName } from "../ui.js";
import { STATUS, PARTNER_KINDS, compoundName, fmt } from "../i18n.js";

const statusBadge = (s) => badge(STATUS.partner[s] || s, `p-${s}`);
const compoundsText = (codes) => (codes || []).map(compoundName).join("、") || "—";

function partnerFields(vocab, p = {}) {
  return [
    { name: "name", label: "名称", required: true, value: p.name, wide: true },
    { name: "five_society", label: "五社类别", type: "select", options: vocab.five_society, required: true,
      value: p.five_society, placeholder: "请选择" },
    { name: "kind", label: "单位类型", type: "select", options: PARTNER_KINDS, required: true, value: p.kind,
      placeholder: "请选择" },
    { name: "contact_name", label: "联系人", value: p.contact_name },
    { name: "contact_phone", label: "联系电话", type: "tel", placeholder: "手机或 0592- 座机",
      hint: p.id ? `现为 ${p.contact_phone || "未填"}；留空则不修改` : "" },
    { name: "compounds", label: "服务小区", type: "checks", options: vocab.compounds, value: p.compounds, wide: true },
    { name: "description", label: "合作内容", type: "textarea", value: p.description, wide: true },
  ];
}

export async function list(view, { params, go }) {
  const vocab = await vocabularies();
  const q = Object.fromEntries(["five_society", "kind", "compound", "status", "q", "page"].map((k) => [k, params.get(k) || ""]));
  const data = await api.get("/partners", { ...q, status: q.status || "active", page: q.page || 1, per_page: 20 });
  const nav = (changes) => {
    const p = new URLSearchParams({ ...q, ...changes });
    [...p.keys()].forEach((k) => { if (!p.get(k)) p.delete(k); });
    go(`/partners${p.toString() ? `?${p}` : ""}`);
  };
  const sel = (name, label, options, all = `全部${label}`) => h("select", { "aria-label": label, name,
    on: { change: (e) => nav({ [name]: e.target.value, page: "" }) } },
    all === null ? null : h("option", { value: "" }, all),
    Object.entries(options).map(([c, l]) => h("option", { value: c, selected: q[name] === c }, l)));
  const search = h("form.search-box", { role: "search", on: { submit: (e) => {
    e.preventDefault();
    nav({ q: e.target.elements.q.value.trim(), page: "" });
  } } },
  h("input", { type: "search", name: "q", value: q.q, placeholder: "名称或合作内容", "aria-label": "搜索合作伙伴" }),
  h("button", { type: "submit" }, "搜索"));
  const tabs = h("div#five-society-tabs.tabs", { role: "group", "aria-label": "五社类别" },
    [["", "全部"], ...Object.entries(vocab.five_society)].map(([code, label]) => h("button", {
      type: "button", class: code === q.five_society ? "active" : "", "aria-pressed": String(code === q.five_society),
      dataset: { fiveSociety: code }, on: { click: () => nav({ five_society: code, page: "" }) } }, label)));
  clear(view,
    h("div.page-head", h("h1", "合作伙伴"), h("a.button.primary", { href: "#/partners/new" }, "＋ 新增合作伙伴"),
      h("p.muted", "五社联动：社区、社会组织、社工、社会资源、社区自治组织")),
    tabs,
    h("div.filters", sel("kind", "单位类型", PARTNER_KINDS), sel("compound", "小区", vocab.compounds),
      sel("status", "状态", { active: "合作中", inactive: "已停止合作", archived: "已归档", all: "全部状态" }, null),
      search),
    table([
      { label: "名称", render: (p) => h("a", { href: `#/partners/${p.id}` }, sampleName(p.name, p.sample)) },
      { label: "五社类别", render: (p) => p.five_society_label || vocab.five_society[p.five_society] },
      { label: "单位类型", render: (p) => p.kind_label || PARTNER_KINDS[p.kind] },
      { label: "服务小区", render: (p) => compoundsText(p.compounds) },
      { label: "联系人", render: (p) => [p.contact_name || "—", p.contact_phone ? h("span.muted", ` ${p.contact_phone}`) : ""] },
      { label: "资源", render: (p) => (p.resource_count
        ? h("a", { href: `#/resources?partner_id=${p.id}` }, `${p.resource_count} 项`) : "0") },
      { label: "状态", render: (p) => statusBadge(p.status) },
    ], data.items, { empty: "没有符合条件的合作伙伴", rowAttrs: (p) => ({ dataset: { partner: p.id } }) }),
    pager(data, (p) => nav({ page: String(p) })));
}

export async function create(view, { go }) {
  const vocab = await vocabularies();
  const f = form({
    id: "partner-form",
    fields: partnerFields(vocab),
    submit: "保存",
    onSubmit: async (values) => {
      const p = await api.post("/partners", values);
      toast(`已新增合作伙伴「${p.name}」`);
      go(`/partners/${p.id}`);
    },
  });
  clear(view, h("div.page-head", h("h1", "新增合作伙伴"), h("a", { href: "#/partners" }, "返回合作伙伴")),
    h("section.card", f));
}

export async function detail(view, { args, params, go }) {
  const id = Number(args[0]);
  const vocab = await vocabularies();
  const p = await api.get(`/partners/${id}`);
  const reload = () => detail(view, { args, params, go });
  const resources = await api.get("/resources", { partner_id: id, status: "all", per_page: 50 });

  const contact = h("dd#partner-contact", p.contact_phone || "—");
  const reveal = p.contact_phone ? h("button#reveal-contact.small", { type: "button", on: { click: async (e) => {
    const full = await act(e.target, () => api.get(`/partners/${id}`, { reveal: true }), "已显示（本次查看已记入审计日志）");
    clear(contact, full.contact_phone || "—");
    e.target.remove();
  } } }, "显示完整号码") : null;

  const actions = h("div.actions-bar");
  if (p.status !== "archived") {
    actions.append(h("button#archive-partner", { type: "button", on: { click: (e) => {
      if (!confirm(`归档「${p.name}」？归档后不在当前列表中显示，也不能再提供新资源；历史记录保留。`)) return;
      act(e.target, () => api.post(`/partners/${id}/archive`), "已归档").then(reload);
    } } }, "归档"));
  }
  actions.append(h("button#delete-partner.danger", { type: "button", on: { click: (e) => {
    if (!confirm(`删除「${p.name}」？仅当没有任何资源引用它时可以删除，删除后不可恢复。`)) return;
    act(e.target, () => api.del(`/partners/${id}`), "已删除").then(() => go("/partners"), () => {});
  } } }, "删除"));

  const edit = form({
    id: "partner-edit",
    fields: partnerFields(vocab, p),
    submit: "保存修改",
    onSubmit: async (values) => {
      // An optional text emptied in the form is cleared; an empty phone keeps the number.
      for (const name of ["contact_name", "description"]) {
        if (values[name] === undefined && p[name]) values[name] = null;
      }
      await api.patch(`/partners/${id}`, values);
      toast("已保存");
      reload();
    },
  });

  clear(view,
    h("div.page-head", h("h1", sampleName(p.name, p.sample), " ", statusBadge(p.status)),
      h("a", { href: "#/partners" }, "返回合作伙伴")),
    h("section.card",
      h("dl.facts",
        h("dt", "五社类别"), h("dd", p.five_society_label || vocab.five_society[p.five_society]),
        h("dt", "单位类型"), h("dd", p.kind_label || PARTNER_KINDS[p.kind]),
        h("dt", "联系人"), h("dd", p.contact_name || "—"),
        h("dt", "联系电话"), contact,
        h("dt", "服务小区"), h("dd", compoundsText(p.compounds)),
        p.description ? [h("dt", "合作内容"), h("dd", p.description)] : null,
        h("dt", "登记于"), h("dd", fmt.date(p.created_at))),
      reveal ? h("p.muted.small", reveal, " 查看完整号码会记入审计日志") : null,
      actions),
    section("提供的资源",
      table([
        { label: "资源", render: (r) => h("a", { href: `#/resources/${r.id}` }, sampleName(r.title, r.sample)) },
        { label: "类型", render: (r) => r.type_label || vocab.resource_types[r.type] },
        { label: "状态", render: (r) => badge(STATUS.resource[r.status] || r.status, `r-${r.status}`) },
      ], resources.items, { empty: "尚未登记资源" }),
      h("p", h("a", { href: `#/resources/new?partner_id=${id}` }, "＋ 为该合作伙伴登记资源"))),
    section("修改信息", edit));
}
