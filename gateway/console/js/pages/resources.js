// 资源库 (1平台+N资源): the resources the partners bring, filtered by type, target group,
// compound (its provider serves it) and partner; register, change, archive or delete one
// no match uses; when and how much is available; the 资源清单 download (XLSX, CSV).
// Labels come from GET /vocabularies: codes are never shown.
import { api, download, vocabularies } from "../api.js";
import { h, clear, form, badge, pager, table, act, section, toast, sampleName } from "../ui.js";
import { STATUS, fmt } from "../i18n.js";

const statusBadge = (s) => badge(STATUS.resource[s] || s, `r-${s}`);
const labels = (vocab, name, codes) => (codes || []).map((c) => vocab[name][c] || c).join("、") || "—";
const yuan = (n) => (n === null || n === undefined ? "—" : `¥${fmt.number(n, 2)}`);

/** When and how much: "12 / 20 份 · 2026-09-01 至 2027-01-31 · 每周三下午". */
export function availability(r) {
  const parts = [];
  if (r.quantity !== null && r.quantity !== undefined) {
    parts.push(`剩余 ${r.quantity_left ?? r.quantity} / ${r.quantity} ${r.unit || "份"}`);
  } else {
    parts.push("数量不限");
  }
  if (r.available_from || r.available_to) {
    parts.push(`${r.available_from || "即日"} 至 ${r.available_to || "长期"}`);
  }
  if (r.availability_note) parts.push(r.availability_note);
  return parts.join(" · ");
}

// Rooms are booked on their own page: a venue, or a text that sends the reader there.
const aboutRooms = (r) => r.type === "venue" || /场地预约/.test(`${r.description || ""}${r.availability_note || ""}`);
const roomsLink = () => h("a.rooms-link", { href: "#/rooms" }, "去场地预约 ›");

async function partnerOptions(current) {
  const data = await api.get("/partners", { per_page: 100 });
  const options = Object.fromEntries(data.items.map((p) => [String(p.id), p.name]));
  if (current && !options[String(current.id)]) options[String(current.id)] = `${current.name}（${STATUS.partner[current.status] || ""}）`;
  return options;
}

function resourceFields(vocab, partners, r = {}) {
  return [
    { name: "title", label: "资源名称", required: true, value: r.title, wide: true },
    { name: "type", label: "资源类型", type: "select", options: vocab.resource_types, required: true, value: r.type,
      placeholder: "请选择" },
    { name: "partner_id", label: "提供方", type: "select", options: partners, value: r.partner_id ?? "",
      placeholder: "平台自有（无合作伙伴）" },
    { name: "target_groups", label: "服务对象", type: "checks", options: vocab.target_groups, required: true,
      value: r.target_groups, wide: true },
    { name: "need_categories", label: "可回应的需求", type: "checks", options: vocab.need_categories,
      value: r.need_categories, wide: true },
    { name: "quantity", label: "数量", type: "number", min: 0, step: 1, value: r.quantity, hint: "不填为数量不限" },
    { name: "unit", label: "单位", value: r.unit, placeholder: "如：份、次、小时" },
    { name: "available_from", label: "可用起始日", type: "date", value: r.available_from },
    { name: "available_to", label: "可用截止日", type: "date", value: r.available_to },
    { name: "availability_note", label: "可用时间说明", value: r.availability_note, wide: true,
      placeholder: "如：每周三 14:00–17:00；场地请在“场地预约”页预约" },
    { name: "value_yuan", label: "总价值（元）", type: "number", min: 0, step: "0.01", value: r.value_yuan },
    { name: "unit_value_yuan", label: "单价（元）", type: "number", min: 0, step: "0.01", value: r.unit_value_yuan },
    { name: "description", label: "说明", type: "textarea", value: r.description, wide: true },
  ];
}

function body(values) {
  const out = { ...values };
  if (out.partner_id) out.partner_id = Number(out.partner_id);
  return out;
}

