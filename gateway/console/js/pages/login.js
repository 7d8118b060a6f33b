import { login, ApiError } from "../api.js";
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
        try {
          await login(values.username || "", values.password || "");
        } catch (err) {
          if (err instanceof ApiError && err.code === "UNAUTHORIZED") {
            err.code = "BAD_LOGIN";
            err.details = { password: ["用户名或密码不正确"] };
          }
          throw err;
        }
        go(next.startsWith("/") && next !== "/login" ? next : "/");
      },
    }),
    h("p.muted", h("a", { href: "#/apply" }, "申请成为志愿者"))));
  view.querySelector("input")?.focus();
}
