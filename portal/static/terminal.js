// Signature pads (the terminal and the portal's manual check-in): each form keeps its pad's PNG in
// its hidden "signature" field, updated after every stroke, so a plain post and htmx both send it.
// Pads that htmx swaps in later are bound too.
(function () {
  "use strict";

  function bind(form) {
    if (form.dataset.signatureBound || typeof SignaturePad === "undefined") {
      return;
    }
    form.dataset.signatureBound = "1";
    var canvas = form.querySelector("canvas.signature-pad");
    var field = form.querySelector("input[name=signature]");
    var pad = new SignaturePad(canvas, { penColor: "#10243e", backgroundColor: "rgb(255,255,255)" });
    function keep() {
      field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    }
    pad.addEventListener("endStroke", keep);
    form.querySelector(".signature-clear").addEventListener("click", function () {
      pad.clear();
      keep();
    });
    form.addEventListener("submit", keep);
  }

  function bindAll(root) {
    root.querySelectorAll("form[data-signature-form]").forEach(bind);
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindAll(document);
  });
  document.addEventListener("htmx:load", function (event) {
    bindAll(event.detail.elt.parentNode || document);
  });
})();
