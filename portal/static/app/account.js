// "Konto": who is signed in on this device, since when, which data it holds, the last sync, and
// "Abmelden" after a confirmation.

import { fill } from "./format.js";
import { clone, setText } from "./view.js";

export class Account {
  constructor(section, { format, texts, onSignOut }) {
    Object.assign(this, { section, format, texts });
    const dialog = document.getElementById("signout-dialog");
    section.querySelector("[data-action=sign-out]").addEventListener("click", () => dialog.showModal());
    dialog.querySelector("[data-action=cancel]").addEventListener("click", () => dialog.close());
    dialog.querySelector("[data-action=confirm]").addEventListener("click", () => {
      dialog.close();
      onSignOut();
    });
  }

  render(sync) {
    const { session, data, state } = sync;
    const therapist = data ? data.therapist : {};
    const name = [therapist.first_name, therapist.last_name].filter(Boolean).join(" ") || session.therapist.name;
    const never = this.texts.never;
    setText(this.section, "name", name);
    setText(this.section, "email", therapist.email || "–");
    setText(this.section, "group", (data && data.meta.group_name) || "–");
    setText(this.section, "device", session.deviceName);
    setText(this.section, "signed_in", this.format.stamp(session.signedInAt));
    setText(this.section, "version", data ? fill(this.texts.data_version, {
      version: sync.version.slice(0, 8), stamp: this.format.stamp(data.meta.generated_at) }) : never);
    setText(this.section, "last_sync", state.lastSyncAt ? this.format.stamp(state.lastSyncAt) : never);
    const practices = (data ? data.practices() : []).map((practice) => {
      const item = clone("tpl-practice");
      setText(item, "name", practice.name);
      setText(item, "address", [practice.street, [practice.postcode, practice.city].filter(Boolean).join(" ")]
        .filter(Boolean).join(", "));
      return item;
    });
    this.section.querySelector("[data-field=practices]").replaceChildren(...practices);
  }
}
