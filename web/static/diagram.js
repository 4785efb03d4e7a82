// Bring the current step of the process diagram into view; let the reader zoom out and in (a
// tablet shows a small part of it at its natural size) or fit it to the page's width.
(function () {
  "use strict";
  var SCALES = [0.3, 0.45, 0.6, 0.8, 1, 1.25];  // of the drawn size; 1 at first
  document.querySelectorAll(".diagram").forEach(function (box) {
    var svg = box.querySelector("svg");
    // The step itself, not a sub-process around it (its box is the whole of its lane's width):
    // the smallest of the current shapes, in the middle of the box.
    var current = null, area = Infinity;
    box.querySelectorAll('[data-state="current"]').forEach(function (shape) {
      var r = shape.getBoundingClientRect();
      if (r.width * r.height < area) { current = shape; area = r.width * r.height; }
    });
    if (svg && current) {
      var r = current.getBoundingClientRect(), b = box.getBoundingClientRect();
      box.scrollLeft = Math.max(0, box.scrollLeft + r.left - b.left + r.width / 2 - b.width / 2);
      box.scrollTop = Math.max(0, box.scrollTop + r.top - b.top + r.height / 2 - b.height / 2);
    }
    if (!svg) { return; }
    var width = parseFloat(svg.getAttribute("width")), height = parseFloat(svg.getAttribute("height"));
    var toggle = document.querySelector("[data-diagram-fit]");
    var zoom = document.querySelector("[data-diagram-zoom]");
    var level = SCALES.indexOf(1);

    function show(scale) {
      // The point at the middle of the box stays there.
      var x = (box.scrollLeft + box.clientWidth / 2) / svg.clientWidth;
      var y = (box.scrollTop + box.clientHeight / 2) / svg.clientHeight;
      svg.setAttribute("width", String(width * scale));
      svg.setAttribute("height", String(height * scale));
      svg.style.height = "";
      box.scrollLeft = x * svg.clientWidth - box.clientWidth / 2;
      box.scrollTop = y * svg.clientHeight - box.clientHeight / 2;
      if (toggle) { toggle.setAttribute("aria-pressed", "false"); }
      if (zoom) {
        zoom.querySelector('[data-step="-1"]').disabled = level === 0;
        zoom.querySelector('[data-step="1"]').disabled = level === SCALES.length - 1;
      }
    }

    if (zoom && width && height) {
      zoom.hidden = false;
      zoom.querySelectorAll("button").forEach(function (button) {
        button.addEventListener("click", function () {
          level = Math.min(SCALES.length - 1, Math.max(0, level + Number(button.getAttribute("data-step"))));
          show(SCALES[level]);
        });
      });
    }
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        if (toggle.getAttribute("aria-pressed") === "true") { show(SCALES[level]); return; }
        svg.setAttribute("width", "100%");
        // Fitted, its height follows the width (the viewBox's proportions): "auto" is no SVG length.
        svg.removeAttribute("height");
        svg.style.height = "auto";
        toggle.setAttribute("aria-pressed", "true");
      });
    }
  });
}());
