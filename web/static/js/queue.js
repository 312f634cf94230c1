// « Tout sélectionner » above the queue's checkboxes (the box stays hidden without JavaScript).
document.querySelectorAll("[data-select-all]").forEach((master) => {
  const form = master.closest("form");
  const name = master.dataset.selectAll;
  const boxes = () => Array.from(form.querySelectorAll(`input[type=checkbox][name="${name}"]`));
  if (boxes().length === 0) return;
  master.hidden = false;
  master.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = master.checked; });
  });
});
