// Behaviour the markup cannot express: CSRF header for htmx, the modal dialog's life cycle.
(function () {
  "use strict";

  var openerId = null;

  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    if (token) {
      event.detail.headers["X-CSRFToken"] = token.content;
    }
  });

  function slot() {
    return document.getElementById("dialog-slot");
  }

  function restoreFocus() {
    var opener = openerId && document.getElementById(openerId);
    if (opener) {
      opener.focus();
    }
  }

  function dismiss(dialog) {
    if (dialog.open) {
      dialog.close();
    }
    dialog.remove();
    restoreFocus();
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-opens-dialog]");
    if (trigger && trigger.id) {
      openerId = trigger.id;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      event.preventDefault();
      dismiss(closer.closest("dialog"));
    }
  });

  // Escape closes a modal dialog natively; remove it so a stale form never lingers.
  document.addEventListener("close", function (event) {
    if (event.target.tagName === "DIALOG" && event.target.isConnected) {
      dismiss(event.target);
    }
  }, true);

  // A hint that belongs to one state of a checkbox (e.g. what unticking "App aktivieren" does)
  // shows while the box is in that state: data-shown-when-unchecked="<checkbox id>".
  document.addEventListener("change", function (event) {
    if (event.target.type !== "checkbox" || !event.target.id) {
      return;
    }
    document.querySelectorAll('[data-shown-when-unchecked="' + event.target.id + '"]').forEach(function (hint) {
      hint.hidden = event.target.checked;
    });
  });

  // A status that refreshes itself out of band keeps the disclosures the reader opened.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target.querySelectorAll || !event.detail.fragment) {
      return;
    }
    target.querySelectorAll("details[id][open]").forEach(function (open) {
      var fresh = event.detail.fragment.querySelector("#" + CSS.escape(open.id));
      if (fresh) {
        fresh.open = true;
      }
    });
  });

  // A question that only makes sense once a required field is filled ("wirklich entziehen?") is not
  // asked while it is empty: the request goes straight to the server, which names what is missing.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("form[data-confirm-needs]");
    if (!form || !event.detail.question) {
      return;
    }
    var needed = form.querySelector(form.dataset.confirmNeeds);
    if (needed && !needed.value.trim()) {
      event.preventDefault();
      event.detail.issueRequest(true);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target !== slot()) {
      return;
    }
    var dialog = slot().querySelector("dialog");
    if (!dialog) {
      restoreFocus();
      return;
    }
    if (!dialog.open) {
      dialog.showModal();
    }
    var focus = dialog.querySelector("[aria-invalid=true]") || dialog.querySelector("[data-autofocus]") ||
      dialog.querySelector("input:not([type=hidden]), select, textarea");
    if (focus) {
      focus.focus();
    }
  });
})();
