// DTDL commands of a twin: listed from its model (inheritance and
// components included), with a form generated from each request schema,
// a confirmation, and the device's reply or the reason there is none.
// Also the confirmation dialog other views use before they act.

import "./views.css";
import { ApiError, call } from "../api";
import { can } from "../auth";
import { h, mount } from "../dom";
import { schemaText, type Content, type Field, type FlatModel, type Schema } from "./models";

/** Asks a yes/no question in a modal dialog; resolves true on OK. */
export function confirmDialog(title: string, body: (Node | string | null)[], ok: string, danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "confirm", "aria-label": title });
    const done = (v: boolean) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    const okBtn = h("button", { type: "button", class: danger ? "danger" : "", onclick: () => done(true) }, ok);
    mount(
      dlg,
      h("h2", {}, title),
      h("div", { class: "confirm-body" }, body),
      h("div", { class: "row end" }, h("button", { type: "button", class: "secondary", onclick: () => done(false) }, "Cancel"), okBtn),
    );
    dlg.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    okBtn.focus();
  });
}

/** An input for one schema; `read()` gives the JSON value or throws saying what is wrong. */
interface Input {
  el: HTMLElement;
  read(): unknown;
}

const INTEGER = ["integer", "long", "byte", "short", "unsignedByte", "unsignedShort", "unsignedInteger", "unsignedLong"];
const FLOAT = ["double", "float", "decimal"];

function primitiveInput(schema: string, label: string): Input {
  if (schema === "boolean") {
    const sel = h("select", {}, h("option", { value: "false" }, "false"), h("option", { value: "true" }, "true"));
    return { el: sel, read: () => sel.value === "true" };
  }
  if (INTEGER.includes(schema) || FLOAT.includes(schema)) {
    const inp = h("input", { type: "number", step: INTEGER.includes(schema) ? "1" : "any", required: true });
    return {
      el: inp,
      read: () => {
        const v = inp.valueAsNumber;
        if (inp.value.trim() === "" || !Number.isFinite(v)) throw new Error(`${label}: enter a number`);
        if (INTEGER.includes(schema) && !Number.isInteger(v)) throw new Error(`${label}: enter a whole number`);
        if (schema.startsWith("unsigned") && v < 0) throw new Error(`${label}: must not be negative`);
        return v;
      },
    };
  }
  if (schema === "date") {
    const inp = h("input", { type: "date", required: true });
    return { el: inp, read: () => { if (!inp.value) throw new Error(`${label}: pick a date`); return inp.value; } };
  }
  if (schema === "time") {
    const inp = h("input", { type: "time", step: "1", required: true });
    return { el: inp, read: () => { if (!inp.value) throw new Error(`${label}: pick a time`); return inp.value.length === 5 ? inp.value + ":00" : inp.value; } };
  }
  if (schema === "dateTime") {
    const inp = h("input", { type: "datetime-local", step: "1", required: true });
    return {
      el: inp,
      read: () => {
        const t = Date.parse(inp.value);
        if (!inp.value || !Number.isFinite(t)) throw new Error(`${label}: pick a date and time`);
        return new Date(t).toISOString();
      },
    };
  }
  if (schema === "duration") {
    const inp = h("input", { type: "text", placeholder: "ISO 8601, e.g. PT15M", pattern: "^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$", required: true });
    return {
      el: inp,
      read: () => {
        if (!inp.checkValidity()) throw new Error(`${label}: write an ISO 8601 duration such as PT15M or P1DT2H`);
        return inp.value;
      },
    };
  }
  // string, and anything this form does not know: a text box.
  const inp = h("input", { type: "text" });
  return { el: inp, read: () => inp.value };
}

function jsonInput(label: string, hint: string): Input {
  const ta = h("textarea", { rows: 3, class: "mono", placeholder: hint, spellcheck: "false" });
  return {
    el: ta,
    read: () => {
      try {
        return JSON.parse(ta.value);
      } catch (e) {
        throw new Error(`${label}: not valid JSON (${e instanceof Error ? e.message : e})`);
      }
    },
  };
}

/** A form input for `schema`, nested for objects. */
export function schemaInput(schema: Schema, label: string): Input {
  if (typeof schema === "string") return primitiveInput(schema, label);
  switch (schema["@type"]) {
    case "Enum": {
      const sel = h(
        "select",
        {},
        (schema.enumValues ?? []).map((v) => h("option", { value: String(v.enumValue), title: v.description }, v.displayName !== String(v.enumValue) ? `${v.displayName} (${v.enumValue})` : String(v.enumValue))),
      );
      const numeric = schema.valueSchema === "integer";
      return { el: sel, read: () => (numeric ? Number(sel.value) : sel.value) };
    }
    case "Object": {
      const parts = (schema.fields ?? []).map((f) => ({ f, input: schemaInput(f.schema, `${label}.${f.name}`) }));
      return {
        el: h("fieldset", { class: "object" }, parts.map(({ f, input }) => fieldLabel(f, input.el))),
        read: () => Object.fromEntries(parts.map(({ f, input }) => [f.name, input.read()])),
      };
    }
    case "Array":
      return jsonInput(label, `a JSON array of ${schemaText(schema.elementSchema)}, e.g. []`);
    case "Map":
      return jsonInput(label, `a JSON object of ${schemaText(schema.mapKey?.schema)} → ${schemaText(schema.mapValue?.schema)}, e.g. {}`);
  }
}

