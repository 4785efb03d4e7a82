// The end of a session left idle (web/access.py ends it after CASEWORK_IDLE_MINUTES without a
// request). While someone types or clicks, the page asks the server for more time, at most every
// few minutes. Before the end it warns, with a countdown and a button to stay. At the end it
// saves the task form as a draft (when it was changed) and signs out, and the sign-in page says
// why. Tabs share when the server last heard from the person (a time, nothing else), so that a
// tab left open does not close the session another tab is using; and signing out in one tab
// takes every other tab to the sign-in page at once, instead of leaving a case on screen. A
// computer asleep past the end cannot save the draft any more: the form is kept in the tab and
// saved as a draft once the same person is back on the task, signed in again.
(function () {
  "use strict";
  var body = document.body;
  var idle = Number(body.getAttribute("data-idle-seconds")) * 1000;
  var keepalive = body.getAttribute("data-keepalive");
  var dialog = document.getElementById("idle-dialog");
  var leave = document.getElementById("idle-logout");
  if (!idle || !keepalive || !dialog || !leave || typeof dialog.showModal !== "function") { return; }
  var KEY = "casework.contact", SIGNED_OUT = "casework.signed-out";
  var warnBefore = Math.min(120000, idle / 4);
  var askEvery = Math.min(300000, idle / 4);
  var csrf = leave.querySelector("input[name=csrf_token]").value;
  var countdown = dialog.querySelector("[data-idle-countdown]");
  var draftForm = document.querySelector("form[data-draft]");
  var otherForms = Array.prototype.filter.call(document.querySelectorAll("main form[method=post]"),
    function (form) { return form !== draftForm; });
  var contact = Date.now();
  var active = false, asking = false, ending = false, drafted = false;

  function snapshot(form) { return new URLSearchParams(new FormData(form)).toString(); }
  var initial = new Map();
  [draftForm].concat(otherForms).forEach(function (form) { if (form) { initial.set(form, snapshot(form)); } });
  // Changed since the page came, or shown with values not saved (a form sent back with errors).
  function changed(form) {
    return Boolean(form) && initial.has(form) && (form.hasAttribute("data-unsaved") || snapshot(form) !== initial.get(form));
  }

  function share(when) {
    contact = Math.max(contact, when);
    try { localStorage.setItem(KEY, String(contact)); } catch (e) { /* storage off: this tab alone */ }
  }
  function shared() {
    try { contact = Math.max(contact, Number(localStorage.getItem(KEY)) || 0); } catch (e) { /* idem */ }
    return contact;
  }
  share(contact);

  function ask() {
    if (asking) { return; }
    asking = true;
    var sent = Date.now();
    fetch(keepalive, { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 204) { share(sent); }
        else if (response.status === 401) { window.location.assign(here()); }
      })
      .catch(function () { /* offline for a moment: the next activity asks again */ })
      .then(function () { asking = false; });
  }

  function here() { return window.location.pathname + window.location.search; }

  // The form kept by a tab that woke up after its session had ended: in this tab only
  // (sessionStorage), for this person and this task, for a few hours; gone once used.
  var KEPT = "casework.kept", KEEP_FOR = 8 * 3600 * 1000;
  var user = body.getAttribute("data-user");
  function keep() {
    if (!draftForm || !changed(draftForm)) { return; }
    var fields = [];
    new FormData(draftForm).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") { fields.push([name, value]); }
    });
    try {
      sessionStorage.setItem(KEPT, JSON.stringify({ user: user, path: window.location.pathname, at: Date.now(), fields: fields }));
    } catch (e) { /* storage off: nothing can be kept */ }
  }
  function restore() {
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(KEPT) || "null"); } catch (e) { return; }
    if (!kept) { return; }
    var mine = kept.user === user && Date.now() - kept.at < KEEP_FOR;
    if (mine && (!draftForm || kept.path !== window.location.pathname)) { return; }  // not on its task yet
    try { sessionStorage.removeItem(KEPT); } catch (e) { /* idem */ }
    if (!mine) { return; }  // someone else signed in on this tab: never shown to them
    var data = new FormData();
    kept.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    data.set("csrf_token", csrf);
    data.set("action", "draft");
    data.set("_restored", "1");
    ending = true;
    fetch(draftForm.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin", redirect: "manual" })
      .catch(function () { /* the page below shows what the server has */ })
      .then(function () { window.location.reload(); });
  }
  restore();

  function saveDraft() {
    if (!draftForm || drafted || !changed(draftForm)) { return Promise.resolve(); }
    drafted = true;
    var data = new FormData(draftForm);
    data.set("action", "draft");
    // getAttribute: the form has buttons named "action", which hide its .action property.
    return fetch(draftForm.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin", redirect: "manual" })
      .catch(function () { /* nothing more can be done: the session ends either way */ });
  }

  function end() {
    ending = true;
    saveDraft().then(function () {
      leave.querySelector("input[name=next]").value = here();
      leave.submit();
    });
  }

  function show(left) {
    var seconds = Math.max(0, Math.ceil(left / 1000));
    countdown.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    if (!dialog.open) {
      dialog.querySelector("[data-idle-draft]").hidden = !changed(draftForm);
      dialog.querySelector("[data-idle-lost]").hidden = !otherForms.some(changed);
      dialog.showModal();
    }
  }

  function tick() {
    if (ending || asking) { return; }
    var left = shared() + idle - Date.now();
    if (left < -5000) {
      // The computer slept past the end: the server has ended the session already, and the
      // page, loaded again, leads to the sign-in page, which says why. The form is kept (above).
      ending = true;
      keep();
      window.location.assign(here());
    } else if (left <= 1000) {
      end();
    } else if (left <= warnBefore) {
      show(left);
    } else {
      if (dialog.open) { dialog.close(); }  // another tab, or a click on "stay", kept it alive
      if (active && Date.now() - contact >= askEvery) { active = false; ask(); }
    }
  }

  ["keydown", "input", "pointerdown", "wheel", "touchstart"].forEach(function (kind) {
    document.addEventListener(kind, function () { if (!dialog.open) { active = true; } }, { passive: true, capture: true });
  });
  dialog.querySelector("[data-idle-stay]").addEventListener("click", function () { dialog.close(); ask(); });
  dialog.addEventListener("cancel", function () { ask(); });  // Escape: the person is there
  window.addEventListener("storage", function (event) {
    // Another tab has signed out (static/signed_out.js, on the sign-in page that follows, once
    // the session is gone: a request of this tab made before could bring its cookie back). This
    // page is loaded again, which leads to the sign-in page.
    if (event.key === SIGNED_OUT && !ending) { ending = true; window.location.assign(here()); }
  });
  // Leaving a page whose form was changed (a link, the language switch, signing out, closing the
  // tab) asks first: what was typed would be lost. Sending that form does not ask, nor does the
  // end of an idle session, which keeps a task form as a draft.
  var sending = false;
  document.addEventListener("submit", function (event) { if (initial.has(event.target)) { sending = true; } }, true);
  window.addEventListener("beforeunload", function (event) {
    if (sending || ending || ![draftForm].concat(otherForms).some(changed)) { return; }
    event.preventDefault();
    event.returnValue = "";
  });
  window.addEventListener("pageshow", function () { sending = false; });  // back from the cache
  setInterval(tick, 1000);
}());
