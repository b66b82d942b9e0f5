// The page's frame: which screen shows, the header's "Stand", the banners, and cloning the pieces
// of markup the page renders once as <template> elements.

export function clone(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

export function field(root, name) {
  return root.querySelector(`[data-field="${name}"]`);
}

export function setText(root, name, text) {
  field(root, name).textContent = text;
}

const SIGNED_OUT_SCREENS = ["loading", "signin"];

export class Frame {
  constructor() {
    this.screens = Object.fromEntries([...document.querySelectorAll(".app-screen")]
      .map((section) => [section.id.replace("screen-", ""), section]));
    this.nav = document.getElementById("app-nav");
    this.status = document.getElementById("app-status");
    this.refresh = document.getElementById("refresh");
    this.current = "loading";
  }

  show(name, { focus = false, signedIn = !SIGNED_OUT_SCREENS.includes(name) } = {}) {
    const changed = name !== this.current;
    this.current = name;
    for (const [key, section] of Object.entries(this.screens)) {
      section.hidden = key !== name;
    }
    this.nav.hidden = !signedIn;
    this.refresh.hidden = !signedIn;
    for (const link of this.nav.querySelectorAll("a")) {
      if (link.dataset.screen === name) {
        link.setAttribute("aria-current", "page");
      } else {
        link.removeAttribute("aria-current");
      }
    }
    if (focus && changed) {
      this.screens[name].querySelector("h1").focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  }

  setStatus(text, { busy = false } = {}) {
    this.status.textContent = text;
    this.refresh.disabled = busy;
    this.refresh.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // name: "blocked", "update" or "schema"; a falsy message hides it
  banner(name, message) {
    const banner = document.getElementById(`banner-${name}`);
    banner.hidden = !message;
    if (message && typeof message === "object") {
      setText(banner, "text", message.text);
      if (message.help) {
        field(banner, "help").href = message.help;
      }
    }
  }
}
