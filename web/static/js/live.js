/*
 * The request page follows its request without a reload (web/demarches/views.py, request_state).
 *
 * The element carrying data-live-url is the page's live part: every data-live-interval seconds
 * (5 s) the script GETs that URL, a JSON document {status, status_label, updated_at, running,
 * events: [{date, datetime, type, label, role, comment}]} with the public timeline only. When it
 * changed, the status badge ([data-live-status]) and the timeline ([data-live-timeline], same markup
 * as _macros/history.html) are rebuilt with textContent (never HTML from the server), and a new
 * status is announced in the aria-live="polite" region ([data-live-announce]) as « Statut mis à
 * jour : … ». When the request is no longer running, « Annuler ma demande » ([data-live-running])
 * is hidden. Polls pause while the tab is hidden, and stop for good on 401/403/404 (session ended,
 * request gone). The server does not count a poll as activity: an idle session still times out.
 * The expected completion date ([data-live-estimate], JSON `estimate`: {date, datetime, text, late}
 * or null) is refreshed at each poll: the queue moves even when the request itself does not.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-url]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-live-url");
  var interval = (Number(root.getAttribute("data-live-interval")) || 5) * 1000;
  // The page's texts, in its language (no French in this file).
  var statusPrefix = root.getAttribute("data-status-prefix") || "";
  var announcePrefix = root.getAttribute("data-announce-prefix") || "";
  var badge = root.querySelector("[data-live-status]");
  var timeline = root.querySelector("[data-live-timeline]");
  var announce = root.querySelector("[data-live-announce]");
  var estimate = root.querySelector("[data-live-estimate]");
  var lastStatus = badge ? badge.textContent.trim() : "";
  var lastKey = null;
  var timer = null;
  var stopped = false;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function renderEvent(event) {
    var item = element("li", "timeline-item");
    var date = element("p", "timeline-date");
    var time = element("time", null, event.date);
    time.setAttribute("datetime", event.datetime);
    date.appendChild(time);
    item.appendChild(date);
    var label = element("p", "timeline-label");
    if (event.type === "status_changed") {
      label.appendChild(document.createTextNode(statusPrefix));
      label.appendChild(element("strong", null, event.label));
    } else {
      label.appendChild(document.createTextNode(event.label));
    }
    if (event.role) {
      label.appendChild(document.createTextNode(" "));
      label.appendChild(element("span", "timeline-role", "— " + event.role));
    }
    item.appendChild(label);
    if (event.comment) {
      item.appendChild(element("blockquote", "timeline-comment", event.comment));
    }
    return item;
  }

  function renderEstimate(data) {
    if (!estimate) {
      return;
    }
    var value = data.running ? data.estimate : null;
    estimate.hidden = !value;
    estimate.textContent = value ? value.text : "";
    estimate.className = value && value.late ? "estimate estimate-late" : "estimate";
  }

  function render(data) {
    renderEstimate(data);
    var key = data.status + "|" + data.status_label + "|" + data.updated_at + "|" + data.events.length;
    if (key === lastKey) {
      return;
    }
    lastKey = key;
    if (badge) {
      badge.textContent = data.status_label;
      badge.className = "status status-" + data.status;
    }
    if (timeline) {
      var list = element("ol", "timeline");
      data.events.forEach(function (event) {
        list.appendChild(renderEvent(event));
      });
      timeline.replaceChildren(list);
    }
    if (!data.running) {
      Array.prototype.forEach.call(root.querySelectorAll("[data-live-running]"), function (section) {
        section.hidden = true;
      });
    }
    if (data.status_label !== lastStatus) {
      lastStatus = data.status_label;
      if (announce) {
        announce.textContent = announcePrefix + data.status_label;
      }
    }
  }

  function schedule() {
    if (!stopped) {
      timer = window.setTimeout(poll, interval);
    }
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      schedule();
      return;
    }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          stopped = true;
          return null;
        }
        var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!response.ok || !isJson) {
          return null; // a passing failure: try again at the next tick
        }
        return response.json();
      })
      .then(function (data) {
        if (data && data.events) {
          render(data);
        }
      })
      .catch(function () {
        // Network hiccup: keep the page as it is and try again later.
      })
      .then(schedule);
  }

  schedule();
})();
