// 志愿者自助: the public application form (no login) and a volunteer's own page at phone
// width: open shifts that fit their skills and availability, sign up and cancel, check in
// and out within the shift's window, availability and skills, hours and certificates.
import { api, download, session, vocabularies } from "../api.js";
import { h, clear, form, badge, table, act, section, toast, fieldRow, readForm, clearErrors, showErrors } from "../ui.js";
import { STATUS, compoundName, skillNames, fmt } from "../i18n.js";

const WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/** Seven rows (周一…周日): a box to tick and the hours of that day, local time. */
function availabilityPicker(slots) {
  const byDay = Object.fromEntries((slots || []).map((s) => [s.weekday, s]));
  return h("fieldset.availability", { dataset: { field: "availability" } },
    h("legend", "可服务时间（每周）"),
    WEEKDAYS.map((name, i) => {
      const slot = byDay[i + 1];
      return h("div.avail-day", { dataset: { weekday: String(i + 1) } },
        h("label.check", h("input", { type: "checkbox", name: `day-${i + 1}`, checked: !!slot }), name),
        h("input", { type: "time", name: `start-${i + 1}`, value: slot?.start || "08:00", "aria-label": `${name}开始` }),
        "–",
        h("input", { type: "time", name: `end-${i + 1}`, value: slot?.end || "20:00", "aria-label": `${name}结束` }));
    }),
    h("small.hint", "不勾选任何一天表示时间灵活"),
    h("small.field-error", { role: "alert" }));
}

function readAvailability(el) {
  const slots = [];
  for (let d = 1; d <= 7; d += 1) {
    if (!el.querySelector(`[name="day-${d}"]`).checked) continue;
    slots.push({ weekday: d, start: el.querySelector(`[name="start-${d}"]`).value,
      end: el.querySelector(`[name="end-${d}"]`).value });
  }
  return slots;
}

