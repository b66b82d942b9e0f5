// The check-in terminal when the Wi-Fi drops. While online, a paired tablet keeps today's courses
// and what identification needs (terminal-identity.js: slow keyed derivations of chip, name and
// date of birth, and the pairing's key as a WebCrypto key) in IndexedDB and registers the service
// worker. Without a connection it identifies from that, takes the signature and queues the check-in
// with a unique id and the day's ticket; the queue is sent when the connection returns (and on every
// page), one check-in at a time, each kept until the server answered for it. The server applies the
// rules once per id. A locked terminal hands over nothing: it reports how many check-ins it still
// held (the portal counts them for the practice), then forgets everything: today's data, the queue
// and the cached pages.
(function () {
  "use strict";

  var DB_NAME = "checkin-terminal";
  var body = document.body;
  var today = null;  // the kept snapshot of today (courses, people, and the words of these screens)
  var texts = {};
  var flushing = false;

  // --- IndexedDB ---------------------------------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) {
        reject(new Error("no IndexedDB"));
        return;
      }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("snapshot");
        request.result.createObjectStore("queue", { keyPath: "id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function berlinDay(moment) {
    // The practice's calendar day (as the server counts it), whatever zone the tablet is set to.
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(moment || new Date());
  }

  function keep(snapshot) {
    today = snapshot;
    texts = snapshot ? snapshot.texts || {} : {};
    if (snapshot) {
      body.dataset.offlineReady = snapshot.day;  // the day this tablet can check in without a connection
    }
  }

  function todaysSnapshot() {
    // Yesterday's people leave the tablet as soon as it notices the new day.
    return withStore("snapshot", "readonly", function (store) { return store.get("today"); })
      .then(function (snapshot) {
        if (snapshot && snapshot.day !== berlinDay()) {
          return withStore("snapshot", "readwrite", function (store) { store.delete("today"); }).then(function () {
            return null;
          });
        }
        return snapshot || null;
      });
  }

  function queued() {
    return withStore("queue", "readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.signed_at < b.signed_at ? -1 : 1; });
    });
  }

  function dropCaches() {
    if (!window.caches) {
      return Promise.resolve();
    }
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("terminal-") === 0; })
        .map(function (name) { return caches.delete(name); }));
    });
  }

  function forget() {
    // The terminal was locked: today's data, the queue and the cached pages leave the tablet.
    if (window.indexedDB) {
      indexedDB.deleteDatabase(DB_NAME);
    }
    var unregistered = navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then(function (all) {
      return Promise.all(all.map(function (registration) {
        if (registration.active) {
          registration.active.postMessage("forget");
        }
        return registration.unregister();
      }));
    }) : Promise.resolve();
    // once the worker is gone nothing can fill the cache again (it may still be storing this page's assets)
    unregistered.then(dropCaches, dropCaches).then(function () {
      window.setTimeout(dropCaches, 2000);
    });
  }

  // --- talking to the portal -------------------------------------------------------------------

  function refreshSnapshot() {
    // the day's data comes without the key; this page brings the key (kept with the data, unreadable)
    var key = body.dataset.identifyKey ? TerminalIdentity.importKey(body.dataset.identifyKey) : Promise.resolve(null);
    return fetch(body.dataset.snapshot, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 403) {
          forget();
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (snapshot) {
        return snapshot && key.then(function (cryptoKey) {
          snapshot.key = cryptoKey;
          keep(snapshot);
          return withStore("snapshot", "readwrite", function (store) { store.put(snapshot, "today"); });
        });
      })
      .catch(function () { return null; });
  }

  function say(message) {
    var line = document.getElementById("terminal-queue");
    if (!line) {
      return;
    }
    line.textContent = message || "";
    line.hidden = !message;
  }

  function showQueue(justSent) {
    return queued().then(function (items) {
      if (items.length === 1) {
        say(texts.waiting_one);
      } else if (items.length > 1) {
        say(texts.waiting_many.replace("{n}", items.length));
      } else {
        say(justSent ? texts.sent : "");
      }
      return items.length;
    }).catch(function () { return 0; });
  }

  function send(item) {
    return fetch(body.dataset.replay, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(item)
    }).then(function (response) {
      if (response.ok || response.status === 400) {
        // Taken (or never takeable: the portal will not read it better next time): off the queue.
        return withStore("queue", "readwrite", function (store) { store.delete(item.id); }).then(function () {
          return true;
        });
      }
      if (response.status === 403 && body.dataset.terminal !== "locked") {
        forget();
      }
      return false;  // not paired, locked, or the portal is down: try again later (or never)
    });
  }

  function reportLocked() {
    // Locked: nothing is handed over any more. The portal only counts what this tablet still held
    // (the ids, no signature, no person), so the practice knows what to clarify on paper.
    return queued().then(function (items) {
      return Promise.all(items.map(function (item) {
        return fetch(body.dataset.replay, {
          method: "POST", credentials: "same-origin", cache: "no-store",
          headers: { "Content-Type": "application/json" }, body: JSON.stringify({ id: item.id })
        }).catch(function () { return null; });
      }));
    });
  }

  function flush() {
    if (flushing || !navigator.onLine) {
      return Promise.resolve(null);
    }
    flushing = true;
    var sent = 0;
    return queued().then(function (items) {
      return items.reduce(function (previous, item) {
        return previous.then(function (goOn) {
          if (!goOn) {
            return false;
          }
          return send(item).then(function (ok) {
            sent += ok ? 1 : 0;
            return ok;
          });
        });
      }, Promise.resolve(true));
    }).catch(function () { return false; }).then(function () {
      flushing = false;
      return showQueue(sent > 0);
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- the offline screens --------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") {
        node.textContent = attrs[key];
      } else {
        node.setAttribute(key, attrs[key]);
      }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function screen(children) {
    var main = document.getElementById("main");
    main.removeAttribute("data-return-to");
    main.replaceChildren.apply(main, children);
    var focus = main.querySelector("[autofocus]") || main.querySelector("h1");
    if (focus) {
      if (focus.tagName === "H1") {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus();
    }
  }

  function banner() {
    return el("p", { "class": "notice warning offline-notice", role: "status", text: texts.offline_notice });
  }

  function showCourses(snapshot) {
    if (!snapshot.courses.length) {
      screen([el("h1", { text: texts.offline_title }), banner(),
        el("p", { "class": "empty-state", text: texts.no_courses })]);
      return;
    }
    var buttons = snapshot.courses.map(function (course) {
      var button = el("button", { type: "button", "class": "big-button session-button" }, [
        el("span", { "class": "session-time", text: texts.time.replace("{time}", course.time) }),
        el("span", { "class": "session-name", text: course.name }),
        el("small", { text: course.kind })
      ]);
      button.addEventListener("click", function () { showIdentify(snapshot, course); });
      return button;
    });
    screen([el("h1", { text: texts.offline_title }), banner(), el("div", { "class": "session-buttons" }, buttons)]);
  }

  function showIdentify(snapshot, course, error) {
    var chip = el("input", { type: "text", id: "offline-chip", name: "chip", autocomplete: "off",
                             "class": "big-input", autofocus: "" });
    var last = el("input", { type: "text", id: "offline-last-name", name: "last_name", autocomplete: "off",
                             "class": "big-input" });
    var birth = el("input", { type: "date", id: "offline-birth-date", name: "birth_date", "class": "big-input" });
    var byChip = el("form", { novalidate: "" }, [
      el("label", { "for": "offline-chip", text: texts.chip }, [chip]),
      el("button", { type: "submit", "class": "big-button", text: texts.next })]);
    var byName = el("form", { novalidate: "" }, [
      el("label", { "for": "offline-last-name", text: texts.last_name }, [last]),
      el("label", { "for": "offline-birth-date", text: texts.birth_date }, [birth]),
      el("button", { type: "submit", "class": "big-button", text: texts.next })]);
    function search(form, typed) {
      // identifying takes a moment (a slow derivation per person): the button says so meanwhile
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = texts.searching;
      identify(snapshot, typed).then(function (person) { proceed(snapshot, course, person); });
    }
    byChip.addEventListener("submit", function (event) {
      event.preventDefault();
      search(byChip, { chip: chip.value });
    });
    byName.addEventListener("submit", function (event) {
      event.preventDefault();
      search(byName, { last_name: last.value, birth_date: birth.value });
    });
    var overview = el("button", { type: "button", "class": "secondary outline", text: texts.overview });
    overview.addEventListener("click", function () { showCourses(snapshot); });
    var children = [el("h1", { text: course.name + ", " + course.time }), banner()];
    if (error) {
      children.push(el("p", { "class": "notice error", role: "alert", text: error }));
    }
    children.push(el("p", {}, [overview]));
    children.push(el("div", { "class": "grid" }, [
      el("article", {}, [el("h2", { text: texts.by_chip }), byChip]),
      el("article", {}, [el("h2", { text: texts.by_name }), byName])]));
    screen(children);
  }

  function showSign(snapshot, course, person, error) {
    var field = el("input", { type: "hidden", name: "signature", value: "" });
    var form = el("form", { "data-signature-form": "", novalidate: "", id: "offline-checkin-form" }, [
      field,
      el("p", { "class": "label-text", id: "signature-label", text: texts.sign_here }),
      el("canvas", { id: "signature-pad", "class": "signature-pad", width: "900", height: "260", role: "img",
                     "aria-labelledby": "signature-label" }),
      el("div", { "class": "form-actions" }, [
        el("button", { type: "button", "class": "secondary big-button signature-clear", text: texts.clear }),
        el("button", { type: "submit", "class": "big-button", text: texts.check_in })])]);
    var children = [el("h1", { text: texts.hello.replace("{name}", person.name) }),
      el("p", { text: course.name + ", " + course.time }), banner()];
    if (error) {
      children.push(el("p", { "class": "notice error", role: "alert", text: error }));
    }
    children.push(form);
    screen(children);
    if (window.bindSignaturePads) {
      window.bindSignaturePads(document.getElementById("main"));
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!field.value) {
        showSign(snapshot, course, person, texts.sign_first);
        return;
      }
      var item = { id: newId(), course_id: course.id, participant_id: person.id,
                   signed_at: new Date().toISOString(), signature: field.value, ticket: snapshot.ticket };
      withStore("queue", "readwrite", function (store) { store.put(item); })
        .then(function () { showSaved(snapshot, course, person); })
        .catch(function () { showSign(snapshot, course, person, texts.no_storage); });
    });
  }

  function showSaved(snapshot, course, person) {
    var next = el("button", { type: "button", "class": "big-button", text: texts.next_person });
    var timer = window.setTimeout(function () { showIdentify(snapshot, course); },
                                  (Number(body.dataset.resultSeconds) || 8) * 1000);
    next.addEventListener("click", function () {
      window.clearTimeout(timer);
      showIdentify(snapshot, course);
    });
    screen([el("article", { "class": "narrow checkin-result" }, [
      el("h1", { text: texts.saved_title.replace("{name}", person.name) }),
      el("p", { "class": "notice warning offline-saved", role: "status", text: texts.saved }),
      el("p", {}, [next])])]);
    showQueue(false);
  }

  function identify(snapshot, typed) {
    // A promise of the person the chip, or the last name with the date of birth, belongs to.
    return TerminalIdentity.find(snapshot, typed).catch(function () { return null; });
  }

  function alreadyIn(snapshot, course, person) {
    // Checked in today already, online or in this tablet's queue: no second signature.
    var online = (snapshot.checked_in || []).some(function (pair) {
      return pair[0] === course.id && pair[1] === person.id;
    });
    if (online) {
      return Promise.resolve(true);
    }
    return queued().then(function (items) {
      return items.some(function (item) {
        return item.course_id === course.id && item.participant_id === person.id &&
          berlinDay(new Date(item.signed_at)) === snapshot.day;
      });
    }).catch(function () { return false; });
  }

  function proceed(snapshot, course, person) {
    if (!person) {
      showIdentify(snapshot, course, texts.not_found);
      return;
    }
    alreadyIn(snapshot, course, person).then(function (twice) {
      if (twice) {
        showIdentify(snapshot, course, texts.already.replace("{name}", person.name));
      } else {
        showSign(snapshot, course, person);
      }
    });
  }

  function startOffline(courseId, typed) {
    // typed: what the page's own form held when it was sent without a connection
    var snapshot = today;
    if (snapshot) {
      var course = snapshot.courses.find(function (c) { return c.id === courseId; });
      if (!course) {
        showCourses(snapshot);
      } else if (typed) {
        identify(snapshot, typed).then(function (person) { proceed(snapshot, course, person); });
      } else {
        showIdentify(snapshot, course);
      }
    }
  }

  // --- wiring ------------------------------------------------------------------------------------

  function start() {
    if (body.dataset.terminal === "locked") {
      // Nothing is handed over after a lock; the portal counts what was still here, then all is forgotten.
      reportLocked().then(forget, forget);
      return;
    }
    if (sessionStorage.getItem("terminal-sent")) {  // sent from the offline page just before this page
      sessionStorage.removeItem("terminal-sent");
      say(texts.sent);
    }
    if (document.querySelector("[data-offline-shell]")) {
      var name = document.querySelector(".terminal-header strong");
      if (today && name) {
        name.textContent = name.textContent + " · " + today.terminal_name;
      }
      startOffline(null);  // without today's data the page's own notice stays
      showQueue(false);
      window.addEventListener("online", function () {
        flush().then(function (left) {
          if (left === 0) {
            sessionStorage.setItem("terminal-sent", "1");
          }
          window.location.assign(body.dataset.scope);
        });
      });
      return;
    }
    if (body.dataset.terminal !== "paired" || !window.isSecureContext || !(window.crypto && crypto.subtle)) {
      return;  // offline work needs HTTPS (service worker, WebCrypto); over plain HTTP the terminal stays online-only
    }
    if (navigator.serviceWorker) {
      navigator.serviceWorker.register(body.dataset.serviceWorker, { scope: body.dataset.scope })
        .catch(function () { /* without it, the open page still works offline */ });
    }
    // Offline, a course's button and the identification forms stay on this page.
    // (without today's data they go on as usual: the service worker then shows its offline page)
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-offline-course]");
      if (link && !navigator.onLine && today) {
        event.preventDefault();
        startOffline(Number(link.dataset.offlineCourse));
      }
    }, true);
    document.addEventListener("submit", function (event) {
      var form = event.target.closest("form[data-offline-course]");
      if (form && !navigator.onLine && today) {
        event.preventDefault();
        var data = new FormData(form);
        startOffline(Number(form.dataset.offlineCourse), {
          chip: data.get("chip"), last_name: data.get("last_name"), birth_date: data.get("birth_date") });
      }
    }, true);
    window.addEventListener("online", function () { flush(); });
    window.setInterval(flush, 30000);
    if (navigator.onLine) {
      refreshSnapshot().then(flush);
    } else {
      showQueue(false);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (body.dataset.terminal === "locked") {
      start();
      return;
    }
    todaysSnapshot().catch(function () { return null; }).then(keep).then(start);
  });
})();
