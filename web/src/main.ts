// The app's entry: sign-in, the shell with its navigation, and the routes.

import "./styles.css";
import { whenUnauthorized } from "./api";
import { can, identity, resume, signOut } from "./auth";
import { h, mount } from "./dom";
import * as live from "./live";
import { href, route, startRouter } from "./router";
import { loginView } from "./views/login";
import { explorerView } from "./views/explorer";
import { twinView } from "./views/twin";
import { sceneView } from "./views/scene";
import { alertsView } from "./views/alerts";
import { workordersView } from "./views/workorders";
import { workorderView } from "./views/procedure";
import { simView } from "./views/sim";

const app = document.getElementById("app")!;

function shell(): HTMLElement {
  const me = identity()!;
  const status = h("span", { class: "live-state", title: "live event stream" }, "connecting…");
  live.onState((up) => {
    status.textContent = up ? "● live" : "○ offline";
    status.classList.toggle("down", !up);
  });
  const link = (name: string, label: string) => h("a", { href: href("/" + name), "data-route": name }, label);
  const main = h("main", { id: "main" });
  mount(
    app,
    h(
      "header",
      {},
      h("a", { class: "brand", href: href("/") }, "ferrotwin"),
      h(
        "nav",
        {},
        link("twins", "Twins"),
        link("scene", "3D plant"),
        link("alerts", "Alerts"),
        link("workorders", "Work orders"),
        can("writer") ? link("sim", "Simulator") : null,
      ),
      status,
      h("span", { class: "who", title: `role: ${me.role}` }, `${me.name} · ${me.role}`),
      h("button", { class: "link", onclick: () => { signOut(); live.stop(); location.hash = "#/"; location.reload(); } }, "Sign out"),
    ),
    main,
  );
  return main;
}

async function boot(): Promise<void> {
  whenUnauthorized(() => {
    signOut();
    live.stop();
    loginView(app, "Your session ended (the token expired or was revoked). Sign in again.", boot);
  });
  const me = await resume();
  if (!me) {
    loginView(app, null, boot);
    return;
  }
  live.start();
  route("", (root) => sceneView(root, [], new URLSearchParams()));
  route("twins", explorerView);
  route("twin", twinView);
  route("scene", sceneView);
  route("alerts", alertsView);
  route("workorders", workordersView);
  route("workorder", workorderView);
  route("sim", simView);
  startRouter(shell());
}

void boot();
