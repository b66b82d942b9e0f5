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
    var fittedWidth = 0;
    function keep() {
      field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    }
    // The canvas draws in its own pixels; CSS stretches it to the page. Give it as many pixels as it
    // shows (times the screen's density), so the ink lands under the pen. A new width clears it.
    function fit() {
      var width = canvas.offsetWidth;
      if (!width || width === fittedWidth) {
        return;
      }
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      fittedWidth = width;
      canvas.width = width * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      keep();
    }
    fit();
    window.addEventListener("resize", fit);
    if (window.ResizeObserver) {
      new ResizeObserver(fit).observe(canvas);  // a pad in a closed <details> gets its size when opened
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
  window.bindSignaturePads = bindAll;  // the offline terminal draws its own signature step

  document.addEventListener("DOMContentLoaded", function () {
    bindAll(document);
  });
  document.addEventListener("htmx:load", function (event) {
    bindAll(event.detail.elt.parentNode || document);
  });
})();

// Terminal pages that show a person (the signature step, the result) go back to the course's first
// step by themselves: the result after a few seconds, the signature step when nobody touches it.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.querySelector("[data-return-to]");
    if (!page) {
      return;
    }
    var seconds = Number(page.dataset.returnAfter);  // TERMINAL_RESULT_SECONDS or TERMINAL_IDLE_SECONDS
    var timer;
    function arm() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        window.location.assign(page.dataset.returnTo);
      }, seconds * 1000);
    }
    ["pointerdown", "keydown", "input"].forEach(function (type) {
      document.addEventListener(type, arm, true);
    });
    arm();
  });
})();
