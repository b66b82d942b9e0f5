// What the app keeps on this device, in IndexedDB only: the session (with its token), the
// therapist database, a newer database this release cannot read yet, and the sync state. Apart
// from it, the tokens of sign-outs made without a connection, until the portal has heard of them.
// Wiping deletes the whole database: nothing of the therapist stays behind.

const NAME = "therapeuten-app";
const OUTBOX = "therapeuten-app-abmeldungen";
const KEYS = ["session", "database", "pending", "sync"];
let connection = null;

function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

function open(name, upgrade) {
  if (!window.indexedDB) {
    return Promise.reject(new Error("no IndexedDB"));
  }
  const opening = indexedDB.open(name, 1);
  opening.onupgradeneeded = () => upgrade(opening.result);
  return request(opening);
}

function transaction(database, store, mode, work) {
  return new Promise((resolve, reject) => {
    const tx = database.transaction(store, mode);
    const result = work(tx.objectStore(store));
    tx.oncomplete = () => resolve(result);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

async function main() {
  if (!connection) {
    connection = await open(NAME, (database) => database.createObjectStore("app"));
    connection.onversionchange = () => {  // another tab wipes: let it
      connection.close();
      connection = null;
    };
  }
  return connection;
}

export async function load() {
  const database = await main();
  return transaction(database, "app", "readonly", (store) => {
    const found = {};
    for (const key of KEYS) {
      store.get(key).onsuccess = (event) => { found[key] = event.target.result || null; };
    }
    return found;
  });
}

export async function save(values) {
  const database = await main();
  await transaction(database, "app", "readwrite", (store) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === null) {
        store.delete(key);
      } else {
        store.put(value, key);
      }
    }
  });
}

function deleteDatabase(name) {
  return request(indexedDB.deleteDatabase(name)).catch(() => undefined);
}

export async function wipe() {
  if (connection) {
    connection.close();
    connection = null;
  }
  await deleteDatabase(NAME);
}

async function outbox() {
  return open(OUTBOX, (database) => database.createObjectStore("tokens", { autoIncrement: true }));
}

export async function queueSignOut(token) {
  const database = await outbox();
  await transaction(database, "tokens", "readwrite", (store) => store.add(token));
  database.close();
}

export async function pendingSignOuts() {
  if (indexedDB.databases && !(await indexedDB.databases()).some((entry) => entry.name === OUTBOX)) {
    return [];
  }
  const database = await outbox();
  const found = await transaction(database, "tokens", "readonly", (store) => {
    const list = [];
    store.openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (cursor) {
        list.push({ key: cursor.key, token: cursor.value });
        cursor.continue();
      }
    };
    return list;
  });
  database.close();
  if (!found.length) {
    await deleteDatabase(OUTBOX);
  }
  return found;
}

export async function forgetSignOut(key) {
  const database = await outbox();
  const left = await transaction(database, "tokens", "readwrite", (store) => {
    store.delete(key);
    return store.count();
  });
  database.close();
  if (left.result === 0) {
    await deleteDatabase(OUTBOX);
  }
}
