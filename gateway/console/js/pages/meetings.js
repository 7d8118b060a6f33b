// 联席会: recording a joint meeting (agenda, minutes, attendees chosen from the partners by
// 五社 category, guests in free text, how many residents and others came) and the meeting's
// page with all of it, its decisions, the ideas they adopted and their action items (owner,
// due date). Each submission is one request the API writes whole or not at all.
import { api, vocabularies } from "../api.js";
import { h, clear, form, badge, act, section, toast, sampleName } from "../ui.js";
import { STATUS, fmt, localToIso, todayLocal, reason } from "../i18n.js";
import { attachmentsSection } from "./attachments.js";

const CATEGORY_ORDER = ["community", "social_org", "social_worker", "social_resource", "self_governance"];

async function partnersByCategory() {
  const items = [];
  for (let page = 1; page <= 5; page += 1) {
    const data = await api.get("/partners", { page, per_page: 100 });
    items.push(...data.items);
    if (page * 100 >= data.total) break;
  }
  const groups = Object.fromEntries(CATEGORY_ORDER.map((c) => [c, []]));
  for (const p of items) (groups[p.five_society] ||= []).push(p);
  return groups;
}

const countInput = (label, value = 1) => h("input.count", { type: "number", min: 1, max: 1000, value,
  inputmode: "numeric", "aria-label": label });

/** The attendee picker: partners as checkboxes under their 五社 category, guests in rows. */
function attendeePicker(groups, fiveSociety) {
  const guests = h("div.guests");
  let guestNo = 0;
  const addGuest = () => {
    guestNo += 1;
    const key = `attendee-g${guestNo}`;
    const row = h("div.field.attendee.guest", { dataset: { field: key } },
      h("div.guest-inputs",
        h("input", { name: "guest_organisation", placeholder: "来宾单位或姓名", "aria-label": `来宾 ${guestNo} 单位` }),
        h("select", { name: "guest_category", "aria-label": `来宾 ${guestNo} 类别` },
          h("option", { value: "" }, "五社类别"),
          CATEGORY_ORDER.map((c) => h("option", { value: c }, fiveSociety[c] || c))),
        countInput(`来宾 ${guestNo} 人数`),
        h("button.small", { type: "button", "aria-label": `删除来宾 ${guestNo}`, on: { click: () => row.remove() } }, "删除")),
      h("small.field-error", { role: "alert" }));
    guests.append(row);
  };
  const el = h("div.attendees.wide", { dataset: { field: "attendees" } },
    h("h3", "参会单位（按五社类别）"),
    CATEGORY_ORDER.map((c) => h("fieldset.five-society", { dataset: { category: c } },
      h("legend", fiveSociety[c] || c),
      groups[c]?.length ? groups[c].map((p) => h("div.field.attendee", { dataset: { field: `attendee-p${p.id}`, partner: p.id } },
        h("label.check", h("input", { type: "checkbox", name: "partner", value: p.id }), sampleName(p.name, p.sample)),
        countInput(`${p.name} 参会人数`),
        h("small.field-error", { role: "alert" })))
        : h("p.muted.small", "暂无该类合作伙伴"))),
    h("h3", "来宾（非合作伙伴）"),
    guests,
    h("button.small", { type: "button", id: "add-guest", on: { click: addGuest } }, "＋ 添加来宾"));
  /** [[rowKey, attendee], ...] in the order sent. */
  el.read = () => {
    const out = [];
    el.querySelectorAll(".attendee").forEach((row) => {
      const count = Number(row.querySelector("input.count").value || 1);
      if (row.dataset.partner) {
        if (row.querySelector('input[name="partner"]').checked) {
          out.push([row.dataset.field, { partner_id: Number(row.dataset.partner), count }]);
        }
        return;
      }
      const organisation = row.querySelector('[name="guest_organisation"]').value.trim();
      const category = row.querySelector('[name="guest_category"]').value;
      if (!organisation && !category) return; // an empty guest row is no guest
      const guest = { count };
      if (organisation) guest.organisation = organisation;
      if (category) guest.category = category;
      out.push([row.dataset.field, guest]);
    });
    return out;
  };
  return el;
}

const ATTENDEE_FIELDS = { partner_id: "合作伙伴", organisation: "单位或姓名", category: "五社类别", count: "人数" };

/** The API names an attendee by its index: move its reasons to that attendee's row. */
function attendeeErrors(err, rows) {
  const byIndex = err.details?.attendees;
  if (!byIndex || typeof byIndex !== "object" || Array.isArray(byIndex)) return;
  const details = { ...err.details };
  delete details.attendees;
  for (const [index, reasons] of Object.entries(byIndex)) {
    const key = rows[Number(index)]?.[0];
    const texts = Object.entries(reasons || {}).map(([field, why]) =>
      `${ATTENDEE_FIELDS[field] || field}：${[why].flat().map(reason).join("；")}`);
    if (key) details[key] = texts;
  }
  err.details = details;
}

