// What the last action left to say (a flash message: "Done: ..." after completing a task) takes
// the focus when the page opens: a screen reader reads it out, and Tab goes on from there, into
// the page, instead of from the top bar. Not when the page has given the focus already (an error
// summary, a field in error or an autofocus field) or opens at a fragment.
(function () {
  "use strict";
  var message = document.querySelector("main > .flash");
  if (!message || location.hash || document.getElementById("error-summary") ||
      document.querySelector("main [autofocus]")) { return; }
  if (document.activeElement && document.activeElement !== document.body) { return; }
  message.setAttribute("tabindex", "-1");
  message.focus();
}());
