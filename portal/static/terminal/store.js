// What the tablet keeps, in IndexedDB only: today's data ("snapshot") and the queue of check-ins
// made without a connection, each kept until the portal answered for it. A locked terminal forgets
// both, and the cached pages with them.

const NAME = "checkin-terminal";

function open() {
  return new Promise((resolve, reject) => {
    if (!window.indexedDB) {
      reject(new Error("no IndexedDB"));
      return;
    }
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("snapshot");
      request.result.createObjectStore("queue", { keyPath: "id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(name, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const result = work(tx.objectStore(name));
    tx.oncomplete = () => {
      db.close();
      resolve(result && "result" in result ? result.result : result);
    };
    tx.onerror = tx.onabort = () => {
      db.close();
      reject(tx.error);
    };
  });
}

export function berlinDay(moment) {
  // The practice's calendar day (as the server counts it), whatever zone the tablet is set to.
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(moment || new Date());
}

export async function todaysSnapshot() {
  // Yesterday's people leave the tablet as soon as it notices the new day.
  const snapshot = await withStore("snapshot", "readonly", (store) => store.get("today"));
  if (snapshot && snapshot.day !== berlinDay()) {
    await withStore("snapshot", "readwrite", (store) => { store.delete("today"); });
    return null;
  }
  return snapshot || null;
}

export function keepSnapshot(snapshot) {
  return withStore("snapshot", "readwrite", (store) => { store.put(snapshot, "today"); });
}

export async function queued() {
  const items = await withStore("queue", "readonly", (store) => store.getAll());
  return (items || []).sort((a, b) => (a.signed_at < b.signed_at ? -1 : 1));
}

export function enqueue(item) {
  return withStore("queue", "readwrite", (store) => { store.put(item); });
}

export function dequeue(id) {
  return withStore("queue", "readwrite", (store) => { store.delete(id); });
}

function dropCaches() {
  if (!window.caches) {
    return Promise.resolve();
  }
  return caches.keys().then((names) => Promise.all(names.filter((name) => name.startsWith("terminal-"))
    .map((name) => caches.delete(name))));
}

export function forget() {
  // The terminal was locked: today's data, the queue and the cached pages leave the tablet.
  if (window.indexedDB) {
    indexedDB.deleteDatabase(NAME);
  }
  const unregistered = navigator.serviceWorker ? navigator.serviceWorker.getRegistrations()
    .then((all) => Promise.all(all.map((registration) => {
      if (registration.active) {
        registration.active.postMessage("forget");
      }
      return registration.unregister();
    }))) : Promise.resolve();
  // once the worker is gone nothing can fill the cache again (it may still be storing this page's assets)
  unregistered.then(dropCaches, dropCaches).then(() => {
    window.setTimeout(dropCaches, 2000);
  });
}
