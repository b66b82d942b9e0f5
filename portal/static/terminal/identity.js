// Identification on the tablet without a connection, computed exactly as the portal computes it
// (portal/checkin/offline.py; tests check both against one table, tests/data/identification.json):
// a typed chip, or the last name (folded as the portal folds names) with the date of birth, goes
// through HMAC-SHA256 with this pairing's key, then Argon2id with each person's salt, and is
// compared with what the day's data holds for that person. The key comes with the terminal's pages,
// never with the day's data, and is kept only as a WebCrypto key that cannot be read back.

import { folded, trimmed } from "./fold.js";

function hexBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  }
  return bytes;
}

export function importKey(hex) {
  // non-extractable: the page can use the key, nothing can read it back out of the tablet's storage
  return crypto.subtle.importKey("raw", hexBytes(hex), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

async function keyed(key, kind, value) {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${kind}|${value}`)));
}

function slow(secret, saltHex, kdf) {
  return window.hashwasm.argon2id({
    password: secret, salt: hexBytes(saltHex), parallelism: kdf.parallelism, iterations: kdf.iterations,
    memorySize: kdf.memory_kib, hashLength: kdf.length, outputType: "hex",
  });
}

export async function derive(key, saltHex, kind, value, kdf) {
  // offline.derive, for one person: the hex string the day's data holds
  return slow(await keyed(key, kind, value), saltHex, kdf);
}

function typedValue(typed) {
  // [kind, value] of what was typed, as the portal builds it (offline.person_key), or null
  const chip = trimmed(typed.chip);
  if (chip) {
    return ["chip", chip];
  }
  const wanted = folded(typed.last_name);
  return wanted && typed.birth_date ? ["person", `${wanted}|${typed.birth_date}`] : null;
}

export async function find(snapshot, typed) {
  // The person of the day's data whom the chip, or the last name with the date of birth, belongs
  // to; one person after the other, so the first found ends the search.
  const wanted = typedValue(typed);
  if (!wanted || !snapshot.key) {
    return null;
  }
  const [kind, value] = wanted;
  const secret = await keyed(snapshot.key, kind, value);
  for (const person of snapshot.people.filter((p) => p[kind])) {
    if (await slow(secret, person.salt, snapshot.kdf) === person[kind]) {
      return person;
    }
  }
  return null;
}

// tests/browser/test_terminal_offline.py checks the derivation against the table from the page
window.TerminalIdentity = { trimmed, folded, importKey, derive, find };
