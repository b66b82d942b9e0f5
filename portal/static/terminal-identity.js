// Identification on the tablet without a connection, computed exactly as the portal computes it
// (portal/checkin/offline.py; tests check both against one table, tests/data/identification.json):
// a typed chip, or the last name (folded as the portal folds names) with the date of birth, goes
// through HMAC-SHA256 with this pairing's key, then Argon2id with each person's salt, and is
// compared with what the day's data holds for that person. The key comes with the terminal's pages,
// never with the day's data, and is kept only as a WebCrypto key that cannot be read back.
(function () {
  "use strict";

  // Python's str.strip() whitespace (JavaScript's trim() differs: \x1c-\x1f, \x85 and \ufeff)
  var EDGES = /^[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
  var FOLDS = { "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ς": "σ" };

  function trimmed(text) {
    return (text || "").replace(EDGES, "");
  }

  function folded(name) {  // services.folded: "MUELLER" is "Müller", "STRASSE" is "Straße"
    return trimmed((name || "").normalize("NFC").toLowerCase().replace(/[äöüßς]/g, function (c) {
      return FOLDS[c];
    }));
  }

  function hexBytes(hex) {
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i++) {
      bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  function importKey(hex) {
    // non-extractable: the page can use the key, nothing can read it back out of the tablet's storage
    return crypto.subtle.importKey("raw", hexBytes(hex), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }

  function keyed(key, kind, value) {
    return crypto.subtle.sign("HMAC", key, new TextEncoder().encode(kind + "|" + value)).then(function (mac) {
      return new Uint8Array(mac);
    });
  }

  function slow(secret, saltHex, kdf) {
    return window.hashwasm.argon2id({
      password: secret, salt: hexBytes(saltHex), parallelism: kdf.parallelism, iterations: kdf.iterations,
      memorySize: kdf.memory_kib, hashLength: kdf.length, outputType: "hex"
    });
  }

  function derive(key, saltHex, kind, value, kdf) {
    // offline.derive, for one person: a promise of the hex string the day's data holds
    return keyed(key, kind, value).then(function (secret) { return slow(secret, saltHex, kdf); });
  }

  function typedValue(typed) {
    // [kind, value] of what was typed, as the portal builds it (offline.person_key), or null
    var chip = trimmed(typed.chip);
    if (chip) {
      return ["chip", chip];
    }
    var wanted = folded(typed.last_name);
    return wanted && typed.birth_date ? ["person", wanted + "|" + typed.birth_date] : null;
  }

  function find(snapshot, typed) {
    // A promise of the person of the day's data whom the chip, or the last name with the date of
    // birth, belongs to; one person after the other, so the first found ends the search.
    var wanted = typedValue(typed);
    if (!wanted || !snapshot.key) {
      return Promise.resolve(null);
    }
    var kind = wanted[0];
    var people = snapshot.people.filter(function (person) { return person[kind]; });
    return keyed(snapshot.key, kind, wanted[1]).then(function (secret) {
      return people.reduce(function (previous, person) {
        return previous.then(function (found) {
          return found || slow(secret, person.salt, snapshot.kdf).then(function (value) {
            return value === person[kind] ? person : null;
          });
        });
      }, Promise.resolve(null));
    });
  }

  window.TerminalIdentity = { trimmed: trimmed, folded: folded, importKey: importKey, derive: derive, find: find };
})();
