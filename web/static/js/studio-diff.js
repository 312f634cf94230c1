/* The studio's comparison of two versions: the arriving version's diagram (vendored bpmn-js viewer)
 * with the added elements marked in green and the changed ones in orange; removed elements are only
 * in the list (they are not in this diagram). No inline script (CSP script-src 'self'). */
(function () {
  "use strict";
  var container = document.getElementById("diagramme-comparaison");
  if (!container || typeof window.BpmnJS !== "function") {
    return;
  }
  var viewer = new window.BpmnJS({ container: container });
  var rows = document.querySelectorAll("tr[data-element-id][data-status]");
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
      Array.prototype.forEach.call(rows, function (row) {
        var id = row.getAttribute("data-element-id");
        var status = row.getAttribute("data-status");
        if (status !== "removed" && registry.get(id)) {
          canvas.addMarker(id, "studio-diff-" + status);
        }
      });
      container.setAttribute("data-diagram-ready", "true");
    })
    .catch(function () {
      var box = document.querySelector("[data-diagram-error]");
      if (box) {
        box.hidden = false;
      }
    });
})();
