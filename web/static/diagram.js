// Bring the current step of the process diagram into view; let the reader switch to a fitted view.
(function () {
  "use strict";
  document.querySelectorAll(".diagram").forEach(function (box) {
    var svg = box.querySelector("svg");
    var current = box.querySelector('[data-state="current"]');
    if (svg && current) {
      var r = current.getBoundingClientRect(), b = box.getBoundingClientRect();
      box.scrollLeft = Math.max(0, r.left - b.left - b.width / 3);
      box.scrollTop = Math.max(0, r.top - b.top - b.height / 3);
    }
    var toggle = document.querySelector('[data-diagram-fit]');
    if (toggle && svg) {
      var width = svg.getAttribute("width"), height = svg.getAttribute("height");
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var fitted = toggle.getAttribute("aria-pressed") === "true";
        svg.setAttribute("width", fitted ? width : "100%");
        // Fitted, its height follows the width (the viewBox's proportions): "auto" is no SVG length.
        if (fitted) { svg.setAttribute("height", height); } else { svg.removeAttribute("height"); }
        svg.style.height = fitted ? "" : "auto";
        toggle.setAttribute("aria-pressed", fitted ? "false" : "true");
      });
    }
  });
}());
