// The console's shell: a hash router (#/events/12), the login gate, the menu.
import { session, setUnauthorizedHandler } from "./api.js";
import { h, clear, errorBox } from "./ui.js";
import * as loginPage from "./pages/login.js";
import * as home from "./pages/home.js";
import * as events from "./pages/events.js";
import * as volunteers from "./pages/volunteers.js";
import * as needs from "./pages/needs.js";
import * as cases from "./pages/cases.js";
import * as linkage from "./pages/linkage.js";
import * as reports from "./pages/reports.js";
import * as rooms from "./pages/rooms.js";
import * as partners from "./pages/partners.js";
import * as resources from "./pages/resources.js";
import * as eventViews from "./pages/event-views.js";
import * as selfService from "./pages/self-service.js";
import * as accounts from "./pages/accounts.js";
import * as shifts from "./pages/shifts.js";
import * as meetings from "./pages/meetings.js";
import * as district from "./pages/district.js";
import * as audit from "./pages/audit.js";
import * as consultations from "./pages/consultations.js";
import * as budget from "./pages/budget.js";

const ROUTES = [
  [/^\/login$/, loginPage.render, null],
  [/^\/apply$/, selfService.apply, null],
  [/^\/mine$/, selfService.mine, "me"],
  [/^\/applications$/, accounts.applications, "applications"],
  [/^\/users$/, accounts.users, "users"],
  [/^\/password$/, accounts.password, "password"],
  [/^\/$/, home.render, "home"],
  [/^\/events$/, events.list, "events"],
  [/^\/events\/month$/, eventViews.month, "events"],
  [/^\/events\/list$/, eventViews.listing, "events"],
  [/^\/events\/new$/, events.create, "events"],
  [/^\/events\/(\d+)$/, events.detail, "events"],
  [/^\/events\/(\d+)\/checkin$/, events.checkin, "events"],
  [/^\/volunteers$/, volunteers.list, "volunteers"],
  [/^\/volunteers\/new$/, volunteers.create, "volunteers"],
  [/^\/volunteers\/(\d+)$/, volunteers.detail, "volunteers"],
  [/^\/hours$/, volunteers.hours, "hours"],
  [/^\/needs$/, needs.list, "needs"],
  [/^\/needs\/new$/, needs.create, "needs"],
  [/^\/needs\/(\d+)$/, needs.detail, "needs"],
  [/^\/cases$/, cases.list, "cases"],
  [/^\/cases\/new$/, cases.create, "cases"],
  [/^\/cases\/(\d+)$/, cases.detail, "cases"],
  [/^\/linkage$/, linkage.render, "linkage"],
  [/^\/reports$/, reports.render, "reports"],
  [/^\/rooms$/, rooms.week, "rooms"],
  [/^\/partners$/, partners.list, "partners"],
  [/^\/partners\/new$/, partners.create, "partners"],
  [/^\/partners\/(\d+)$/, partners.detail, "partners"],
  [/^\/resources$/, resources.list, "resources"],
  [/^\/resources\/new$/, resources.create, "resources"],
  [/^\/resources\/(\d+)$/, resources.detail, "resources"],
  [/^\/shifts$/, shifts.list, "shifts"],
  [/^\/shifts\/(\d+)$/, shifts.detail, "shifts"],
  [/^\/kiosk$/, shifts.kiosk, "shifts"],
  [/^\/meetings\/new$/, meetings.create, "linkage"],
  [/^\/meetings\/(\d+)$/, meetings.detail, "linkage"],
  [/^\/district$/, district.list, "district"],
  [/^\/district\/([\w-]+)$/, district.detail, "district"],
  [/^\/audit$/, audit.list, "audit"],
  [/^\/consultations$/, consultations.list, "consultations"],
  [/^\/consultations\/(\d+)$/, consultations.detail, "consultations"],
  [/^\/budget$/, budget.render, "budget"],
];

// Pages open without logging in: the login and the volunteer application form.
const PUBLIC_PATHS = ["/login", "/apply"];
const main = document.getElementById("app");
const topbar = document.getElementById("topbar");
const nav = document.getElementById("nav");
const toggle = document.getElementById("menu-toggle");

export function go(path) {
  if (location.hash === `#${path}`) route();
  else location.hash = `#${path}`;
}

function currentPath() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs] = raw.split("?");
  return { path, params: new URLSearchParams(qs || "") };
}

let generation = 0;
async function route() {
  const { path, params } = currentPath();
  if (!session.token && !PUBLIC_PATHS.includes(path)) {
    location.hash = `#/login?next=${encodeURIComponent(path)}`;
    return;
  }
  topbar.hidden = !session.token;
  // What each role may reach (the gateway enforces it; the menu just follows).
  nav.querySelectorAll("[data-roles]").forEach((a) => {
    a.hidden = !a.dataset.roles.split(" ").includes(session.role);
  });
  if (session.role === "volunteer" && (path === "/" || path === "/me")) {
    location.hash = session.volunteerId ? "#/mine" : "#/login";
    return;
  }
  nav.classList.remove("open");
  toggle.setAttribute("aria-expanded", "false");
  const found = ROUTES.map(([re, fn, key]) => [path.match(re), fn, key]).find(([m]) => m);
  const mine = ++generation;
  if (!found) {
    clear(main, h("h1", "页面不存在"), h("p", h("a", { href: "#/" }, "返回指标看板")));
    return;
  }
  const [match, render, key] = found;
  nav.querySelectorAll("a").forEach((a) => a.classList.toggle("active", a.dataset.nav === key));
  const view = h("div.view", { dataset: { page: key || "login" } }, h("p.muted.loading", "加载中…"));
  clear(main, view);
  try {
    await render(view, { params, args: match.slice(1), go, isCurrent: () => mine === generation });
  } catch (err) {
    if (mine === generation) clear(view, errorBox(err));
    console.error(err);
  }
  if (mine === generation) main.focus({ preventScroll: true });
}

setUnauthorizedHandler(() => {
  session.clear();
  const { path } = currentPath();
  if (path !== "/login") location.hash = `#/login?next=${encodeURIComponent(path)}&expired=1`;
});

toggle.addEventListener("click", () => {
  const open = nav.classList.toggle("open");
  toggle.setAttribute("aria-expanded", String(open));
});
document.getElementById("logout").addEventListener("click", () => {
  session.clear();
  go("/login");
});
window.addEventListener("hashchange", route);
route();
