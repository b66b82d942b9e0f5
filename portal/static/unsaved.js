// Unsaved changes are not left behind without a word. A form marked data-unsaved-guard differs
// from what the page rendered (or the page rendered a refused post: data-unsaved="true"). Leaving
// its dialog or page through a link, Escape or the × asks first, with the page's own words (the
// <template id="unsaved-guard-template">): save and go on, go on without saving, or stay.
(function () {
  "use strict";

  var pendingLeave = null;  // what to do once the dialog's save has gone through

  function guardedForm(scope) {
    return scope && scope.querySelector("form[data-unsaved-guard]");
  }

  function fieldChanged(el) {
    if (el.type === "hidden" || el.disabled || !el.name) {
      return false;
    }
    if (el.type === "checkbox" || el.type === "radio") {
      return el.checked !== el.defaultChecked;
    }
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }

  function unsaved(form) {
    return !!form && (form.dataset.unsaved === "true" || Array.prototype.some.call(form.elements, fieldChanged));
  }

  function ask(scope, form, goOn, near) {
    var template = document.getElementById("unsaved-guard-template");
    if (!template) {
      return goOn();
    }
    scope.querySelectorAll(".unsaved-guard").forEach(function (old) { old.remove(); });
    var guard = template.content.firstElementChild.cloneNode(true);
    if (!form.hasAttribute("hx-post")) {
      guard.querySelector("[data-guard=save]").remove();  // a plain form saves by leaving the page
    }
    guard.addEventListener("click", function (event) {
      var choice = event.target.closest("[data-guard]");
      if (!choice) {
        return;
      }
      guard.remove();
      if (choice.dataset.guard === "discard") {
        goOn();
      } else if (choice.dataset.guard === "save") {
        pendingLeave = goOn;
        form.requestSubmit();
      } else if (near) {
        near.focus();
      }
    });
    var block = near && near.closest("li, p, td");
    if (block && scope.contains(block) && !block.closest("footer")) {
      block.after(guard);
    } else {
      (scope.querySelector("footer") || scope).prepend(guard);
    }
    guard.scrollIntoView({block: "nearest"});
    guard.querySelector("button").focus();
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var closer = event.target.closest("[data-close-dialog]:not([data-discards])");
    var link = !closer && event.target.closest("a[href]");
    var scope = (closer || link) && (closer || link).closest("dialog, [data-guard-scope]");
    var form = guardedForm(scope);
    if (!form || (link && (link.target === "_blank" || link.getAttribute("href").charAt(0) === "#")) ||
        !unsaved(form)) {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(scope, form, link ? function () { window.location.assign(link.href); } : function () { scope.close(); },
        closer || link);
  }, true);

  // Escape would close the modal dialog at once.
  document.addEventListener("cancel", function (event) {
    var dialog = event.target;
    if (dialog.tagName === "DIALOG" && unsaved(guardedForm(dialog))) {
      event.preventDefault();
      ask(dialog, guardedForm(dialog), function () { dialog.close(); }, null);
    }
  }, true);

  // "Speichern und weiter": saved when the dialog is gone from its slot; refused, it stays open.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!pendingLeave || event.detail.target.id !== "dialog-slot") {
      return;
    }
    var goOn = pendingLeave;
    pendingLeave = null;
    if (!event.detail.target.querySelector("dialog")) {
      goOn();
    }
  });
})();
