// The check-in terminal when the Wi-Fi drops. While online, a paired tablet keeps today's courses
// and what identification needs (terminal/identity.js: slow keyed derivations of chip, name and
// date of birth, and the pairing's key as a WebCrypto key) in IndexedDB and registers the service
// worker. Without a connection it identifies from that, takes the signature and queues the check-in
// (terminal/offline.js, on the screens the page renders as <template> elements); the queue is sent
// when the connection returns (and on every page: terminal/sync.js). A locked terminal hands over
// nothing: it reports how many check-ins it still held, then forgets everything (terminal/store.js).

import { startOffline } from "./terminal/offline.js";
import { body, say, texts, useTexts } from "./terminal/page.js";
import { forget, todaysSnapshot } from "./terminal/store.js";
import { flush, refreshSnapshot, reportLocked, showQueue } from "./terminal/sync.js";

let today = null;  // the kept snapshot of today (courses, people, and the messages of the offline screens)

function keep(snapshot) {
  today = snapshot;
  useTexts(snapshot);
  if (snapshot) {
    body.dataset.offlineReady = snapshot.day;  // the day this tablet can check in without a connection
  }
}

function startShell() {
  // The service worker's offline page: the check-in goes on from what the tablet keeps for today.
  const name = document.querySelector(".terminal-header strong");
  if (today && name) {
    name.textContent = `${name.textContent} · ${today.terminal_name}`;
  }
  if (today) {
    startOffline(today, null);  // without today's data the page's own notice stays
  }
  showQueue(false);
  window.addEventListener("online", () => {
    flush().then((left) => {
      if (left === 0) {
        sessionStorage.setItem("terminal-sent", "1");
      }
      window.location.assign(body.dataset.scope);
    });
  });
}

function stayOnThisPage() {
  // Offline, a course's button and the identification forms stay on this page.
  // (without today's data they go on as usual: the service worker then shows its offline page)
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-offline-course]");
    if (link && !navigator.onLine && today) {
      event.preventDefault();
      startOffline(today, Number(link.dataset.offlineCourse));
    }
  }, true);
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-offline-course]");
    if (form && !navigator.onLine && today) {
      event.preventDefault();
      const data = new FormData(form);
      startOffline(today, Number(form.dataset.offlineCourse), {
        chip: data.get("chip"), last_name: data.get("last_name"), birth_date: data.get("birth_date") });
    }
  }, true);
}

function start() {
  if (sessionStorage.getItem("terminal-sent")) {  // sent from the offline page just before this page
    sessionStorage.removeItem("terminal-sent");
    say(texts().sent);
  }
  if (document.querySelector("[data-offline-shell]")) {
    startShell();
    return;
  }
  if (body.dataset.terminal !== "paired" || !window.isSecureContext || !(window.crypto && crypto.subtle)) {
    return;  // offline work needs HTTPS (service worker, WebCrypto); over plain HTTP the terminal stays online-only
  }
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register(body.dataset.serviceWorker, { scope: body.dataset.scope })
      .catch(() => { /* without it, the open page still works offline */ });
  }
  stayOnThisPage();
  window.addEventListener("online", () => { flush(); });
  window.setInterval(flush, 30000);
  if (navigator.onLine) {
    refreshSnapshot(keep).then(flush);
  } else {
    showQueue(false);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (body.dataset.terminal === "locked") {
    // Nothing is handed over after a lock; the portal counts what was still here, then all is forgotten.
    reportLocked().then(forget, forget);
    return;
  }
  todaysSnapshot().catch(() => null).then(keep).then(start);
});
