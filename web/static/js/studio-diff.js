/* The studio's comparison of two versions: the arriving version's diagram (vendored bpmn-js viewer)
 * with the added elements marked in green and the changed ones in orange; removed elements are only
 * in the list (they are not in this diagram). Loading: bpmn-diagram.js. No inline script (CSP). */
(function () {
  "use strict";
  if (!window.GuichetDiagram) {
    return;
  }
  window.GuichetDiagram.show("diagramme-comparaison", function (container, canvas, registry) {
    var rows = document.querySelectorAll("tr[data-element-id][data-status]");
    Array.prototype.forEach.call(rows, function (row) {
      var id = row.getAttribute("data-element-id");
      var status = row.getAttribute("data-status");
      if (status !== "removed" && registry.get(id)) {
        canvas.addMarker(id, "studio-diff-" + status);
      }
    });
  });
})();
