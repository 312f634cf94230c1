/* The dossier page's BPMN diagram (loading: bpmn-diagram.js): marks the element(s) the request waits
 * on with the class "tache-courante", and the user tasks it went through (also once it is closed) with
 * "tache-parcourue". No inline script (CSP script-src 'self'). */
(function () {
  "use strict";
  if (!window.GuichetDiagram) {
    return;
  }
  window.GuichetDiagram.show("diagramme", function (container, canvas, registry) {
    var current = (container.getAttribute("data-current") || "").split(" ").filter(Boolean);
    var path = (container.getAttribute("data-path") || "").split(" ").filter(Boolean);
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
  });
})();
