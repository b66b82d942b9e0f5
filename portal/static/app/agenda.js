// "Heute" and the day-by-day agenda over the whole window the database holds: appointments and
// course sessions of one day in time order, with practice and duration.

import { fill } from "./format.js";
import { clone, field, setText } from "./view.js";

export class Agenda {
  constructor(section, { format, texts, go }) {
    Object.assign(this, { section, format, texts, go });
    this.day = null;
    section.querySelector("[data-action=previous]").addEventListener("click", () => this.step(-1));
    section.querySelector("[data-action=next]").addEventListener("click", () => this.step(1));
    section.querySelector("[data-action=today]").addEventListener("click", () => go("heute"));
    field(section, "pick").addEventListener("change", (event) => {
      if (event.target.value) {
        go(`tag/${event.target.value}`);
      }
    });
  }

  bounds(data) {
    return { first: data.meta.window_start, last: data.meta.window_end };
  }

  step(count) {
    const next = this.format.addDays(this.day, count);
    this.go(next === this.format.today() ? "heute" : `tag/${next}`);
  }

  render(data, day) {
    const today = this.format.today();
    const { first, last } = this.bounds(data);
    this.day = day < first ? first : day > last ? last : day;
    const title = this.day === today ? fill(this.texts.today_title, { date: this.format.longDay(today) })
      : this.format.longDay(this.day);
    this.section.querySelector("h1").textContent = title;
    const pick = field(this.section, "pick");
    Object.assign(pick, { min: first, max: last, value: this.day });
    this.section.querySelector("[data-action=previous]").disabled = this.day <= first;
    this.section.querySelector("[data-action=next]").disabled = this.day >= last;
    this.section.querySelector("[data-action=today]").disabled = this.day === today;
    const list = field(this.section, "items");
    const items = data.day(this.day).map((item) => this.item(item));
    list.replaceChildren(...items);
    list.hidden = !items.length;
    field(this.section, "empty").hidden = items.length > 0;
    setText(this.section, "window", fill(this.texts.window, {
      start: this.format.plainDay(first), end: this.format.plainDay(last) }));
  }

  item(entry) {
    const session = entry.type === "session";
    const node = clone(session ? "tpl-session" : "tpl-appointment");
    setText(node, "time", this.format.timeRange(entry.start_time, entry.duration_minutes));
    const where = [entry.practice, entry.city].filter(Boolean).join(", ");
    const parts = [where, this.format.minutes(entry.duration_minutes)];
    if (session) {
      parts.push(fill(this.texts.participants, { n: entry.participants }));
      setText(node, "kind", this.texts.kinds[entry.kind] || entry.kind);
      field(node, "title").href = `#kurse/${entry.id}`;
    }
    setText(node, "title", entry.title);
    setText(node, "where", parts.join(" · "));
    return node;
  }
}
