// Hash routes: `#/twins`, `#/twin/pump-1`, `#/scene?twin=pump-1` and so on.
// A view renders into the main element and returns what to undo when the
// route changes (close sockets, stop render loops).

export type Cleanup = () => void;
export type View = (root: HTMLElement, args: string[], params: URLSearchParams) => Cleanup | void | Promise<Cleanup | void>;

const routes = new Map<string, View>();
let current: Cleanup | null = null;
let root: HTMLElement | null = null;
let generation = 0;

/** Registers a view under its first path segment. */
export function route(name: string, view: View): void {
  routes.set(name, view);
}

/** Goes to a route. */
export function go(path: string): void {
  location.hash = "#" + path;
}

/** The link to a route. */
export function href(path: string): string {
  return "#" + path;
}

async function show(): Promise<void> {
  if (!root) return;
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, qs] = raw.split("?", 2);
  const segs = path.split("/").filter(Boolean).map(decodeURIComponent);
  const name = segs[0] ?? "";
  const view = routes.get(name) ?? routes.get("")!;
  current?.();
  current = null;
  const mine = ++generation;
  root.replaceChildren();
  document.querySelectorAll("nav a[data-route]").forEach((a) =>
    a.classList.toggle("active", (a as HTMLElement).dataset.route === name),
  );
  const undo = await view(root, segs.slice(1), new URLSearchParams(qs ?? ""));
  if (mine !== generation) {
    if (undo) undo();
    return;
  }
  current = undo ?? null;
}

/** Starts routing into `el`. */
export function startRouter(el: HTMLElement): void {
  root = el;
  window.addEventListener("hashchange", () => void show());
  void show();
}
