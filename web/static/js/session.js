/*
 * « Prolonger »: warn before the session times out (RGAA 13.1, ASVS 7.3; web/accounts/sessions.py).
 *
 * The server writes on <body> the seconds left before the session ends (data-session-expires-in),
 * which limit ends it (data-session-limit: "idle" after 30 minutes without a request, "absolute"
 * 12 hours after the login) and how long before the end to warn (data-session-warning, 120 s).
 * The deadline is counted from the page load with the browser's clock, so a skewed clock does not
 * matter. At the warning the <dialog role="alertdialog"> of base.html opens as a modal, focus goes
 * to « Prolonger » and the message is announced. « Prolonger » POSTs to /session/prolonger with the
 * CSRF token of <meta name="csrf-token">; the JSON answer gives the new deadline. The absolute limit
 * cannot be extended: the dialog then only offers « Fermer ». At the deadline the dialog says that
 * the session has expired and offers « Se reconnecter » (nothing typed in the page is thrown away).
 */
(function () {
  "use strict";

  var body = document.body;
  var dialog = document.getElementById("session-dialog");
  var left = Number(body.getAttribute("data-session-expires-in"));
  if (!dialog || !isFinite(left) || !window.fetch) {
    return;
  }
  var warning = Number(body.getAttribute("data-session-warning")) || 120;
  var extendUrl = body.getAttribute("data-session-extend-url");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var message = dialog.querySelector("[data-session-message]");
  var detail = dialog.querySelector("[data-session-detail]");
  var extendButton = dialog.querySelector("[data-session-extend]");
  var closeButton = dialog.querySelector("[data-session-close]");
  var loginLink = dialog.querySelector("[data-session-login]");
  var announce = document.querySelector("[data-session-announce]");
  var timers = [];
  var returnFocus = null;
  var expired = false;

  // The texts come from the page, in its language (data-text-* of the dialog, layout/base.html).
  function text(name) {
    return dialog.getAttribute("data-text-" + name) || "";
  }
  var TEXT = {
    idle: text("idle"),
    idleDetail: text("idle-detail"),
    absolute: text("absolute"),
    absoluteDetail: text("absolute-detail"),
    expired: text("expired"),
    expiredDetail: text("expired-detail"),
    extended: text("extended"),
    failed: text("failed"),
  };

  function clearTimers() {
    timers.forEach(window.clearTimeout);
    timers = [];
  }

  function schedule(secondsLeft, limit) {
    clearTimers();
    var untilWarning = Math.max(0, secondsLeft - warning) * 1000;
    timers.push(window.setTimeout(function () { warn(limit); }, untilWarning));
    timers.push(window.setTimeout(expire, Math.max(0, secondsLeft) * 1000));
  }

  function open() {
    if (!dialog.open) {
      returnFocus = document.activeElement;
      dialog.showModal();
    }
  }

  function close() {
    if (dialog.open) {
      dialog.close();
    }
  }

  function warn(limit) {
    if (expired) {
      return;
    }
    var extendable = limit !== "absolute";
    message.textContent = extendable ? TEXT.idle : TEXT.absolute;
    detail.textContent = extendable ? TEXT.idleDetail : TEXT.absoluteDetail;
    extendButton.hidden = !extendable;
    extendButton.disabled = false;
    closeButton.hidden = false;
    loginLink.hidden = true;
    open();
    (extendable ? extendButton : closeButton).focus();
  }

  function expire() {
    expired = true;
    clearTimers();
    message.textContent = TEXT.expired;
    detail.textContent = TEXT.expiredDetail;
    extendButton.hidden = true;
    closeButton.hidden = false;
    loginLink.hidden = false;
    open();
    loginLink.focus();
  }

  function extend() {
    extendButton.disabled = true;
    extendButton.setAttribute("aria-busy", "true");
    fetch(extendUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRFToken": tokenMeta ? tokenMeta.getAttribute("content") : "",
      },
    })
      .then(function (response) {
        var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (response.status === 401) {
          expire();
          return null;
        }
        if (!response.ok || !isJson) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        close();
        announce.textContent = TEXT.extended;
        schedule(Number(data.expires_in), data.limit);
      })
      .catch(function () {
        detail.textContent = TEXT.failed;
        extendButton.disabled = false;
        extendButton.focus();
      })
      .then(function () {
        extendButton.removeAttribute("aria-busy");
      });
  }

  extendButton.addEventListener("click", extend);
  closeButton.addEventListener("click", close);
  dialog.addEventListener("close", function () {
    if (returnFocus && typeof returnFocus.focus === "function" && document.contains(returnFocus)) {
      returnFocus.focus();
    }
    returnFocus = null;
  });

  schedule(left, body.getAttribute("data-session-limit"));
})();