export async function list(view, { params, go }) {
  const vocab = await vocabularies();
  const keys = ["type", "target_group", "compound", "partner_id", "status", "q", "page"];
  const q = Object.fromEntries(keys.map((k) => [k, params.get(k) || ""]));
  const [data, partners] = await Promise.all([
    api.get("/resources", { ...q, status: q.status || "active", page: q.page || 1, per_page: 20 }),
    api.get("/partners", { status: "all", per_page: 100 }),
  ]);
  const partnerNames = Object.fromEntries(partners.items.map((p) => [String(p.id), p.name]));
  const nav = (changes) => {
    const p = new URLSearchParams({ ...q, ...changes });
    [...p.keys()].forEach((k) => { if (!p.get(k)) p.delete(k); });
    go(`/resources${p.toString() ? `?${p}` : ""}`);
  };
  const sel = (name, label, options, all = `全部${label}`) => h("select", { "aria-label": label, name,
    on: { change: (e) => nav({ [name]: e.target.value, page: "" }) } },
    all === null ? null : h("option", { value: "" }, all),
    Object.entries(options).map(([c, l]) => h("option", { value: c, selected: q[name] === c }, l)));
  const search = h("form.search-box", { role: "search", on: { submit: (e) => {
    e.preventDefault();
    nav({ q: e.target.elements.q.value.trim(), page: "" });
  } } },
  h("input", { type: "search", name: "q", value: q.q, placeholder: "名称、说明或提供方", "aria-label": "搜索资源" }),
  h("button", { type: "submit" }, "搜索"));
  const exports = h("div.actions-bar",
    h("button#export-xlsx", { type: "button", on: { click: (e) => act(e.target,
      () => download("/resources/export", { format: "xlsx" }, "资源清单.xlsx"), "资源清单已下载") } }, "下载资源清单（XLSX）"),
    h("button#export-csv", { type: "button", on: { click: (e) => act(e.target,
      () => download("/resources/export", { format: "csv" }, "资源清单.csv"), "资源清单已下载") } }, "CSV"),
    h("small.muted", "资源清单含全部可用资源（不含示例数据）"));
  clear(view,
    h("div.page-head", h("h1", "资源库"), h("a.button.primary", { href: "#/resources/new" }, "＋ 登记资源"),
      h("p.muted", "1 平台 + N 资源：合作伙伴提供的场地、物资、资金、服务、技能与队伍。场地请在 ",
        h("a", { href: "#/rooms" }, "场地预约"), " 页按时段预约。")),
    h("div#resource-filters.filters",
      sel("type", "资源类型", vocab.resource_types), sel("target_group", "服务对象", vocab.target_groups),
      sel("compound", "小区", vocab.compounds), sel("partner_id", "提供方", partnerNames),
      sel("status", "状态", { active: "可用", archived: "已归档", all: "全部状态" }, null), search),
    exports,
    table([
      { label: "资源", render: (r) => h("a", { href: `#/resources/${r.id}` }, sampleName(r.title, r.sample)) },
      { label: "类型", class: "nowrap", render: (r) => r.type_label || vocab.resource_types[r.type] },
      { label: "提供方", render: (r) => (r.partner_id
        ? h("a", { href: `#/partners/${r.partner_id}` }, r.partner_name || partnerNames[r.partner_id] || "合作伙伴") : "平台自有") },
      { label: "服务对象", render: (r) => labels(vocab, "target_groups", r.target_groups) },
      { label: "可用", render: (r) => [availability(r), aboutRooms(r) ? [" ", roomsLink()] : null] },
      { label: "价值", class: "num", render: (r) => yuan(r.value_yuan) },
      { label: "状态", render: (r) => statusBadge(r.status) },
    ], data.items, { empty: "没有符合条件的资源", rowAttrs: (r) => ({ dataset: { resource: r.id } }) }),
    pager(data, (p) => nav({ page: String(p) })));
}

export async function create(view, { go, params }) {
  const vocab = await vocabularies();
  const partners = await partnerOptions();
  const fields = resourceFields(vocab, partners, { partner_id: params.get("partner_id") || "" });
  const f = form({
    id: "resource-form",
    fields,
    submit: "保存",
    onSubmit: async (values) => {
      const r = await api.post("/resources", body(values));
      toast(`已登记资源「${r.title}」`);
      go(`/resources/${r.id}`);
    },
  });
  clear(view, h("div.page-head", h("h1", "登记资源"), h("a", { href: "#/resources" }, "返回资源库")),
    h("section.card", f));
}

export async function detail(view, { args, params, go }) {
  const id = Number(args[0]);
  const vocab = await vocabularies();
  const r = await api.get(`/resources/${id}`);
  const reload = () => detail(view, { args, params, go });
  const partner = r.partner_id ? await api.get(`/partners/${r.partner_id}`).catch(() => null) : null;
  const partners = await partnerOptions(partner);

  const actions = h("div.actions-bar");
  if (r.status !== "archived") {
    actions.append(h("button#archive-resource", { type: "button", on: { click: (e) => {
      if (!confirm(`归档「${r.title}」？归档后不再出现在资源库、需求推荐和资源清单中；已有匹配记录保留。`)) return;
      act(e.target, () => api.post(`/resources/${id}/archive`), "已归档").then(reload);
    } } }, "归档"));
  }
  actions.append(h("button#delete-resource.danger", { type: "button", on: { click: (e) => {
    if (!confirm(`删除「${r.title}」？仅当没有需求匹配过它时可以删除，删除后不可恢复。`)) return;
    act(e.target, () => api.del(`/resources/${id}`), "已删除").then(() => go("/resources"), () => {});
  } } }, "删除"));

  const edit = form({
    id: "resource-edit",
    fields: resourceFields(vocab, partners, r),
    submit: "保存修改",
    onSubmit: async (values) => {
      // An optional field emptied in the form is cleared.
      for (const name of ["partner_id", "quantity", "unit", "available_from", "available_to",
        "availability_note", "unit_value_yuan", "description"]) {
        if (values[name] === undefined && r[name] !== null && r[name] !== undefined) values[name] = null;
      }
      await api.patch(`/resources/${id}`, body(values));
      toast("已保存");
      reload();
    },
  });

  clear(view,
    h("div.page-head", h("h1", sampleName(r.title, r.sample), " ", statusBadge(r.status)),
      h("a", { href: "#/resources" }, "返回资源库")),
    h("section.card",
      h("dl.facts",
        h("dt", "类型"), h("dd", r.type_label || vocab.resource_types[r.type]),
        h("dt", "提供方"), h("dd", r.partner_id ? h("a", { href: `#/partners/${r.partner_id}` }, r.partner_name || "合作伙伴") : "平台自有"),
        h("dt", "服务对象"), h("dd", labels(vocab, "target_groups", r.target_groups)),
        h("dt", "可回应需求"), h("dd", labels(vocab, "need_categories", r.need_categories)),
        h("dt", "可用"), h("dd#resource-availability", availability(r)),
        h("dt", "价值"), h("dd", `${yuan(r.value_yuan)}${r.unit_value_yuan !== null && r.unit_value_yuan !== undefined ? `（单价 ${yuan(r.unit_value_yuan)}）` : ""}`),
        r.description ? [h("dt", "说明"), h("dd", r.description)] : null),
      aboutRooms(r) ? h("p", "场地按时段在场地预约页预约：", roomsLink()) : null,
      actions),
    section("修改资源", edit));
}
