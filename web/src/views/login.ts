// Sign-in: a ferrotwin token (`ferrotwin token create`, or the one
// `ferrotwin demo` prints).

import { signIn } from "../auth";
import { h, mount } from "../dom";

/** Shows the sign-in form in `app`; calls `done` once signed in. */
export function loginView(app: HTMLElement, notice: string | null, done: () => void): void {
  const input = h("input", { type: "password", name: "token", autocomplete: "current-password", placeholder: "token", required: true, "aria-label": "token" });
  const remember = h("input", { type: "checkbox", name: "remember", checked: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "login" },
    h("h1", {}, "ferrotwin"),
    notice ? h("p", { class: "notice" }, notice) : null,
    h("label", {}, "Access token", input),
    h("label", { class: "inline" }, remember, " Keep me signed in on this device"),
    h("button", { type: "submit" }, "Sign in"),
    error,
    h("p", { class: "hint" }, "Ask an administrator for a token (ferrotwin token create --role reader|writer|admin), or use the one ferrotwin demo prints."),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    try {
      await signIn(input.value.trim(), remember.checked);
      done();
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
    }
  });
  mount(app, form);
  input.focus();
}
