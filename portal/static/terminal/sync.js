// Talking to the portal: today's data fetched while online, the queue sent when the connection
// returns (one check-in at a time, each kept until the portal answered for it; the portal applies
// the rules once per id), and, from a locked terminal, only how many check-ins it still held.

import { importKey } from "./identity.js";
import { body, say, texts } from "./page.js";
import { dequeue, forget, keepSnapshot, queued } from "./store.js";

const JSON_POST = { method: "POST", credentials: "same-origin", cache: "no-store",
                    headers: { "Content-Type": "application/json" } };
let flushing = false;

export async function refreshSnapshot(keep) {
  // the day's data comes without the key; this page brings the key (kept with the data, unreadable);
  // keep(snapshot) has it at once, IndexedDB for the next page
  try {
    const key = body.dataset.identifyKey ? importKey(body.dataset.identifyKey) : Promise.resolve(null);
    const response = await fetch(body.dataset.snapshot, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 403) {
      forget();
      return null;
    }
    const snapshot = response.ok ? await response.json() : null;
    if (snapshot) {
      snapshot.key = await key;
      keep(snapshot);
      await keepSnapshot(snapshot);
    }
    return snapshot;
  } catch {
    return null;
  }
}

export async function showQueue(justSent) {
  try {
    const count = (await queued()).length;
    const words = texts();
    if (count === 1) {
      say(words.waiting_one);
    } else if (count > 1) {
      say(words.waiting_many.replace("{n}", count));
    } else {
      say(justSent ? words.sent : "");
    }
    return count;
  } catch {
    return 0;
  }
}

async function send(item) {
  const response = await fetch(body.dataset.replay, { ...JSON_POST, body: JSON.stringify(item) });
  if (response.ok || response.status === 400) {
    // Taken (or never takeable: the portal will not read it better next time): off the queue.
    await dequeue(item.id);
    return true;
  }
  if (response.status === 403 && body.dataset.terminal !== "locked") {
    forget();
  }
  return false;  // not paired, locked, or the portal is down: try again later (or never)
}

export async function reportLocked() {
  // Locked: nothing is handed over any more. The portal only counts what this tablet still held
  // (the ids, no signature, no person), so the practice knows what to clarify on paper.
  const items = await queued();
  await Promise.all(items.map((item) => fetch(body.dataset.replay, { ...JSON_POST, body: JSON.stringify({ id: item.id }) })
    .catch(() => null)));
}

export async function flush() {
  // Sends the queue, oldest first, and stops at the first the portal did not take; the number left.
  if (flushing || !navigator.onLine) {
    return null;
  }
  flushing = true;
  let sent = 0;
  try {
    for (const item of await queued()) {
      if (!await send(item)) {
        break;
      }
      sent += 1;
    }
  } catch {
    // the portal went away in between: the rest waits
  }
  flushing = false;
  return showQueue(sent > 0);
}
