// 场地预约: a week of the station's rooms, grouped as 五室两厅 (children and youth) and 三室一厅
// (elders), opening hours shaded, bookings and the events holding them shown; book and cancel
// from the grid; a recurring booking (e.g. 四点半课堂 every weekday for a term) is previewed
// and its conflicts listed before it is confirmed: the API writes a series whole or not at all.
import { api, request } from "../api.js";
import { h, clear, form, act, section, toast, showErrors, badge } from "../ui.js";
import { fmt, todayLocal } from "../i18n.js";

const WINGS = [
  ["children", "五室两厅 · 儿童青少年服务区"],
  ["elders", "三室一厅 · 长者服务区"],
  ["shared", "公共区域"],
];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES = { mon: "周一", tue: "周二", wed: "周三", thu: "周四", fri: "周五", sat: "周六", sun: "周日" };
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"];

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function mondayOf(day) {
  const d = new Date(`${day}T00:00:00Z`);
  return addDays(day, -((d.getUTCDay() + 6) % 7));
}

const dayCode = (day) => DAYS[(new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7];
const hoursText = (spans) => (spans && spans.length ? spans.map(([a, b]) => `${a}–${b}`).join("、") : "闭馆");
const slotText = (b) => `${fmt.time(b.start)}–${fmt.time(b.end)}`;

/** One conflict of an occurrence, in Chinese, from the API's structured answer. */
function conflictText(c, venue) {
  const when = `${fmt.date(c.start)}（${DAY_NAMES[dayCode(fmt.date(c.start))]}）${fmt.time(c.start)}–${fmt.time(c.end)}`;
  if (c.kind === "booking") {
    const other = c.conflicting_booking || {};
    const holder = c.event_id ? `，活动 #${c.event_id}` : "";
    return [when, `：与「${other.purpose || "已有预约"}」${slotText(other)} 冲突（预约 #${c.booking_id}${holder}）`];
  }
  if (c.kind === "opening_hours") {
    const day = dayCode(fmt.date(c.start));
    return [when, `：不在开放时间内（${DAY_NAMES[day]} ${hoursText(venue?.opening_hours?.[day])}）`];
  }
  return [when, "：该时刻因时钟调整当天不存在"];
}

function conflictList(conflicts, venue) {
  return h("ul.conflicts", { "aria-label": "冲突列表" }, conflicts.map((c) => h("li", { dataset: { kind: c.kind } },
    conflictText(c, venue), c.event_id ? [" ", h("a", { href: `#/events/${c.event_id}` }, "查看活动")] : null)));
}

export async function week(view, { params, go }) {
  const start = mondayOf(params.get("week") || todayLocal());
  const days = DAYS.map((_, i) => addDays(start, i));
  const venues = (await api.get("/venues")).items;
  const listings = await Promise.all(venues.map((v) => api.get(`/venues/${v.id}/bookings`, { from: days[0], to: days[6] })));
  const byVenue = new Map(venues.map((v, i) => [v.id, listings[i].items]));
  const reload = () => week(view, { params, go });
  const weekLink = (offset, text) => h("a.button", { href: `#/rooms?week=${addDays(start, offset)}` }, text);

  const single = singleForm(venues, reload);
  const recurring = recurringForm(venues, reload);
  const bookHere = (venue, day) => {
    single.querySelector('[name="venue_id"]').value = String(venue.id);
    single.querySelector('[name="date"]').value = day;
    single.scrollIntoView({ behavior: "smooth", block: "center" });
    single.querySelector('[name="start_time"]').focus();
  };

  const grids = WINGS.map(([wing, title]) => {
    const rooms = venues.filter((v) => v.wing === wing);
    if (!rooms.length) return null;
    return section(title, h("div.week-scroll", h("table.week-grid", { dataset: { wing } },
      h("thead", h("tr", h("th", { scope: "col" }, "场地"),
        days.map((d) => h("th", { scope: "col", class: d === todayLocal() ? "today" : "" }, `${DAY_NAMES[dayCode(d)]} ${Number(d.slice(5, 7))}/${Number(d.slice(8))}`)))),
      h("tbody", rooms.map((venue) => h("tr",
        h("th", { scope: "row" }, venue.name, h("small.muted", ` ${venue.kind_label || ""} · ${venue.capacity}人`)),
        days.map((day) => dayCell(venue, day, byVenue.get(venue.id), bookHere, reload))))))));
  });

  clear(view,
    h("div.page-head", h("h1", "场地预约"),
      h("div.week-nav", weekLink(-7, "‹ 上一周"), h("a.button", { href: "#/rooms" }, "本周"), weekLink(7, "下一周 ›")),
      h("p.muted", `${days[0]} 至 ${days[6]} · 浅色底为开放时间，斜纹为闭馆`)),
    grids,
    section("单次预约", single),
    section("周期预约（如四点半课堂：每个工作日 16:30–18:00，一学期）",
      h("p.muted.small", "先预览：列出每一次与已有预约、活动或开放时间的冲突；确认后整个周期一次写入，有冲突则一次也不写入。"),
      recurring));
}

function dayCell(venue, day, bookings, bookHere, reload) {
  const spans = venue.opening_hours?.[dayCode(day)];
  const mine = bookings.filter((b) => fmt.date(b.start) === day);
  return h("td", { class: spans && spans.length ? "slot-open" : "slot-closed", dataset: { day, venue: venue.id } },
    h("small.hours", hoursText(spans)),
    mine.map((b) => bookingChip(b, reload)),
    spans && spans.length && venue.status === "active"
      ? h("button.small.link.add", { type: "button", "aria-label": `预约 ${venue.name} ${day}`, on: { click: () => bookHere(venue, day) } }, "＋ 预约")
      : null);
}

function bookingChip(b, reload) {
  const actions = h("span.chip-actions");
  const cancelOne = (e) => act(e.target, () => api.del(`/bookings/${b.id}`), "已取消该次预约").then(reload);
  const cancelFrom = (e) => act(e.target, () => request("DELETE", `/booking-series/${b.series_id}`,
    { params: { from_booking_id: b.id } }), "已取消本次及以后").then(reload);
  const cancelAll = (e) => act(e.target, () => request("DELETE", `/booking-series/${b.series_id}`), "已取消整个周期").then(reload);
  const showChoices = () => clear(actions,
    h("button.small.danger", { type: "button", on: { click: cancelOne } }, b.series_id ? "仅本次" : "确认取消"),
    b.series_id ? h("button.small.danger", { type: "button", on: { click: cancelFrom } }, "本次及以后") : null,
    b.series_id ? h("button.small.danger", { type: "button", on: { click: cancelAll } }, "整个周期") : null,
    h("button.small", { type: "button", on: { click: () => clear(actions, cancelButton) } }, "返回"));
  const cancelButton = h("button.small.link", { type: "button", on: { click: showChoices } }, "取消");
  actions.append(cancelButton);
  return h("div.booking-chip", { dataset: { booking: b.id, series: b.series_id || "" } },
    h("strong", slotText(b)), " ", b.purpose,
    b.series_id ? [" ", badge("周期", "series")] : null,
    b.event_id ? [" ", h("a", { href: `#/events/${b.event_id}` }, `活动 #${b.event_id}`)] : null,
    " ", actions);
}

const venueOptions = (venues) => Object.fromEntries(venues.filter((v) => v.status === "active").map((v) => [String(v.id), v.name]));

function singleForm(venues, reload) {
  return form({
    id: "booking-form",
    className: "inline",
    fields: [
      { name: "venue_id", label: "场地", type: "select", options: venueOptions(venues), required: true },
      { name: "date", label: "日期", type: "date", required: true, value: todayLocal() },
      { name: "start_time", label: "开始", type: "time", required: true },
      { name: "end_time", label: "结束", type: "time", required: true },
      { name: "purpose", label: "用途", required: true, placeholder: "如：小组活动" },
    ],
    submit: "预约",
    onSubmit: async (v, el) => {
      const body = { purpose: v.purpose, start: v.date && v.start_time ? `${v.date}T${v.start_time}` : undefined,
        end: v.date && v.end_time ? `${v.date}T${v.end_time}` : undefined };
      try {
        await api.post(`/venues/${v.venue_id || 0}/bookings`, body);
      } catch (err) {
        showErrors(el, err, { start: "start_time", end: "end_time", venue_id: "venue_id" });
        return;
      }
      toast("已预约");
      reload();
    },
  });
}

function recurringForm(venues, reload) {
  const result = h("div#series-preview", { "aria-live": "polite" });
  let pending = null; // the body last previewed, confirmed as it is
  const aliases = { start: "first_date", end: "end_time", "rule.until": "until", "rule.count": "until",
    "rule.by_weekday": "by_weekday", rule: "by_weekday", "rule._schema": "until", exdates: "exdates" };
  const body = (v) => ({
    purpose: v.purpose,
    start: v.first_date && v.start_time ? `${v.first_date}T${v.start_time}` : undefined,
    end: v.first_date && v.end_time ? `${v.first_date}T${v.end_time}` : undefined,
    rule: { freq: "weekly", by_weekday: v.by_weekday, ...(v.until ? { until: v.until } : {}) },
    exdates: (v.exdates || "").split(/[\s,，、]+/).filter(Boolean),
  });
  const venueOf = (id) => venues.find((x) => String(x.id) === String(id));

  const f = form({
    id: "series-form",
    fields: [
      { name: "venue_id", label: "场地", type: "select", options: venueOptions(venues), required: true,
        value: String(venues.find((x) => x.code === "C-R2")?.id || "") },
      { name: "purpose", label: "用途", required: true, value: "四点半课堂" },
      { name: "first_date", label: "首次日期", type: "date", required: true },
      { name: "until", label: "截止日期（含）", type: "date", required: true, hint: "最长一年，最多 300 次" },
      { name: "start_time", label: "开始", type: "time", required: true, value: "16:30" },
      { name: "end_time", label: "结束", type: "time", required: true, value: "18:00" },
      { name: "by_weekday", label: "每周", type: "checks", options: DAY_NAMES, value: WEEKDAYS, wide: true },
      { name: "exdates", label: "跳过日期", wide: true, placeholder: "如 2027-04-05, 2027-05-03（节假日）",
        hint: "这些日期不预约" },
    ],
    submit: "预览冲突",
    extra: h("div.extra", result),
    onSubmit: async (v, el) => {
      clear(result);
      pending = null;
      const data = body(v);
      const venue = venueOf(v.venue_id);
      let preview;
      try {
        preview = await api.post(`/venues/${v.venue_id || 0}/booking-series/preview`, data);
      } catch (err) {
        showErrors(el, err, aliases);
        return;
      }
      pending = { venueId: v.venue_id, data };
      const confirm = h("button#series-confirm.primary", { type: "button", disabled: preview.conflict_count > 0 }, `确认预约 ${preview.count} 次`);
      confirm.addEventListener("click", async () => {
        try {
          const series = await act(confirm, () => api.post(`/venues/${pending.venueId}/booking-series`, pending.data), null);
          toast(`已预约 ${series.occurrences} 次`);
          reload();
        } catch (err) {
          if (err.code === "CONFLICT" && err.details?.conflicts) {
            clear(result, h("div.alert.error", { role: "alert" }, `有 ${err.details.conflict_count} 次冲突，未写入任何预约`),
              conflictList(err.details.conflicts, venue));
          }
        }
      });
      const skip = h("button#series-skip", { type: "button" }, "跳过冲突日期后重新预览");
      skip.addEventListener("click", () => {
        const input = el.querySelector('[name="exdates"]');
        const dates = new Set(input.value.split(/[\s,，、]+/).filter(Boolean));
        preview.conflicts.forEach((c) => dates.add(fmt.date(c.start)));
        input.value = [...dates].sort().join(", ");
        el.requestSubmit();
      });
      clear(result,
        h("p.series-summary", `共 ${preview.count} 次，${preview.conflict_count ? `其中 ${preview.conflict_count} 次有冲突` : "没有冲突"}`),
        preview.conflict_count ? [conflictList(preview.conflicts, venue),
          h("p.muted.small", "有冲突时不能确认：调整时间，或跳过冲突的日期。")] : null,
        h("div.actions", confirm, preview.conflict_count ? skip : null));
    },
  });
  return f;
}
