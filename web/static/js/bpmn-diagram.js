/* One diagram of a page, read only: the vendored bpmn-js viewer loads the BPMN XML named by the
 * container's data-xml-url, fits it, lets the page mark its elements, then sets
 * data-diagram-ready="true" (what the browser tests wait for). If anything fails, the page's
 * [data-diagram-error] box is shown (the page's tables and lists carry the same information).
 * Used by dossier-diagram.js, studio-diff.js and studio-waiting.js. No inline script (CSP). */
(function () {
  "use strict";

  function showDiagram(containerId, decorate) {
    var container = document.getElementById(containerId);
    if (!container || typeof window.BpmnJS !== "function") {
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function () {
        var canvas = viewer.get("canvas");
        canvas.zoom("fit-viewport");
        decorate(container, canvas, viewer.get("elementRegistry"), viewer);
        container.setAttribute("data-diagram-ready", "true");
      })
      .catch(function () {
        var box = document.querySelector("[data-diagram-error]");
        if (box) {
          box.hidden = false;
        }
      });
  }

  window.GuichetDiagram = { show: showDiagram };
})();
