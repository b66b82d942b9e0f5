// The therapist app in the browser (/app), built only on the public app API. The page hands in
// its words, addresses and timings (#app-config); this module wires the screens to the session:
// #heute and #tag/<day> (agenda), #kurse[/<id>], #konto, and the sign-in while nobody is signed in.

import { Account } from "./account.js";
import { Agenda } from "./agenda.js";
import { createApi } from "./api.js";
import { Courses } from "./courses.js";
import { loadEngine } from "./db.js";
import { createFormat, fill } from "./format.js";
import { watchReleases } from "./release.js";
import { SignIn } from "./signin.js";
import * as store from "./store.js";
import { Sync, sendSignOuts } from "./sync.js";
import { Frame } from "./view.js";

const config = JSON.parse(document.getElementById("app-config").textContent);
const texts = config.texts;
const language = document.documentElement.lang || "de";
const format = createFormat(language, texts);
const frame = new Frame();
const api = createApi(config.api);
loadEngine(config.wasm).catch(() => undefined);  // SQLite compiles while the page settles
const kept = store.load();  // and what this device keeps is read meanwhile

let shown = null;

function go(route) {
  if (window.location.hash === `#${route}`) {
    render();
  } else {
    window.location.hash = route;
  }
}

function route() {
  const [name, argument] = window.location.hash.replace(/^#/, "").split("/");
  if (name === "kurse") {
    return { screen: "courses", id: argument };
  }
  if (name === "konto") {
    return { screen: "account" };
  }
  if (name === "tag" && /^\d{4}-\d{2}-\d{2}$/.test(argument || "")) {
    return { screen: "agenda", day: argument };
  }
  return { screen: "agenda", day: format.today() };
}

function render() {
  if (!sync.session) {
    return;
  }
  const where = route();
  const screen = sync.data || where.screen === "account" ? where.screen : "loading";
  frame.show(screen, { focus: shown !== null && shown !== window.location.hash, signedIn: true });
  shown = window.location.hash;
  if (screen === "agenda") {
    screens.agenda.render(sync.data, where.day);
  } else if (screen === "courses") {
    screens.courses.render(sync.data, where.id);
  } else if (screen === "account") {
    screens.account.render(sync);
  }
}

function status() {
  if (!sync.session) {
    frame.setStatus("");
    return;
  }
  const stamp = sync.state.lastSyncAt && format.stamp(sync.state.lastSyncAt);
  let text = stamp ? fill(texts.status_synced, { stamp }) : "";
  if (sync.busy) {
    text = texts.status_syncing;
  } else if (sync.offline) {
    text = stamp ? fill(texts.status_offline, { stamp }) : texts.status_offline_never;
  } else if (sync.problem === "preparing") {
    text = texts.status_preparing;
  } else if (sync.problem === "failed") {
    text = stamp ? fill(texts.status_failed, { stamp }) : texts.server_error;
  }
  frame.setStatus(text, { busy: sync.busy });
  const blocked = sync.state.blocked;
  frame.banner("blocked", blocked && { text: texts[`blocked_${blocked.code}`], help: blocked.help });
  if (frame.current === "account" || (frame.current === "loading" && sync.data)) {
    render();
  }
}

function showSignIn(reason = null, help = null, tone = "warning") {
  shown = null;
  frame.banner("blocked", null);
  frame.banner("schema", null);
  frame.setStatus("");
  frame.show("signin", { focus: Boolean(reason) });
  signIn.open({ reason, help, tone });
}

async function signOut() {
  const told = await sync.signOut();
  showSignIn(told ? texts.signed_out : texts.signed_out_offline, null, "success");
}

const sync = new Sync({
  api, wasm: config.wasm, retrySeconds: config.retrySeconds, onData: () => render(), onStatus: status,
  onWipe: (reason, help) => showSignIn(texts[reason], help),
  onSchema: (waiting) => frame.banner("schema", waiting),
});
const screens = {
  agenda: new Agenda(frame.screens.agenda, { format, texts, go }),
  courses: new Courses(frame.screens.courses, { format, texts, language }),
  account: new Account(frame.screens.account, { format, texts, onSignOut: signOut }),
};
const signIn = new SignIn(frame.screens.signin, {
  api, texts,
  async onSignedIn(answer, deviceName, platform) {
    await sync.adopt(answer, deviceName, platform);
    if (sync.session) {
      shown = null;
      go("heute");
      status();
    }
  },
});

async function start() {
  const releases = watchReleases(config.serviceWorker, config.scope, () => frame.banner("update", true));
  for (const button of document.querySelectorAll("[data-action=reload]")) {
    button.addEventListener("click", () => releases.reload());
  }
  frame.refresh.addEventListener("click", () => sync.run());
  window.addEventListener("hashchange", render);
  window.addEventListener("online", () => {
    sendSignOuts(api).catch(() => undefined);
    sync.run();
  });
  window.addEventListener("offline", () => {
    sync.offline = true;
    status();
  });
  window.setInterval(() => sync.run(), config.syncMinutes * 60 * 1000);
  let saved;
  try {
    saved = await kept;
  } catch {
    showSignIn(texts.no_storage, null, "error");
    return;
  }
  sendSignOuts(api).catch(() => undefined);
  if (!saved.session) {
    showSignIn();
    return;
  }
  await sync.restore(saved);
  render();
  status();
  await sync.run();
}

start();
