// A check-in without a connection, screen by screen: the course, who it is (identified from the
// day's data on the tablet), not twice for the same course and day, the signature, then the check-in
// waits in the queue with a unique id and the day's ticket until the connection returns.

import { find } from "./identity.js";
import { seconds, texts } from "./page.js";
import * as screens from "./screens.js";
import { berlinDay, enqueue, queued } from "./store.js";
import { showQueue } from "./sync.js";

function identify(snapshot, typed) {
  // A promise of the person the chip, or the last name with the date of birth, belongs to.
  return find(snapshot, typed).catch(() => null);
}

async function alreadyIn(snapshot, course, person) {
  // Checked in today already, online or in this tablet's queue: no second signature.
  if ((snapshot.checked_in || []).some(([courseId, personId]) => courseId === course.id && personId === person.id)) {
    return true;
  }
  try {
    return (await queued()).some((item) => item.course_id === course.id && item.participant_id === person.id &&
      berlinDay(new Date(item.signed_at)) === snapshot.day);
  } catch {
    return false;
  }
}

function newId() {
  if (window.crypto && crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => (b + 0x100).toString(16).slice(1)).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

function showCourses(snapshot) {
  screens.courses(snapshot, (course) => showIdentify(snapshot, course));
}

function showIdentify(snapshot, course, error) {
  screens.identify(course, error, {
    onTyped: (typed) => identify(snapshot, typed).then((person) => proceed(snapshot, course, person)),
    onOverview: () => showCourses(snapshot),
  });
}

async function proceed(snapshot, course, person) {
  const words = texts();
  if (!person) {
    showIdentify(snapshot, course, words.not_found);
  } else if (await alreadyIn(snapshot, course, person)) {
    showIdentify(snapshot, course, words.already.replace("{name}", () => person.name));
  } else {
    showSign(snapshot, course, person);
  }
}

function showSign(snapshot, course, person, error) {
  screens.sign(course, person, error, (signature) => {
    if (!signature) {
      showSign(snapshot, course, person, texts().sign_first);
      return;
    }
    const item = { id: newId(), course_id: course.id, participant_id: person.id,
                   signed_at: new Date().toISOString(), signature, ticket: snapshot.ticket };
    enqueue(item).then(() => showSaved(snapshot, course, person),
                       () => showSign(snapshot, course, person, texts().no_storage));
  });
}

function showSaved(snapshot, course, person) {
  // The next person must not read this: back to the course's first step (TERMINAL_RESULT_SECONDS).
  const timer = window.setTimeout(() => showIdentify(snapshot, course), seconds("resultSeconds"));
  screens.saved(person, () => {
    window.clearTimeout(timer);
    showIdentify(snapshot, course);
  });
  showQueue(false);
}

export function startOffline(snapshot, courseId, typed) {
  // typed: what the page's own form held when it was sent without a connection
  const course = snapshot.courses.find((c) => c.id === courseId);
  if (!course) {
    showCourses(snapshot);
  } else if (typed) {
    identify(snapshot, typed).then((person) => proceed(snapshot, course, person));
  } else {
    showIdentify(snapshot, course);
  }
}
