// "Kurse": each course with kind, weekday, time, practice, its next sessions and its participants.

import { fill } from "./format.js";
import { clone, field, setText } from "./view.js";

const NEXT_SESSIONS = 4;

export class Courses {
  constructor(section, { format, texts, language }) {
    Object.assign(this, { section, format, texts });
    this.collator = new Intl.Collator(language);
  }

  render(data, openId = null) {
    const today = this.format.today();
    const cards = data.courses().map((course) => this.card(data, course, today));
    field(this.section, "items").replaceChildren(...cards);
    field(this.section, "empty").hidden = cards.length > 0;
    const chosen = openId && this.section.querySelector(`#kurs-${openId}`);
    if (chosen) {
      chosen.querySelector("details").open = true;
      chosen.scrollIntoView({ block: "start" });
    }
  }

  card(data, course, today) {
    const node = clone("tpl-course");
    node.id = `kurs-${course.id}`;
    setText(node, "name", course.name);
    setText(node, "kind", this.texts.kinds[course.kind] || course.kind);
    setText(node, "when", [
      fill(this.texts.weekly, { weekday: this.texts.weekdays_plural[course.weekday],
        time: this.format.timeRange(course.start_time, course.duration_minutes) }),
      this.format.minutes(course.duration_minutes),
    ].join(" · "));
    setText(node, "where", [course.practice, course.city].filter(Boolean).join(", "));
    const sessions = data.nextSessions(course.id, today, NEXT_SESSIONS).map((day) => {
      const item = clone("tpl-next-session");
      const link = field(item, "day");
      link.href = day === today ? "#heute" : `#tag/${day}`;
      link.textContent = this.format.shortDay(day);
      return item;
    });
    field(node, "sessions").replaceChildren(...sessions);
    const people = data.participants(course.id)
      .sort((a, b) => this.collator.compare(a.last_name, b.last_name) || this.collator.compare(a.first_name, b.first_name))
      .map((person) => {
        const item = clone("tpl-participant");
        item.textContent = [person.last_name, person.first_name].filter(Boolean).join(", ");
        return item;
      });
    field(node, "participants").replaceChildren(...people);
    field(node, "participants").hidden = !people.length;
    field(node, "no_participants").hidden = people.length > 0;
    setText(node, "participants_title", fill(this.texts.participants_title, { n: people.length, capacity: course.capacity }));
    return node;
  }
}
