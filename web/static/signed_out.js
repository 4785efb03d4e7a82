// On the sign-in page right after signing out: tell the other tabs of this browser, which then
// leave their pages (static/session.js). Only a time is shared, nothing about the person.
(function () {
  "use strict";
  try { localStorage.setItem("casework.signed-out", String(Date.now())); } catch (e) { /* storage off */ }
}());
