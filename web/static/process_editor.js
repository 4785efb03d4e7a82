// The process editor: bpmn-js (prebuilt, from node_modules) plus a small panel for what a process
// owner changes most: names (and English names), timer expressions, conditions, scripts. The diagram's XML is put into
// the form when it is sent; the server checks everything before anything is deployed.
(function () {
  "use strict";
  var source = document.getElementById("bpmn-xml");
  var form = document.getElementById("process-form");
  if (!source || !form || typeof window.BpmnJS !== "function") { return; }
  // The editor's own texts in the page's language (static/bpmn_fr.js when it is French); a text
  // missing there stays in English.
  var texts = window.caseworkBpmnTexts || {};
  function translate(template, replacements) {
    return (texts[template] || template).replace(/{([^}]+)}/g, function (all, key) {
      return replacements && key in replacements ? replacements[key] : all;
    });
  }
  // An element's kind as people say it: "bpmn:StartEvent" -> "Start event" ("Événement de début").
  function kindOf(type) {
    var words = type.replace("bpmn:", "").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().replace("sub process", "sub-process");
    return translate(words.charAt(0).toUpperCase() + words.slice(1));
  }
  // bpmn-js 18 binds the keyboard by itself (an explicit bindTo is an error there).
  var modeler = new window.BpmnJS({ container: "#canvas", additionalModules: [{ translate: ["value", translate] }] });
  window.caseworkModeler = modeler;  // for the browser tests
  var panel = document.getElementById("element-panel");
  var fields = panel.querySelector("[data-fields]");
  var empty = panel.querySelector("[data-empty]");
  var nameInput = document.getElementById("element-name");
  var nameEnInput = document.getElementById("element-name-en");
  // An element's English name, drawn on English pages (web/diagram.py), is an extension attribute.
  var CASEWORK_NS = "https://casework.example/bpmn/extensions";
  var NAME_EN = "casework:nameEn";
  var timerInput = document.getElementById("element-timer");
  var conditionInput = document.getElementById("element-condition");
  var scriptInput = document.getElementById("element-script");
  var current = null;

  modeler.importXML(source.value).then(function () {
    var canvas = modeler.get("canvas");
    canvas.zoom("fit-viewport");
    // The tool palette lies over the canvas's left edge: zoom out so that the whole diagram
    // fits to its right, its start event not hidden under the tools.
    var palette = document.querySelector("#canvas .djs-palette");
    if (palette) {
      var box = canvas.viewbox();
      var covered = palette.getBoundingClientRect().right - document.getElementById("canvas").getBoundingClientRect().left + 24;
      var shift = Math.max(0, covered) / box.scale;
      var ratio = (box.width + shift) / box.width;
      canvas.viewbox({ x: box.x - shift, y: box.y - (box.height * ratio - box.height) / 2, width: box.width + shift,
                       height: box.height * ratio });
    }
    // The attribute's prefix must be declared for it to be written (a diagram drawn elsewhere
    // may not declare it).
    var definitions = modeler.getDefinitions();
    if (definitions && !definitions.$attrs["xmlns:casework"]) { definitions.$attrs["xmlns:casework"] = CASEWORK_NS; }
    showProblems();
  }).catch(function (err) {
    var note = document.createElement("p");
    note.className = "error";
    note.textContent = "bpmn-js: " + (err && err.message ? err.message : err);
    document.getElementById("canvas").before(note);
  });

  // The check's problems name their elements: each is outlined in red on the diagram, and its
  // name in the list leads there (zoomed to a readable size, selected, its fields in the panel).
  function showProblems() {
    var registry = modeler.get("elementRegistry");
    var canvas = modeler.get("canvas");
    document.querySelectorAll("[data-show-element]").forEach(function (button) {
      var element = registry.get(button.getAttribute("data-show-element"));
      if (!element) { button.disabled = true; return; }  // not drawn (a form's problem, say)
      canvas.addMarker(element, "has-problem");
      button.addEventListener("click", function () {
        document.getElementById("canvas").scrollIntoView({ block: "center" });
        canvas.zoom(1);
        canvas.scrollToElement(element, { top: 120, bottom: 120, left: 160, right: 120 });
        modeler.get("selection").select(element);
      });
    });
  }

  function timerOf(bo) {
    var defs = (bo && bo.eventDefinitions) || [];
    for (var i = 0; i < defs.length; i++) {
      if (defs[i].$type === "bpmn:TimerEventDefinition") {
        var d = defs[i];
        var key = d.timeDuration ? "timeDuration" : (d.timeCycle ? "timeCycle" : (d.timeDate ? "timeDate" : null));
        return { def: d, key: key };
      }
    }
    return null;
  }

  function show(selector, visible) { panel.querySelector(selector).hidden = !visible; }

  modeler.on("selection.changed", function (event) {
    current = event.newSelection.length === 1 ? event.newSelection[0] : null;
    var bo = current && current.businessObject;
    fields.hidden = !bo; empty.hidden = !!bo;
    if (!bo) { return; }
    panel.querySelector("[data-element-id]").textContent = bo.id;
    panel.querySelector("[data-element-type]").textContent = kindOf(bo.$type);
    nameInput.value = bo.name || "";
    var isStep = bo.$type === "bpmn:UserTask";  // named in English by its form's title
    show("[data-name-en]", !isStep);
    show("[data-step-en]", isStep);
    nameEnInput.value = isStep ? "" : (bo.get(NAME_EN) || "");
    var timer = timerOf(bo);
    show("[data-timer]", !!(timer && timer.key));
    timerInput.value = timer && timer.key ? (timer.def[timer.key].body || "") : "";
    var isFlow = bo.$type === "bpmn:SequenceFlow";
    show("[data-condition]", isFlow);
    conditionInput.value = isFlow && bo.conditionExpression ? (bo.conditionExpression.body || "") : "";
    var isScript = bo.$type === "bpmn:ScriptTask";
    show("[data-script]", isScript);
    scriptInput.value = isScript ? (bo.script || "") : "";
  });

  // Changes live in the modeler until the form is sent: say so to static/session.js, which warns
  // before an idle session ends that they would be lost.
  function unsaved() { form.setAttribute("data-unsaved", ""); }
  modeler.on("commandStack.changed", unsaved);
  [timerInput, conditionInput, scriptInput].forEach(function (input) { input.addEventListener("input", unsaved); });

  nameInput.addEventListener("change", function () {
    if (current) { modeler.get("modeling").updateLabel(current, nameInput.value); }
  });
  nameEnInput.addEventListener("change", function () {
    if (!current) { return; }
    var properties = {};
    properties[NAME_EN] = nameEnInput.value.trim() || undefined;
    modeler.get("modeling").updateProperties(current, properties);
  });
  timerInput.addEventListener("input", function () {
    var timer = current && timerOf(current.businessObject);
    if (timer && timer.key) { timer.def[timer.key].body = timerInput.value; }
  });
  conditionInput.addEventListener("input", function () {
    if (!current || current.businessObject.$type !== "bpmn:SequenceFlow") { return; }
    var bo = current.businessObject;
    if (!conditionInput.value.trim()) { bo.conditionExpression = undefined; return; }
    if (!bo.conditionExpression) {
      bo.conditionExpression = modeler.get("moddle").create("bpmn:FormalExpression", { body: "" });
      bo.conditionExpression.$parent = bo;
    }
    bo.conditionExpression.body = conditionInput.value;
  });
  scriptInput.addEventListener("input", function () {
    if (current && current.businessObject.$type === "bpmn:ScriptTask") { current.businessObject.script = scriptInput.value; }
  });

  var ready = false;
  form.addEventListener("submit", function (event) {
    if (ready) { return; }
    event.preventDefault();
    var submitter = event.submitter;
    modeler.saveXML({ format: true }).then(function (result) {
      source.value = result.xml;
      ready = true;
      // Later, not now: a submit requested while the first one is still being dispatched is ignored.
      setTimeout(function () {
        if (submitter && form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
      }, 0);
    }).catch(function (err) { console.error("saveXML failed", err); });
  });
}());
