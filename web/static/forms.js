// Rows of arrays (objectives, actions, participants): add and remove them without a round trip.
// Without JavaScript the same buttons submit the form and the server adds or removes the row.
(function () {
  "use strict";
  function escapeRe(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function renumber(fieldset) {
    var name = fieldset.getAttribute("data-rows");
    var byName = new RegExp("^" + escapeRe(name) + "\\.(\\d+|__i__)");
    var byId = new RegExp("^f-" + escapeRe(name.replace(/[^A-Za-z0-9_-]/g, "-")) + "-(\\d+|__i__)");
    var idBase = "f-" + name.replace(/[^A-Za-z0-9_-]/g, "-");
    fieldset.querySelectorAll(":scope > .row-list > .row").forEach(function (row, index) {
      row.setAttribute("data-index", index);
      var head = row.querySelector(".row-head strong");
      if (head) { head.textContent = head.textContent.replace(/\s*\d*$/, "") + " " + (index + 1); }
      row.querySelectorAll("*").forEach(function (el) {
        ["name", "value"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v && (attr === "name" || el.name === "_remove")) { el.setAttribute(attr, v.replace(byName, name + "." + index)); }
        });
        ["id", "for", "aria-describedby"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) { el.setAttribute(attr, v.replace(byId, idBase + "-" + index)); }
        });
      });
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.add-row, button.remove-row");
    if (!button) { return; }
    var fieldset = button.closest("fieldset.rows");
    if (!fieldset) { return; }
    event.preventDefault();
    if (button.classList.contains("add-row")) {
      var template = fieldset.querySelector(":scope > template");
      var clone = template.content.cloneNode(true);
      fieldset.querySelector(":scope > .row-list").appendChild(clone);
      renumber(fieldset);
      var rows = fieldset.querySelectorAll(":scope > .row-list > .row");
      var first = rows[rows.length - 1].querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    } else {
      var row = button.closest(".row");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(fieldset);
      (next ? next.querySelector("input:not([type=hidden]), select, textarea") : fieldset.querySelector("button.add-row")).focus();
    }
  });
  // A field taking the focus (Tab, a click) shows whole above the task form's sticky action bar:
  // the browser scrolls a text area's caret into view, not its whole box.
  var taskForm = document.getElementById("task-form");
  var bar = taskForm && taskForm.querySelector(".actions-bar");
  if (bar) {
    taskForm.addEventListener("focusin", function (event) {
      var field = event.target;
      if (bar.contains(field)) { return; }
      requestAnimationFrame(function () {
        var box = field.getBoundingClientRect(), top = bar.getBoundingClientRect().top;
        if (box.bottom > top && box.height < top) { window.scrollBy(0, box.bottom - top + 8); }
      });
    });
  }
  // A form sent back with errors: its summary, or else its field in error, takes the focus. The
  // case page's forms post to an address with a fragment (the answer opens at the form, without
  // JavaScript too); the browser then skips `autofocus` and, once loaded, moves to the fragment:
  // the field is focused after that.
  var summary = document.getElementById("error-summary");
  var invalid = document.querySelector("[aria-invalid=true][autofocus]");
  if (summary) {
    summary.focus();
    // A link of the summary to a group of choices (yes/no, options, rows): a fieldset takes no
    // focus, so its chosen option (or its first control) does, as a link to a text field would
    // have it; the group's question is scrolled into view with it.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var group = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!group || group.tagName !== "FIELDSET") { return; }
      var control = group.querySelector("input:checked") ||
        group.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button");
      if (!control) { return; }
      event.preventDefault();
      group.scrollIntoView({block: "start"});
      control.focus({preventScroll: true});
    });
  } else if (invalid) {
    window.addEventListener("load", function () { setTimeout(function () { invalid.focus(); }, 0); });
  }
}());

// A long text with a limit says how much of it is used: pasted text past the limit is cut by the
// browser without a word, so the count shows it (and, near the limit, is read out).
(function () {
  "use strict";
  document.querySelectorAll("textarea[maxlength]:not([disabled])").forEach(function (area) {
    var most = Number(area.getAttribute("maxlength"));
    if (!most) { return; }
    var count = document.createElement("p");
    count.className = "muted counter";
    count.id = area.id + "-count";
    area.after(count);
    function update() {
      count.textContent = area.value.length + " / " + most;
      count.setAttribute("aria-live", area.value.length >= most * 0.9 ? "polite" : "off");
      count.classList.toggle("full", area.value.length >= most);
    }
    area.addEventListener("input", update);
    update();
  });
}());

// A row that names a person and picks their casework account (a concertation's participants):
// picking the account fills the name and organisation left empty (or filled by an earlier pick).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches(".row select[name$='.user']")) { return; }
    var row = picker.closest(".row");
    var base = picker.name.slice(0, -"user".length);
    var option = picker.selectedOptions[0];
    if (!option || !option.value) { return; }
    [["name", option.getAttribute("data-name")],
     ["organisation", option.getAttribute("data-organisation")]].forEach(function (pair) {
      var field = row.querySelector("[name='" + base + pair[0] + "']");
      if (field && pair[1] && (!field.value.trim() || field.getAttribute("data-filled") === field.value)) {
        field.value = pair[1].trim();
        field.setAttribute("data-filled", field.value);
      }
    });
  });
}());

// A field that names a row of another table (an action's objective, by its key): the keys typed
// in that table are offered as the person types ("x-suggest-from": "objectives.key"), each with
// the row's title; the field stays free text, checked by the server.
(function () {
  "use strict";
  function offer(input) {
    var path = input.getAttribute("data-suggest-from").split(".");
    var table = path[0], column = path[1];
    var list = document.getElementById(input.id + "-choices");
    if (!list) {
      list = document.createElement("datalist");
      list.id = input.id + "-choices";
      input.after(list);
      input.setAttribute("list", list.id);
    }
    list.textContent = "";
    document.querySelectorAll("[name^='" + table + ".'][name$='." + column + "']").forEach(function (key) {
      var value = key.value.trim();
      if (!value || !/^[^.]+\.\d+\.[^.]+$/.test(key.name)) { return; }
      var row = key.closest(".row");
      var title = row && row.querySelector("[name$='.title']");
      var option = document.createElement("option");
      option.value = value;
      if (title && title.value.trim()) { option.label = value + " — " + title.value.trim(); }
      list.appendChild(option);
    });
  }
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input[data-suggest-from]")) { offer(event.target); }
  });
}());
