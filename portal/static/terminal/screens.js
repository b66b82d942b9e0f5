// The offline screens: clones of the <template> elements the page renders from the same pieces as
// the online pages (checkin/terminal/_offline_screens.html), filled with the course's and the
// person's words; what a screen leads to is up to the caller (offline.js).

import { texts } from "./page.js";

function clone(id) {
  return document.getElementById(id).content.cloneNode(true);
}

function field(root, name) {
  return root.querySelector(`[data-field="${name}"]`);
}

function fill(root, name, value, selector = `[data-field="${name}"]`) {
  // a field's text is either a "{placeholder}" phrase rendered by the page or just the value
  const node = root.querySelector(selector);
  const phrase = node.textContent;
  node.textContent = /\{\w+\}/.test(phrase) ? phrase.replace(/\{\w+\}/, () => value) : value;
  return node;
}

function showError(root, error) {
  if (error) {
    fill(root, "error", error);
  } else {
    field(root, "error").remove();
  }
}

function show(fragment) {
  const main = document.getElementById("main");
  main.removeAttribute("data-return-to");
  main.replaceChildren(fragment);
  const focus = main.querySelector("[autofocus]") || main.querySelector("h1");
  if (focus) {
    if (focus.tagName === "H1") {
      focus.setAttribute("tabindex", "-1");
    }
    focus.focus();
  }
}

function courseLine(course) {
  return `${course.name}, ${course.time}`;
}

export function courses(snapshot, onPick) {
  const screen = clone("tpl-offline-courses");
  const list = field(screen, "courses");
  if (snapshot.courses.length) {
    field(screen, "empty").remove();
  } else {
    list.remove();
  }
  for (const course of snapshot.courses) {
    const button = clone("tpl-offline-course");
    fill(button, "time", course.time, ".session-time");  // the online page's course button, offline
    fill(button, "name", course.name, ".session-name");
    fill(button, "detail", course.kind, "small");
    button.firstElementChild.addEventListener("click", () => onPick(course));
    list.append(button);
  }
  show(screen);
}

export function identify(course, error, { onTyped, onOverview }) {
  // onTyped(typed) returns a promise: identifying takes a moment (a slow derivation per person),
  // the button says so meanwhile
  const screen = clone("tpl-offline-identify");
  fill(screen, "course", courseLine(course));
  showError(screen, error);
  field(screen, "overview").addEventListener("click", onOverview);
  screen.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = texts().searching;
      const data = new FormData(form);
      onTyped(form.dataset.form === "chip" ? { chip: data.get("chip") }
        : { last_name: data.get("last_name"), birth_date: data.get("birth_date") });
    });
  });
  show(screen);
}

export function sign(course, person, error, onSigned) {
  // onSigned(signature) with the pad's PNG (a data URL), or "" when nothing was drawn
  const screen = clone("tpl-offline-sign");
  fill(screen, "hello", person.name);
  fill(screen, "course", courseLine(course));
  showError(screen, error);
  const form = screen.querySelector("form");
  show(screen);
  if (window.bindSignaturePads) {
    window.bindSignaturePads(document.getElementById("main"));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSigned(form.elements.signature.value);
  });
}

export function saved(person, onNext) {
  const screen = clone("tpl-offline-saved");
  fill(screen, "thanks", person.name, "h1");
  field(screen, "next").addEventListener("click", onNext);
  show(screen);
}
