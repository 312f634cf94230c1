/*
 * Send a form once: after the first submission, the form's buttons are disabled and a second
 * submission (double click, Enter pressed twice) is ignored. Progressive enhancement only: without
 * this script the server still refuses the second submission cleanly (web/tasks/drafts.py,
 * engine/drafts.py). The buttons are disabled after the browser has built the submission, so the
 * clicked button's name and value (action=suivant, action=brouillon…) are still sent. A page
 * restored from the back/forward cache gets its buttons back.
 */
(function () {
  "use strict";

  function buttons(form) {
    return form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]');
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-submit-always")) {
      return;
    }
    if (form.getAttribute("data-submitted") === "1") {
      event.preventDefault();
      return;
    }
    if (event.defaultPrevented) {
      return;
    }
    form.setAttribute("data-submitted", "1");
    form.setAttribute("aria-busy", "true");
    window.setTimeout(function () {
      buttons(form).forEach(function (button) {
        button.disabled = true;
        button.setAttribute("data-sending", "");
      });
    }, 0);
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll('form[data-submitted="1"]').forEach(function (form) {
      form.removeAttribute("data-submitted");
      form.removeAttribute("aria-busy");
      buttons(form).forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("data-sending");
      });
    });
  });
})();
