// Days, times and instants as the practice's calendar shows them (Europe/Berlin), in the page's
// language. A day is an ISO date ("2026-12-05"); a time of day is "HH:MM" in Berlin.

const ZONE = "Europe/Berlin";

export function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

function asDate(day) {
  return new Date(`${day}T12:00:00Z`);  // noon: the same calendar day in every zone's formatter below
}

export function createFormat(language, texts) {
  const locale = language === "en" ? "en-GB" : "de-DE";
  const longDay = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  const shortDay = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "numeric", timeZone: "UTC" });
  const plainDay = new Intl.DateTimeFormat(locale, { day: "numeric", month: "numeric", year: "numeric", timeZone: "UTC" });
  const date = new Intl.DateTimeFormat(locale, { day: "numeric", month: "numeric", year: "numeric", timeZone: ZONE });
  const clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: ZONE });
  const isoDay = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: ZONE });

  function endOf(start, minutes) {
    const [hours, mins] = start.split(":").map(Number);
    const total = (hours * 60 + mins + minutes) % (24 * 60);
    return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
  }

  return {
    today: () => isoDay.format(new Date()),
    addDays(day, count) {
      const moment = asDate(day);
      moment.setUTCDate(moment.getUTCDate() + count);
      return moment.toISOString().slice(0, 10);
    },
    longDay: (day) => longDay.format(asDate(day)),
    shortDay: (day) => shortDay.format(asDate(day)),
    plainDay: (day) => plainDay.format(asDate(day)),
    stamp(instant) {
      const moment = new Date(instant);
      return fill(texts.stamp, { date: date.format(moment), time: clock.format(moment) });
    },
    timeRange: (start, minutes) => fill(texts.time_range, { start, end: endOf(start, minutes) }),
    minutes: (count) => fill(texts.minutes, { n: count }),
  };
}
