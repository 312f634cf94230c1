/* The studio's waiting figures page (« Où les demandes attendent »): the version's diagram (vendored bpmn-js viewer) with, on
 * each element (user task, timer, automatic step), the figures of the table (passed, waiting, median) as an overlay, the busiest task
 * framed in red, and the followed request's path (blue) and current position (orange). The table and
 * the list carry the same information for screen readers. Loading: bpmn-diagram.js. No inline script (CSP). */
(function () {
  "use strict";
  if (!window.GuichetDiagram) {
    return;
  }

  function badge(row) {
    var el = document.createElement("div");
    var level = row.getAttribute("data-level");
    el.className = "attente-badge" + (level === "forte" ? " attente-badge-forte" : "");
    el.setAttribute("aria-hidden", "true");
    el.textContent = row.getAttribute("data-badge"); // written (and translated) by the page
    return el;
  }

  window.GuichetDiagram.show("diagramme-attente", function (container, canvas, registry, viewer) {
    var overlays = viewer.get("overlays");
    var rows = document.querySelectorAll("#chiffres-attente tr[data-element-id]");
    var steps = document.querySelectorAll("#parcours-demande li[data-element-id]");
    Array.prototype.forEach.call(rows, function (row) {
      var id = row.getAttribute("data-element-id");
      if (!registry.get(id)) {
        return;
      }
      overlays.add(id, "attente", { position: { bottom: -4, left: 0 }, html: badge(row) });
      if (row.getAttribute("data-level") === "forte") {
        canvas.addMarker(id, "attente-forte");
      }
    });
    Array.prototype.forEach.call(steps, function (step) {
      var id = step.getAttribute("data-element-id");
      if (registry.get(id)) {
        canvas.addMarker(id, step.getAttribute("data-state") === "open" ? "tache-courante" : "tache-parcourue");
      }
    });
  });
})();
