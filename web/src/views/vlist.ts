// A list that builds only the rows in view, so ten thousand results
// scroll like ten. Rows are absolutely placed at `index * rowHeight`.

import { h } from "../dom";

/** A list of `count` rows of `rowHeight` pixels; `onNearEnd` asks for more. */
export function virtualList(rowHeight: number, renderRow: (i: number) => HTMLElement, onNearEnd: () => void) {
  const spacer = h("div", { class: "vlist-spacer" });
  const el = h("div", { class: "vlist", tabindex: 0, role: "listbox" }, spacer);
  let count = 0;
  let frame = 0;
  const draw = () => {
    frame = 0;
    spacer.style.height = `${count * rowHeight}px`;
    const first = Math.max(0, Math.floor(el.scrollTop / rowHeight) - 5);
    const last = Math.min(count, Math.ceil((el.scrollTop + el.clientHeight) / rowHeight) + 5);
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const r = renderRow(i);
      r.style.top = `${i * rowHeight}px`;
      r.style.height = `${rowHeight}px`;
      rows.push(r);
    }
    spacer.replaceChildren(...rows);
    if (count > 0 && last >= count - 20) onNearEnd();
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };
  el.addEventListener("scroll", schedule, { passive: true });
  const ro = new ResizeObserver(schedule);
  ro.observe(el);
  return {
    el,
    setCount(n: number) {
      count = n;
      schedule();
    },
    redraw: schedule,
    reveal(i: number) {
      if (i * rowHeight < el.scrollTop) el.scrollTop = i * rowHeight;
      else if ((i + 1) * rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = (i + 1) * rowHeight - el.clientHeight;
      schedule();
    },
    destroy() {
      ro.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
