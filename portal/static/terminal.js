// The check-in terminal: the signature pad writes its PNG into the form before submitting.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var canvas = document.getElementById("signature-pad");
    if (!canvas || typeof SignaturePad === "undefined") {
      return;
    }
    var pad = new SignaturePad(canvas, { penColor: "#10243e", backgroundColor: "rgb(255,255,255)" });
    document.getElementById("signature-clear").addEventListener("click", function () {
      pad.clear();
    });
    document.getElementById("checkin-form").addEventListener("submit", function () {
      document.getElementById("signature-data").value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    });
  });
})();