// -- recording a meeting -------------------------------------------------------------------
export async function create(view, { go }) {
  const vocab = await vocabularies();
  const groups = await partnersByCategory();
  const picker = attendeePicker(groups, vocab.five_society);
  const day = todayLocal();
  const f = form({
    id: "meeting-form",
    fields: [
      { name: "title", label: "会议名称", required: true, value: "五社联席会", wide: true },
      { name: "start", label: "开始时间", type: "datetime", required: true, value: `${day}T09:00` },
      { name: "end", label: "结束时间", type: "datetime", required: true, value: `${day}T10:30` },
      { name: "agenda", label: "议程", type: "textarea", rows: 4, wide: true, placeholder: "如：一、儿童游乐设施修缮；二、金点子评议" },
      { name: "minutes", label: "会议纪要", type: "textarea", rows: 6, wide: true, hint: "可会后补写" },
      { name: "residents", label: "居民代表人数", type: "number", min: 0, value: 0 },
      { name: "others", label: "其他参会人数", type: "number", min: 0, value: 0 },
    ],
    extra: picker,
    submit: "保存联席会",
    onSubmit: async (values) => {
      const rows = picker.read();
      const body = { ...values, plan: "system", kind: "joint_meeting", target_groups: ["all_residents"],
        start: localToIso(values.start), end: localToIso(values.end), attendees: rows.map(([, a]) => a) };
      let meeting;
      try {
        meeting = await api.post("/events", body);
      } catch (err) {
        attendeeErrors(err, rows);
        throw err;
      }
      // Decisions are recorded at a published (or completed) meeting.
      meeting = await api.post(`/events/${meeting.id}/publish`).catch(() => meeting);
      toast("联席会已保存，请记录决议与待办");
      go(`/meetings/${meeting.id}`);
    },
  });
  clear(view,
    h("div.page-head", h("h1", "记录联席会"), h("a", { href: "#/linkage" }, "返回五社联动")),
    h("section.card", f));
}

// -- the meeting's page --------------------------------------------------------------------
export async function detail(view, { args, go }) {
  const id = Number(args[0]);
  const reload = () => detail(view, { args, go });
  const [vocab, ev, ideas] = await Promise.all([vocabularies(), api.get(`/events/${id}`),
    api.get("/ideas", { status: "submitted", sort: "votes", per_page: 100 }).catch(() => ({ items: [] }))]);
  if (ev.kind !== "joint_meeting") { go(`/events/${id}`); return; }
  const byCategory = Object.fromEntries(CATEGORY_ORDER.map((c) => [c, []]));
  for (const a of ev.attendees || []) (byCategory[a.category] ||= []).push(a);
  const actions = h("div.actions-bar");
  if (ev.status === "draft") {
    actions.append(h("button.primary", { type: "button", on: { click: (e) => act(e.target, () => api.post(`/events/${id}/publish`), "已发布").then(reload) } }, "发布"));
  }
  if (ev.status === "published") {
    actions.append(h("button", { type: "button", id: "complete", on: { click: (e) => {
      if (!confirm("确认联席会已召开？结束后计入“联席会召开次数”。")) return;
      act(e.target, () => api.post(`/events/${id}/complete`, {}), "联席会已结束，已计入指标").then(reload);
    } } }, "会议已召开（结束）"));
  }
  const minutesForm = form({
    id: "minutes-form",
    fields: [
      { name: "agenda", label: "议程", type: "textarea", rows: 3, wide: true, value: ev.agenda || "" },
      { name: "minutes", label: "会议纪要", type: "textarea", rows: 6, wide: true, value: ev.minutes || "" },
    ],
    submit: "保存议程与纪要",
    onSubmit: async (values) => {
      await api.patch(`/events/${id}`, { agenda: values.agenda ?? null, minutes: values.minutes ?? null });
      toast("已保存");
      reload();
    },
  });
  const total = (ev.attendees || []).reduce((n, a) => n + (a.count || 1), 0) + (ev.residents || 0) + (ev.others || 0);
  clear(view,
    h("div.page-head", h("h1", ev.title, " ", badge(STATUS.event[ev.status] || ev.status, `ev-${ev.status}`)),
      h("a", { href: "#/linkage" }, "返回五社联动")),
    h("section.card",
      h("dl.facts",
        h("dt", "时间"), h("dd", `${fmt.datetime(ev.start)} – ${fmt.time(ev.end)}`),
        h("dt", "参会"), h("dd", `共 ${total} 人（居民代表 ${ev.residents ?? 0} 人，其他 ${ev.others ?? 0} 人）`)),
      h("div.stats", CATEGORY_ORDER.map((c) => h("div.stat", { dataset: { category: c } },
        h("strong", ev.five_society?.[c] ?? 0), h("span", vocab.five_society[c] || c)))),
      actions),
    section("议程", ev.agenda ? h("p.pre", ev.agenda) : h("p.empty", "未填写议程")),
    section("会议纪要", ev.minutes ? h("p.pre", ev.minutes) : h("p.empty", "未填写纪要"),
      h("details.add", h("summary", "编辑议程与纪要"), minutesForm)),
    section("参会单位",
      h("div.attendee-groups", CATEGORY_ORDER.filter((c) => byCategory[c]?.length).map((c) => h("div.attendee-group", { dataset: { category: c } },
        h("h3", vocab.five_society[c] || c),
        h("ul", byCategory[c].map((a) => h("li", a.organisation, a.count > 1 ? ` × ${a.count}` : "", " ",
          a.partner_id ? badge("合作伙伴", "partner") : badge("来宾")))))),
      (ev.attendees || []).length ? null : h("p.empty", "未登记参会单位")),
      h("p.muted.small", `居民代表 ${ev.residents ?? 0} 人 · 其他 ${ev.others ?? 0} 人`)),
    decisionsSection(ev, ideas.items, reload),
    attachmentsSection("meeting", ev.id));
}

