// The sign-in screen: e-mail, code and this device's name; and "Code anfordern", which asks the
// portal for a new code by mail. Every refusal shows the API's German message and its help link.

import { ApiError, Offline } from "./api.js";
import { fill } from "./format.js";
import { field } from "./view.js";

// "Chrome auf Android": what the browser says about itself, for the practice's device list.
export function describeDevice(texts) {
  const agent = navigator.userAgent;
  const browsers = [[/Edg\//, "Edge"], [/OPR\//, "Opera"], [/SamsungBrowser/, "Samsung Internet"],
    [/Firefox\/|FxiOS/, "Firefox"], [/Chrome\/|CriOS/, "Chrome"], [/Safari\//, "Safari"]];
  const touchMac = /Macintosh/.test(agent) && navigator.maxTouchPoints > 1;  // iPadOS says "Macintosh"
  const systems = [[/iPhone/, "iPhone"], [/iPad/, "iPad"], [/Android/, "Android"], [/CrOS/, "ChromeOS"],
    [/Macintosh|Mac OS X/, touchMac ? "iPad" : "Mac"], [/Windows/, "Windows"], [/Linux/, "Linux"]];
  const pick = (list, fallback) => (list.find(([pattern]) => pattern.test(agent)) || [null, fallback])[1];
  const browser = pick(browsers, "Browser");
  const system = pick(systems, "Web");
  return { name: fill(texts.device_name, { browser, system }), platform: `Web-App, ${system}` };
}

// An empty field is marked invalid; a filled one is not marked at all (it may still be wrong).
function mark(input) {
  if (input.value) {
    input.removeAttribute("aria-invalid");
  } else {
    input.setAttribute("aria-invalid", "true");
  }
  return Boolean(input.value);
}

export class SignIn {
  constructor(section, { api, texts, onSignedIn }) {
    Object.assign(this, { section, api, texts, onSignedIn });
    this.form = section.querySelector("#signin-form");
    this.codeForm = section.querySelector("#code-form");
    this.notice = section.querySelector("#signin-notice");
    this.device = describeDevice(texts);
    this.form.elements.device_name.value = this.device.name;
    this.form.addEventListener("submit", (event) => this.submit(event));
    this.codeForm.addEventListener("submit", (event) => this.requestCode(event));
  }

  // tone: "error", "info", "success" or "warning"; help: a link into the portal's help
  tell(text, { tone = "error", help = null } = {}) {
    this.notice.hidden = !text;
    this.notice.className = `notice ${tone}`;
    field(this.notice, "text").textContent = text || "";
    const link = field(this.notice, "help");
    link.hidden = !help;
    if (help) {
      link.href = help;
    }
  }

  reason(error) {
    if (error instanceof Offline) {
      return { text: this.texts.offline_action };
    }
    if (error instanceof ApiError && error.message && error.code !== "server_error") {
      return { text: error.message, help: error.help, tone: error.code === "database_not_ready" ? "warning" : "error" };
    }
    return { text: this.texts.server_error };
  }

  async submit(event) {
    event.preventDefault();
    const form = this.form.elements;
    for (const input of [form.email, form.code, form.device_name]) {
      input.value = input.value.trim();
      mark(input);
    }
    const empty = [form.email, form.code, form.device_name].find((input) => !input.value);
    if (empty) {
      empty.focus();
      return;
    }
    const button = this.form.querySelector("button[type=submit]");
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    this.tell(this.texts.signing_in, { tone: "info" });
    try {
      const answer = await this.api.signIn(form.email.value, form.code.value, form.device_name.value,
        this.device.platform);
      this.tell(this.texts.loading_data, { tone: "info" });
      await this.onSignedIn(answer, form.device_name.value, this.device.platform);
      form.code.value = "";
      this.tell(null);
    } catch (error) {
      const { text, help, tone } = this.reason(error);
      this.tell(text, { tone, help });
      if (error instanceof ApiError && error.code === "invalid_code") {
        this.section.querySelector("#code-request").open = true;  // a new code is one step away
        this.codeForm.elements.email.value ||= form.email.value;
        form.code.select();
      }
    } finally {
      button.removeAttribute("aria-busy");
      button.disabled = false;
    }
  }

  async requestCode(event) {
    event.preventDefault();
    const input = this.codeForm.elements.email;
    input.value = input.value.trim();
    if (!mark(input)) {
      input.focus();
      return;
    }
    const answer = this.codeForm.querySelector("#code-answer");
    const button = this.codeForm.querySelector("button[type=submit]");
    button.disabled = true;
    answer.hidden = false;
    answer.textContent = this.texts.requesting;
    try {
      answer.textContent = (await this.api.requestCode(input.value)).message;
      this.form.elements.email.value = this.form.elements.email.value || input.value;
    } catch (error) {
      answer.textContent = this.reason(error).text;
    } finally {
      button.disabled = false;
    }
  }

  // The sign-in screen, after a wipe with the reason, or at start.
  open({ reason = null, help = null, tone = "warning" } = {}) {
    this.tell(reason, { tone, help });
    const email = this.form.elements.email;
    if (!this.codeForm.elements.email.value) {
      this.codeForm.elements.email.value = email.value;
    }
  }
}
