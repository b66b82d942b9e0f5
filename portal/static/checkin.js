// A new prescription's units and months follow its kind (Rehasport 50 in 18 months, Funktionstraining
// 104 in 12): choosing the kind fills them with its usual terms, unless someone typed their own.
// The options carry the terms (data-units, data-months); forms that htmx swaps in are bound too.
(function () {
  "use strict";

  function bind(form) {
    if (form.dataset.defaultsBound) {
      return;
    }
    form.dataset.defaultsBound = "1";
    var kind = form.querySelector("select[name=kind]");
    var fields = { units: form.querySelector("input[name=units_approved]"), months: form.querySelector("input[name=valid_months]") };
    var first = kind.selectedOptions[0] || {};
    var applied = { units: (first.dataset || {}).units || "", months: (first.dataset || {}).months || "" };
    kind.addEventListener("change", function () {
      var terms = kind.selectedOptions[0].dataset;
      Object.keys(fields).forEach(function (key) {
        var input = fields[key];
        if (terms[key] && (input.value === "" || input.value === applied[key])) {
          input.value = terms[key];
          applied[key] = terms[key];
        }
      });
    });
  }

  function bindAll(root) {
    root.querySelectorAll("form[data-prescription-defaults]").forEach(bind);
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindAll(document);
  });
  document.addEventListener("htmx:load", function (event) {
    bindAll(event.detail.elt.parentNode || document);
  });
})();
