// The device's session with the portal: taking over a sign-in, syncing (POST /sync, then
// GET /database with If-None-Match only when the version changed), the refusals the spec names
// (deactivated and no_license: keep the data, stop syncing; revoked: wipe at once), and signing
// out (wiped at once; the portal is told now, or when the connection returns).

import { ApiError, Offline } from "./api.js";
import { UnknownSchema, fileVersion, openData } from "./db.js";
import * as store from "./store.js";

export class Sync {
  constructor({ api, wasm, retrySeconds, onData, onStatus, onWipe, onSchema }) {
    Object.assign(this, { api, wasm, retrySeconds, onData, onStatus, onWipe, onSchema });
    this.reset();
  }

  reset() {
    this.session = null;
    this.data = null;
    this.version = null;
    this.pendingVersion = null;
    this.state = { lastSyncAt: null, blocked: null };
    this.problem = null;  // "failed" or "preparing" after the last attempt
    this.offline = false;
    this.busy = false;
  }

  show(data, version) {
    if (this.data) {
      this.data.close();
    }
    this.data = data;
    this.version = version;
    this.onData(data);
  }

  // At start: the kept session and the newest database this release can read.
  async restore(saved) {
    this.session = saved.session;
    this.state = saved.sync || this.state;
    for (const kept of [saved.pending, saved.database]) {
      if (!kept) {
        continue;
      }
      try {
        const data = await openData(kept.bytes, this.wasm);
        if (kept === saved.pending) {
          await store.save({ database: kept, pending: null });
        }
        this.show(data, kept.version);
        return;
      } catch (error) {
        if (error instanceof UnknownSchema && error.newer) {
          this.pendingVersion = kept.version;
          this.onSchema(true);
        }
      }
    }
  }

  // After "Anmelden": keep the session, then fetch the database the answer names.
  async adopt(answer, deviceName, platform) {
    this.reset();
    this.session = { token: answer.token, therapist: answer.therapist, deviceName, platform,
      signedInAt: new Date().toISOString() };
    await store.save({ session: this.session, sync: this.state });
    await this.guard(async () => {
      await this.fetchDatabase(answer.database.version);
      await this.succeeded();
    });
  }

  async fetchDatabase(version) {
    const bytes = await this.api.download(this.session.token, this.version);
    if (bytes === null) {
      return;  // 304: what the device holds is current
    }
    const actual = (await fileVersion(bytes)) || version;
    let data;
    try {
      data = await openData(bytes, this.wasm);
    } catch (error) {
      if (!(error instanceof UnknownSchema)) {
        throw error;
      }
      if (error.newer) {  // kept for the release that reads it; the app asks for a reload
        this.pendingVersion = actual;
        await store.save({ pending: { version: actual, bytes } });
        this.onSchema(true);
      } else {  // written before the portal's last release: it is being rewritten
        this.problem = "preparing";
      }
      return;
    }
    await store.save({ database: { version: actual, bytes }, pending: null });
    this.pendingVersion = null;
    this.onSchema(false);
    this.show(data, actual);
  }

  async succeeded() {
    this.state = { lastSyncAt: new Date().toISOString(), blocked: null };
    this.offline = false;
    await store.save({ sync: this.state });
  }

  // At start, back online, every few minutes and on "Aktualisieren".
  run() {
    if (!this.session || this.running) {
      return this.running || Promise.resolve();
    }
    this.running = this.guard(async () => {
      const answer = await this.api.sync(this.session.token, this.version);
      const version = answer.database.version;
      if (version !== this.version && version !== this.pendingVersion) {
        await this.fetchDatabase(version);
      }
      await this.succeeded();
    }).finally(() => { this.running = null; });
    return this.running;
  }

  async guard(work) {
    this.busy = true;
    this.problem = null;
    this.onStatus();
    try {
      if (navigator.onLine === false) {
        throw new Offline("offline");
      }
      await work();
    } catch (error) {
      await this.refused(error);
    } finally {
      this.busy = false;
      if (this.session) {
        this.onStatus();
      }
      window.clearTimeout(this.retry);
      if (this.problem === "preparing") {  // the portal is writing the database: ask again soon
        this.retry = window.setTimeout(() => this.run(), this.retrySeconds * 1000);
      }
    }
  }

  async refused(error) {
    if (error instanceof Offline) {
      this.offline = true;
    } else if (!(error instanceof ApiError)) {
      this.problem = "failed";
      console.error(error);  // eslint-disable-line no-console
    } else if (error.code === "deactivated" || error.code === "no_license") {
      this.state = { ...this.state, blocked: { code: error.code, help: error.help } };
      this.offline = false;
      await store.save({ sync: this.state });
    } else if (error.code === "revoked" || error.code === "invalid_token") {
      await this.wipe();
      this.onWipe(error.code === "revoked" ? "wiped_revoked" : "wiped_invalid", error.help);
    } else {
      this.problem = error.code === "database_not_ready" ? "preparing" : "failed";
    }
  }

  async wipe() {
    if (this.data) {
      this.data.close();
    }
    this.reset();
    await store.wipe();
  }

  // "Abmelden": nothing stays on the device; true when the portal has heard of it already.
  async signOut() {
    const token = this.session.token;
    await this.wipe();
    await store.queueSignOut(token);
    return sendSignOuts(this.api);
  }
}

// The sign-outs made without a connection, sent now; true when none is left.
export async function sendSignOuts(api) {
  let all = true;
  for (const { key, token } of await store.pendingSignOuts()) {
    try {
      await api.signOut(token);
    } catch (error) {
      if (error instanceof Offline) {
        all = false;
        continue;
      }  // any other answer: that session is over on the portal anyway
    }
    await store.forgetSignOut(key);
  }
  return all;
}
