// The service worker of the therapist app (/app), release {{ version }}.
// It keeps exactly one release: the app's page and the files it was built with, each checked
// against its SHA-256 before the release counts as installed, so an installed app never mixes the
// files of two releases. The page and its files come from that cache (the app starts without a
// network); the app API and everything else always go to the network and are never kept here.
// A new release installs beside the old one and takes over at the app's next start, or at once
// when the app asks for it ("Jetzt neu laden").
"use strict";

const VERSION = {{ version|tojson }};
const PREFIX = "therapeuten-app-";
const CACHE = PREFIX + VERSION;
const SHELL = {{ shell|tojson }};
const FILES = {{ files|tojson }};

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function fetchChecked(url, sha256) {
  const response = await fetch(url, { cache: "reload" });
  if (!response.ok) {
    throw new Error(`${url}: ${response.status}`);
  }
  const digest = hex(await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer()));
  if (digest !== sha256) {
    throw new Error(`${url} belongs to another release`);
  }
  return response;
}

async function fetchShell() {
  const response = await fetch(SHELL, { cache: "reload" });
  const page = response.ok ? await response.clone().text() : "";
  if (!page.includes(`<meta name="app-version" content="${VERSION}">`)) {
    throw new Error("the page belongs to another release");
  }
  return response;
}

async function install() {
  const urls = [SHELL, ...Object.keys(FILES)];
  const responses = await Promise.all([fetchShell(), ...Object.entries(FILES).map(([url, sha]) => fetchChecked(url, sha))]);
  const cache = await caches.open(CACHE);
  try {
    await Promise.all(responses.map((response, index) => cache.put(urls[index], response)));
  } catch (error) {
    await caches.delete(CACHE);
    throw error;
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(install());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

let release = null;  // the open cache, shared by the requests of a start

async function fromRelease(key) {
  release = release || caches.open(CACHE);
  const hit = await (await release).match(key, { ignoreVary: true, ignoreSearch: true });
  return hit || fetch(key);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(fromRelease(SHELL));
  } else if (Object.prototype.hasOwnProperty.call(FILES, url.pathname)) {
    event.respondWith(fromRelease(url.pathname));
  }
});

self.addEventListener("message", (event) => {
  if (event.data === "take-over") {
    self.skipWaiting();
  }
});
