// Signature pads (terminal and the portal's manual check-in): each form writes its pad's PNG
// into its hidden "signature" field before it is submitted.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof SignaturePad === "undefined") {
      return;
    }
    document.querySelectorAll("form[data-signature-form]").forEach(function (form) {
      var canvas = form.querySelector("canvas.signature-pad");
      var field = form.querySelector("input[name=signature]");
      var pad = new SignaturePad(canvas, { penColor: "#10243e", backgroundColor: "rgb(255,255,255)" });
      form.querySelector(".signature-clear").addEventListener("click", function () {
        pad.clear();
      });
      form.addEventListener("submit", function () {
        field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
      });
    });
  });
})();