function decisionsSection(ev, ideas, reload) {
  const decisions = ev.decisions || [];
  const open = ev.status === "published" || ev.status === "completed";
  const items = h("div.action-items.wide");
  let itemNo = 0;
  const addItem = () => {
    const i = itemNo;
    itemNo += 1;
    const cell = (name, label, attrs) => h("div.field", { dataset: { field: `action_items.${i}.${name}` } },
      h("label", { for: `ai-${name}-${i}` }, label),
      h("input", { id: `ai-${name}-${i}`, name: `ai_${name}`, ...attrs }),
      h("small.field-error", { role: "alert" }));
    items.append(h("fieldset.action-item", { dataset: { item: i } },
      h("legend", `待办事项 ${i + 1}`),
      cell("title", "事项", { placeholder: "如：修缮儿童游乐设施" }),
      cell("owner", "责任人/单位", {}),
      cell("due_date", "完成期限", { type: "date" })));
  };
  addItem();
  const f = open ? form({
    id: "decision-form",
    fields: [
      { name: "summary", label: "决议内容", type: "textarea", required: true, wide: true },
      { name: "idea_id", label: "采纳的金点子", type: "select", wide: true, placeholder: "不采纳金点子",
        options: Object.fromEntries(ideas.map((i) => [String(i.id), `#${i.id} ${i.title}（${i.votes} 票）`])) },
    ],
    extra: h("div.extra.wide", items, h("button.small", { type: "button", id: "add-action-item", on: { click: addItem } }, "＋ 再加一项待办")),
    submit: "记录决议",
    onSubmit: async (values, el) => {
      const body = { summary: values.summary };
      if (values.idea_id) body.idea_id = Number(values.idea_id);
      const list = [];
      el.querySelectorAll("fieldset.action-item").forEach((fs) => {
        const v = (n) => fs.querySelector(`[name="ai_${n}"]`).value.trim();
        if (!v("title") && !v("owner") && !v("due_date")) return;
        const item = {};
        for (const n of ["title", "owner", "due_date"]) if (v(n)) item[n] = v(n);
        list.push(item);
      });
      if (list.length) body.action_items = list;
      await api.post(`/events/${ev.id}/decisions`, body);
      toast("决议已记录");
      reload();
    },
  }) : null;
  return section("决议与待办",
    decisions.length ? h("ol.decisions", decisions.map((d) => h("li", { dataset: { decision: d.id } },
      h("p", d.summary),
      d.idea_id ? h("p.muted.small", `采纳金点子 #${d.idea_id}`) : null,
      (d.action_items || []).length ? h("ul.action-list", d.action_items.map((a) => h("li", { dataset: { action: a.id } },
        h("strong", a.title), ` · 责任人 ${a.owner} · 期限 ${fmt.date(a.due_date)} `,
        badge(a.overdue ? "已逾期" : (STATUS.action[a.status] || a.status), a.overdue ? "at_risk" : ""))))
        : null))) : h("p.empty", "暂无决议"),
    f ? h("details.add", { open: !decisions.length }, h("summary", "＋ 记录决议与待办"), f)
      : h("p.muted.small", "会议发布后可记录决议"));
}