function fieldLabel(f: Field, input: HTMLElement): HTMLElement {
  return h(
    "label",
    {},
    h("span", {}, h("strong", {}, f.displayName), f.displayName !== f.name ? h("span", { class: "muted mono" }, ` ${f.name}`) : null, h("span", { class: "muted" }, ` · ${schemaText(f.schema)}`), f.unit ? h("span", { class: "muted" }, ` · ${f.unit}`) : null),
    input,
    f.description ? h("span", { class: "hint" }, f.description) : null,
  );
}

function explain(e: unknown, timeout: number): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  switch (e.code) {
    case "DeviceNotConnected":
      return `No device of this twin is connected, so nothing was sent. (${e.message})`;
    case "CommandTimeout":
      return `The device got the command but did not answer within ${timeout} s. It may still act on it. (${e.message})`;
    case "InvalidCommandResponse":
      return `The device answered with something that does not fit the model. (${e.message})`;
    case "ServiceUnavailable":
      return `The platform has no device endpoint running to deliver commands. (${e.message})`;
    default:
      return `${e.status} ${e.code}: ${e.message}`;
  }
}

/** One command: its description, and for writers the form. */
function commandItem(twin: string, component: string | null, c: Content): HTMLElement {
  const title = component ? `${component} · ${c.displayName}` : c.displayName;
  const req = c.request;
  const desc = h(
    "div",
    { class: "cmd-desc" },
    h("div", { class: "row" }, h("strong", {}, title), c.displayName !== c.name ? h("span", { class: "mono muted" }, c.name) : null),
    c.description ? h("p", { class: "hint" }, c.description) : null,
    h(
      "p",
      { class: "hint" },
      req ? `Request: ${req.name} (${schemaText(req.schema)}${req.unit ? `, ${req.unit}` : ""})` : "No request payload.",
      c.response ? ` · Response: ${c.response.name} (${schemaText(c.response.schema)})` : "",
    ),
  );
  if (!can("writer")) return h("li", { class: "cmd" }, desc);
  const input = req ? schemaInput(req.schema, req.name) : null;
  const omit = req?.nullable ? h("input", { type: "checkbox" }) : null;
  const wait = h("input", { type: "number", min: "1", max: "300", step: "1", value: "30", class: "narrow", "aria-label": "seconds to wait for the answer" });
  const result = h("div", { class: "cmd-result", role: "status" });
  const send = h("button", { type: "submit" }, `Send ${c.name}…`);
  const form = h(
    "form",
    { class: "cmd-form" },
    req && input ? fieldLabel(req, input.el) : null,
    omit ? h("label", { class: "inline" }, omit, " send without a payload (the request is nullable)") : null,
    h("div", { class: "row" }, send, h("label", { class: "inline hint" }, "wait up to ", wait, " s for the device")),
    result,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    let payload: unknown = undefined;
    try {
      if (input && !omit?.checked) payload = input.read();
    } catch (e) {
      mount(result, h("p", { class: "error" }, e instanceof Error ? e.message : String(e)));
      return;
    }
    const timeout = Math.max(1, Math.min(300, Math.round(wait.valueAsNumber || 30)));
    const ok = await confirmDialog(
      `Send ${c.name} to twin ${twin}?`,
      [
        component ? h("p", {}, `Component: ${component}`) : null,
        h("p", {}, payload === undefined ? "No payload." : "Payload:"),
        payload === undefined ? null : h("pre", { class: "mono" }, JSON.stringify(payload, null, 2)),
        h("p", { class: "hint" }, `The platform passes it to the twin's device and waits up to ${timeout} s for the answer.`),
      ],
      `Send ${c.name}`,
    );
    if (!ok) return;
    send.disabled = true;
    const started = performance.now();
    mount(result, h("p", { class: "muted" }, `Sent; waiting for the device (up to ${timeout} s)…`));
    const base = `/digitaltwins/${encodeURIComponent(twin)}` + (component ? `/components/${encodeURIComponent(component)}` : "");
    try {
      const r = await call<{ status: number; payload: unknown }>("POST", `${base}/commands/${encodeURIComponent(c.name)}`, payload === undefined ? undefined : payload, { timeout });
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      const good = r.status >= 200 && r.status < 300;
      mount(
        result,
        h("p", { class: good ? "ok" : "error" }, `The device answered ${r.status}${good ? "" : " (it refused or failed)"} after ${secs} s.`),
        r.payload !== null && r.payload !== undefined ? h("pre", { class: "mono" }, JSON.stringify(r.payload, null, 2)) : h("p", { class: "hint" }, "No payload in the answer."),
      );
    } catch (e) {
      mount(result, h("p", { class: "error" }, explain(e, timeout)));
    } finally {
      send.disabled = false;
    }
  });
  return h("li", { class: "cmd" }, desc, form);
}

/** The commands of a twin's model and of its components' models. */
export function commandsPanel(twin: string, model: FlatModel, components: { name: string; model: FlatModel }[]): HTMLElement {
  const items: HTMLElement[] = [];
  for (const c of model.contents.filter((x) => x.kind === "Command")) items.push(commandItem(twin, null, c));
  for (const comp of components) for (const c of comp.model.contents.filter((x) => x.kind === "Command")) items.push(commandItem(twin, comp.name, c));
  if (!items.length) return h("p", { class: "muted" }, "This twin's model declares no commands.");
  return h("div", {}, can("writer") ? null : h("p", { class: "hint" }, "Sending commands needs the writer role; you can see what the model offers."), h("ul", { class: "cmds" }, items));
}
