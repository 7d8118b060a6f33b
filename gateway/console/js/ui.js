// Small DOM helpers: an element builder, forms that show the API's reasons beside their
// fields, a pager, status badges, notices.
import { ApiError } from "./api.js";
import { errorText, fieldErrors, FIELD_LABELS, reason } from "./i18n.js";

/** h("div.card#id", {attrs, on: {click}}, ...children) */
export function h(tag, attrs, ...children) {
  const [, name = "div", id, classes] = tag.match(/^([a-z0-9-]*)(?:#([\w-]+))?((?:\.[\w-]+)*)$/i) || [];
  const el = document.createElement(name || "div");
  if (id) el.id = id;
  if (classes) el.className = classes.slice(1).replace(/\./g, " ");
  if (attrs !== undefined && attrs !== null
      && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs); // h("strong", 0): a child, not attributes
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "on") Object.entries(v).forEach(([ev, fn]) => el.addEventListener(ev, fn));
    else if (k === "class") el.className = [el.className, v].filter(Boolean).join(" ");
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

let toastTimer;
export function toast(text, kind = "ok") {
  let el = document.getElementById("toast");
  if (!el) {
    el = h("div#toast", { role: "status", "aria-live": "polite" });
    document.body.append(el);
  }
  el.className = `show ${kind}`;
  el.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ""; }, 3500);
}

export function errorBox(err) {
  return h("div.alert.error", { role: "alert" }, err instanceof ApiError ? errorText(err) : String(err));
}

export const loading = () => h("p.muted.loading", "加载中…");

/**
 * A form from field specs. Each spec: {name, label, type, options, required, value,
 * placeholder, hint, min, max, step, rows, attrs}. type: text | tel | number | date |
 * datetime | textarea | select | checks | checkbox | password | hidden.
 * onSubmit(values, form) may throw an ApiError: its details land beside the fields.
 */