/** A form of field specs plus the weekly availability picker, sent by ``send``. */
function profileForm({ id, fields, tail = [], slots, submit, send }) {
  const el = h("form.form", { id, novalidate: true });
  const top = h("div.form-error", { role: "alert" });
  const button = h("button.primary", { type: "submit" }, submit);
  el.append(top, ...fields.map(fieldRow), availabilityPicker(slots), ...tail.map(fieldRow),
    h("div.actions", button));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(el);
    button.disabled = true;
    try {
      await send({ ...readForm(el, [...fields, ...tail]), availability: readAvailability(el) }, el);
    } catch (err) {
      showErrors(el, err);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

// 申请成为志愿者 (public).
export async function apply(view) {
  const vocab = await vocabularies();
  const done = h("div");
  clear(view,
    h("div.page-head", h("h1", "申请成为志愿者")),
    h("p.muted", "和通社区志愿服务队欢迎您。提交后社工会尽快与您联系。"),
    done,
    profileForm({
      id: "apply-form",
      submit: "提交申请",
      fields: [
        { name: "name", label: "姓名", required: true, autocomplete: "name" },
        { name: "phone", label: "手机号", type: "tel", required: true, autocomplete: "tel" },
        { name: "compound", label: "所住小区", type: "select", options: vocab.compounds || {} },
        { name: "skills", label: "技能特长", type: "checks", options: vocab.skills || {} },
      ],
      tail: [
        { name: "consent", label: "个人信息保护", type: "checkbox", required: true,
          text: "我已阅读并同意《个人信息保护告知》：姓名和手机号加密保存，仅用于志愿服务联络，不对外公开。" },
      ],
      send: async (values, el) => {
        const receipt = await api.post("/applications", values);
        el.hidden = true;
        clear(done, h("div.alert.ok", { role: "status", id: "apply-done" },
          `申请已提交（编号 ${receipt.id}），请等待社工审核。审核通过后，社工会把登录账号和初始密码告诉您。`));
      },
    }),
    h("p", h("a", { href: "#/login" }, "已有账号？登录")));
}

// 我的志愿服务 (a volunteer's own page).
export async function mine(view, { go }) {
  const id = session.volunteerId;
  if (!id) {
    clear(view, h("div.alert.warn", "本账号未关联志愿者档案，请联系社工。"));
    return;
  }
  const reload = () => mine(view, { go });
  const [vocab, v, open, signups, approved, pending, certs] = await Promise.all([
    vocabularies(),
    api.get(`/volunteers/${id}`),
    api.get("/shifts/open", { per_page: 20 }),
    api.get("/signups", { volunteer_id: id, per_page: 20 }),
    api.get("/hours", { volunteer_id: id, status: "approved", per_page: 100 }),
    api.get("/hours", { volunteer_id: id, status: "pending", per_page: 100 }),
    api.get(`/volunteers/${id}/certificates`).catch(() => []),
  ]);
  const shifts = {};
  await Promise.all([...new Set(signups.items.map((s) => s.shift_id))].map(async (sid) => {
    shifts[sid] = await api.get(`/shifts/${sid}`).catch(() => null);
  }));
  const active = signups.items.filter((s) => s.status !== "cancelled");
  const replaced = new Set(approved.items.map((e) => e.corrects_entry_id).filter(Boolean));
  const approvedMinutes = approved.items.filter((e) => !replaced.has(e.id)).reduce((a, e) => a + e.minutes, 0);
  const pendingMinutes = pending.items.reduce((a, e) => a + e.minutes, 0);
  const when = (s) => (s ? `${fmt.day(s.start)} ${fmt.time(s.start)}–${fmt.time(s.end)}` : "—");
  const button = (label, data, fn, done) => h("button.small", { type: "button", dataset: data,
    on: { click: (e) => act(e.target, fn, done).then(reload, () => {}) } }, label);

  const openList = table([
    { label: "班次", render: (s) => [s.name, s.location ? h("small.muted", ` · ${s.location}`) : ""] },
    { label: "时间", render: (s) => when(s) },
    { label: "名额", render: (s) => (s.confirmed >= s.places ? badge(`已满，可候补（${s.waitlisted}）`, "at_risk")
      : `${s.confirmed} / ${s.places}`) },
    { label: "", render: (s) => button("报名", { signup: String(s.id) },
      () => api.post(`/shifts/${s.id}/signups`, { volunteer_id: Number(id) }), "已报名") },
  ], open.items, { empty: "暂无适合您的班次（按您的技能和可服务时间筛选）" });

  const mineList = table([
    { label: "班次", render: (s) => shifts[s.shift_id]?.name || `#${s.shift_id}` },
    { label: "时间", render: (s) => when(shifts[s.shift_id]) },
    { label: "状态", render: (s) => [STATUS.signup[s.status] || s.status, s.waitlist_position ? ` 第 ${s.waitlist_position} 位` : ""] },
    { label: "签到/签退", render: (s) => `${s.checked_in_at ? fmt.time(s.checked_in_at) : "—"} / ${s.checked_out_at ? fmt.time(s.checked_out_at) : "—"}` },
    { label: "", render: (s) => [
      s.status === "confirmed" && !s.checked_in_at
        ? button("签到", { checkin: String(s.id) }, () => api.post(`/signups/${s.id}/check-in`), "已签到") : "",
      s.status === "confirmed" && s.checked_in_at && !s.checked_out_at
        ? button("签退", { checkout: String(s.id) }, () => api.post(`/signups/${s.id}/check-out`), "已签退，工时待审核") : "",
      !s.checked_in_at ? [" ", button("取消", { cancel: String(s.id) }, () => api.del(`/signups/${s.id}`), "已取消报名")] : "",
    ] },
  ], active, { empty: "您还没有报名班次" });

  const certList = table([
    { label: "证明编号", render: (c) => c.number },
    { label: "期间", render: (c) => `${fmt.date(c.period_from)} 至 ${fmt.date(c.period_to)}` },
    { label: "时长", render: (c) => `${fmt.number(c.approved_hours, 1)} 小时` },
    { label: "", render: (c) => h("button.small", { type: "button", dataset: { pdf: c.number }, on: { click: (e) => act(e.target,
      () => download(`/certificates/${encodeURIComponent(c.number)}/pdf`, null, `${c.number}.pdf`), "证明 PDF 已下载") } }, "下载 PDF") },
  ], certs.items || certs || [], { empty: "尚未开具证明，可请社工按已审核时长开具" });

  clear(view,
    h("div.page-head", h("h1", `${v.name} `, h("small.muted", v.number)), h("a", { href: "#/password" }, "修改密码")),
    h("section.card.hours-summary",
      h("dl.facts",
        h("dt", "已审核时长"), h("dd#approved-hours", fmt.hours(approvedMinutes)),
        h("dt", "待审核时长"), h("dd", fmt.hours(pendingMinutes)),
        h("dt", "小区"), h("dd", compoundName(v.compound)),
        h("dt", "技能"), h("dd", skillNames(v.skills) || "—"))),
    section("可报名班次", openList),
    section("我的班次", h("p.muted.small", "班次开始前两小时起可签到，签退后工时交社工审核。"), mineList),
    section("服务时长与证明", certList),
    h("details.add.card", h("summary", "修改技能和可服务时间"),
      profileForm({
        id: "profile-form",
        submit: "保存",
        slots: v.availability,
        fields: [{ name: "skills", label: "技能特长", type: "checks", options: vocab.skills || {}, value: v.skills }],
        send: async (values) => {
          await api.patch(`/volunteers/${id}`, { skills: values.skills || [], availability: values.availability });
          toast("已保存");
          reload();
        },
      })));
}
