/* The dossier page's BPMN diagram: bpmn-js (vendored, web/static/vendor/bpmn-js/) loads the XML of the
 * instance's version and marks the element(s) the request waits on with the class "tache-courante", and
 * the user tasks it went through (also once it is closed) with "tache-parcourue".
 * No inline script (CSP script-src 'self'). */
(function () {
  "use strict";
  var container = document.getElementById("diagramme");
  if (!container || typeof window.BpmnJS !== "function") {
    return;
  }
  var errorBox = document.querySelector("[data-diagram-error]");
  var current = (container.getAttribute("data-current") || "").split(" ").filter(Boolean);
  var path = (container.getAttribute("data-path") || "").split(" ").filter(Boolean);
  var viewer = new window.BpmnJS({ container: container });

  function fail() {
    if (errorBox) {
      errorBox.hidden = false;
    }
  }

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
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      path.forEach(function (id) {
        if (registry.get(id) && current.indexOf(id) < 0) {
          canvas.addMarker(id, "tache-parcourue");
        }
      });
      current.forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, "tache-courante");
        }
      });
      container.setAttribute("data-diagram-ready", "true");
    })
    .catch(fail);
})();
