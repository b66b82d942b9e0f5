// The check-in terminal's service worker (version {{ version }}): the terminal keeps working when the
// Wi-Fi drops. Every request goes to the network first; without one, the pages and assets come from
// the cache, and a terminal page that cannot load shows the offline page, which works from what the
// tablet keeps for today. Check-ins and today's data are never cached here (the page keeps them).
"use strict";

const CACHE = "terminal-{{ version }}";
const SHELL = {{ shell|tojson }};
const SCOPE = {{ scope|tojson }};
const ASSETS = {{ assets|tojson }};
let forgotten = false;  // the terminal was locked: nothing is cached any more

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([SHELL, ...ASSETS])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith("terminal-") && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

function cacheable(url) {
  return url.pathname === SHELL || ASSETS.includes(url.pathname);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  const isPage = request.mode === "navigate" && (url.pathname === SCOPE || url.pathname.startsWith(SCOPE + "/"));
  if (request.method === "POST" && isPage) {  // a form sent without a connection: the offline page takes over
    event.respondWith(fetch(request).catch(() => caches.match(SHELL)));
    return;
  }
  if (request.method !== "GET" || !(isPage || cacheable(url))) {
    return;
  }
  event.respondWith(fetch(request).then((response) => {
    if (response.ok && cacheable(url) && !forgotten) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy));
    }
    return response;
  }).catch(() => caches.match(request).then((hit) => hit || (isPage ? caches.match(SHELL) : Response.error()))));
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") {  // the terminal was locked: nothing of it stays on the tablet
    forgotten = true;
    event.waitUntil(caches.keys().then((names) => Promise.all(names.filter((name) => name.startsWith("terminal-"))
      .map((name) => caches.delete(name)))));
  }
});
