import { login } from "../api.js";
import { h, clear, form } from "../ui.js";

export async function render(view, { params, go }) {
  const next = params.get("next") || "/";
  clear(view, h("div.login-card",
    h("h1", "融和工作台"),
    h("p.muted", "和通社区 · “治在融和”项目"),
    params.get("expired") ? h("div.alert.warn", "登录已失效，请重新登录") : null,
    form({
      id: "login-form",
      fields: [
        { name: "username", label: "用户名", required: true, autocomplete: "username" },
        { name: "password", label: "密码", type: "password", required: true,
          autocomplete: "current-password" },
      ],
      submit: "登录",
      onSubmit: async (values) => {
        await login(values.username || "", values.password || "");
        go(next.startsWith("/") && next !== "/login" ? next : "/");
      },
    })));
  view.querySelector("input")?.focus();
}