export function form({ fields, submit = "保存", onSubmit, className = "", extra = null, id }) {
  const el = h("form", { class: `form ${className}`, novalidate: true, id });
  const top = h("div.form-error", { role: "alert" });
  el.append(top);
  for (const spec of fields) el.append(fieldRow(spec));
  if (extra) el.append(extra);
  const button = h("button.primary", { type: "submit" }, submit);
  el.append(h("div.actions", button));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(el);
    button.disabled = true;
    try {
      await onSubmit(readForm(el, fields), el);
    } catch (err) {
      showErrors(el, err);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

export function fieldRow(spec) {
  const { name, label, type = "text", required, hint } = spec;
  const inputId = `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  let control;
  if (type === "select") {
    control = h("select", { id: inputId, name, required });
    if (!required || spec.placeholder) control.append(h("option", { value: "" }, spec.placeholder || "—"));
    for (const [code, text] of Object.entries(spec.options || {})) {
      control.append(h("option", { value: code, selected: String(spec.value ?? "") === code }, text));
    }
  } else if (type === "checks") {
    const values = new Set(spec.value || []);
    control = h("div.checks", { id: inputId, role: "group" },
      Object.entries(spec.options || {}).map(([code, text]) => h("label.check",
        h("input", { type: "checkbox", name, value: code, checked: values.has(code) }), text)));
  } else if (type === "checkbox") {
    control = h("label.check", h("input", { type: "checkbox", name, id: inputId, checked: !!spec.value }),
      spec.text || "");
  } else if (type === "textarea") {
    control = h("textarea", { id: inputId, name, rows: spec.rows || 3, placeholder: spec.placeholder || "" });
    control.value = spec.value ?? "";
  } else {
    const htmlType = type === "datetime" ? "datetime-local" : type;
    control = h("input", { id: inputId, name, type: htmlType, placeholder: spec.placeholder || "",
      min: spec.min, max: spec.max, step: spec.step, inputmode: type === "tel" ? "numeric" : undefined,
      autocomplete: spec.autocomplete || "off", ...(spec.attrs || {}) });
    if (spec.value !== undefined && spec.value !== null) control.value = spec.value;
  }
  if (spec.onChange) control.addEventListener("change", spec.onChange);
  if (type === "hidden") return h("div", { hidden: true, dataset: { field: name } }, control);
  return h("div.field", { dataset: { field: name }, class: spec.wide ? "wide" : "" },
    h("label", { for: inputId }, label, required ? h("span.req", " *") : null),
    control,
    hint ? h("small.hint", hint) : null,
    h("small.field-error", { role: "alert" }));
}

export function readForm(el, fields) {
  const values = {};
  for (const spec of fields) {
    const { name, type = "text" } = spec;
    if (type === "checks") {
      values[name] = [...el.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
      continue;
    }
    const input = el.querySelector(`[name="${name}"]`);
    if (!input) continue;
    if (type === "checkbox") { values[name] = input.checked; continue; }
    const v = input.value.trim();
    if (v === "") continue; // omitted: the API applies its default or says it is required
    values[name] = type === "number" ? Number(v) : v;
  }
  return values;
}

export function clearErrors(el) {
  el.querySelectorAll(".field.invalid").forEach((f) => f.classList.remove("invalid"));
  el.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
  el.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const top = el.querySelector(".form-error");
  if (top) top.replaceChildren();
}

/** Put an error's reasons beside the fields they name; the rest goes on top. */
export function showErrors(el, err, aliases = {}) {
  const top = el.querySelector(".form-error");
  if (!(err instanceof ApiError)) {
    top.append(h("div.alert.error", String(err)));
    return;
  }
  const loose = [];
  let placed = 0;
  for (const [path, text] of fieldErrors(err.details)) {
    const parts = path.split(".");
    const candidates = [path, aliases[path], parts[0], aliases[parts[0]]].filter(Boolean);
    const field = candidates.map((n) => el.querySelector(`.field[data-field="${n}"]`)).find(Boolean);
    if (field && !field.closest("[hidden]")) {
      field.classList.add("invalid");
      const box = field.querySelector(".field-error");
      box.textContent = box.textContent ? `${box.textContent}；${text}` : text;
      field.querySelector("input,select,textarea")?.setAttribute("aria-invalid", "true");
      placed += 1;
    } else if (!["service", "request_id", "path"].includes(path)) {
      loose.push(`${FIELD_LABELS[parts[0]] || parts[0]}：${text}`);
    }
  }
  if (!placed && !loose.length && err.code === "VALIDATION_FAILED" && err.message) {
    loose.push(reason(err.message)); // a reason the API gave without naming a field
  }
  top.append(h("div.alert.error", errorText(err), loose.length ? h("ul", loose.map((t) => h("li", t))) : null));
  el.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea")?.focus();
}

/** "上一页 · 第 2 / 5 页 · 下一页" for {page, per_page, total}. */
export function pager(data, onPage) {
  const pages = Math.max(1, Math.ceil((data.total || 0) / (data.per_page || 20)));
  if (pages <= 1) return h("p.muted.count", `共 ${data.total ?? 0} 条`);
  return h("nav.pager", { "aria-label": "分页" },
    h("button", { type: "button", disabled: data.page <= 1, on: { click: () => onPage(data.page - 1) } }, "‹ 上一页"),
    h("span", `第 ${data.page} / ${pages} 页 · 共 ${data.total} 条`),
    h("button", { type: "button", disabled: data.page >= pages, on: { click: () => onPage(data.page + 1) } }, "下一页 ›"));
}

/** A table that turns into cards below 640 px (each cell carries its column label). */
export function table(columns, rows, { empty = "暂无记录", rowAttrs } = {}) {
  if (!rows.length) return h("p.empty", empty);
  return h("table.list",
    h("thead", h("tr", columns.map((c) => h("th", c.label)))),
    h("tbody", rows.map((row) => h("tr", rowAttrs ? rowAttrs(row) : null,
      columns.map((c) => h("td", { "data-label": c.label, class: c.class }, c.render(row)))))));
}

export function link(href, text) {
  return h("a", { href }, text);
}

/** Run an action from a button: disable it meanwhile, toast the API's error. */
export async function act(button, fn, done = "已完成") {
  if (button) button.disabled = true;
  try {
    const result = await fn();
    if (done) toast(done);
    return result;
  } catch (err) {
    toast(err instanceof ApiError ? errorText(err) : String(err), "error");
    throw err;
  } finally {
    if (button) button.disabled = false;
  }
}

export function section(title, ...children) {
  return h("section.card", h("h2", title), ...children);
}

const SAMPLE_HINT = "示例数据：不计入任何指标、导出或汇总，管理员可在指标看板一键清除";

/** A record's name with 【示例】 beside it when it is sample data: the record's flag
 *  decides, and a name already starting with the mark does not show it twice. */
export function sampleName(name, sample) {
  if (!sample) return name;
  return [h("span.sample-mark", { title: SAMPLE_HINT }, "【示例】"), String(name ?? "").replace(/^【示例】/, "")];
}
