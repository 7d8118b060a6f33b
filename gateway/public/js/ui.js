// Small DOM helpers: elements are built, never parsed from strings, so a title a resident
// typed stays text.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const ZONE = "Asia/Shanghai";
const dayFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, month: "long", day: "numeric", weekday: "short" });
const timeFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hour12: false });
const isoDay = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" });

export const day = (iso) => dayFmt.format(new Date(iso));
export const time = (iso) => timeFmt.format(new Date(iso));
export const localDate = (date) => isoDay.format(date);
export const when = (ev) => `${day(ev.start)} ${time(ev.start)}–${time(ev.end)}`;

// Messages a resident understands for the gateway's refusals.
export function reason(err) {
  if (err.status === 429) return "操作太频繁了，请稍等一分钟再试。";
  if (err.status === 0 || err.status >= 500) return "服务暂时不可用，请稍后再试。";
  if (err.status === 409 && err.details?.phone) return "这个手机号已经报名或已经提交过了。";
  return err.message;
}

const FIELD_WORDS = { phone: "手机号", name: "姓名", code: "取消码", score: "评分",
  title: "标题", category: "类别", target_group: "人群", time: "时间" };

// A form's refusal: the message on top, each field's reason beside it.
export function showError(form, err) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  let box = form.querySelector(".error[role=alert]");
  if (!box) { box = h("p", { class: "error", role: "alert" }); form.prepend(box); }
  box.textContent = reason(err);
  for (const [field, reasons] of Object.entries(err.details || {})) {
    const input = form.elements.namedItem(field);
    if (input && input.closest && input.closest("label")) {
      input.setAttribute("aria-invalid", "true");
      input.closest("label").append(h("span", { class: "field-error" },
        `${FIELD_WORDS[field] || field}：${[].concat(reasons).join("；")}`));
    }
  }
}

export function clearError(form) {
  form.querySelectorAll(".field-error, .error[role=alert]").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

export function field(label, input) { return h("label", {}, label, input); }

export function select(name, options, { required = true, blank = "请选择" } = {}) {
  return h("select", { name, required },
    h("option", { value: "" }, blank),
    options.map((o) => h("option", { value: o.code }, o.label)));
}

export function formData(form) {
  const data = {};
  for (const [k, v] of new FormData(form).entries()) if (v !== "") data[k] = v;
  return data;
}
