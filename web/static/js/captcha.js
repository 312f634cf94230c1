/*
 * « Changer le texte de contrôle » without reloading the page (web/templates/_macros/captcha.html).
 *
 * The button is a plain submit button (name="action" value="changer_captcha"): without this script,
 * or when the call below fails, it submits the page's form and the page's view issues a new
 * challenge. With it, POST /controle/nouveau (CSRF token of the enclosing form) returns
 * {id, image_url, audio_url}; the image, the audio and the hidden id are swapped, the typed answer
 * is cleared and a status message is announced to screen readers. Focus stays on the button.
 */
(function () {
  "use strict";

  function setUp(box) {
    var button = box.querySelector("[data-captcha-refresh]");
    var form = button && button.form;
    if (!form || !window.fetch || !window.FormData) {
      return;
    }
    var image = box.querySelector("[data-captcha-image]");
    var audio = box.querySelector("[data-captcha-audio]");
    var link = box.querySelector("[data-captcha-audio-link]");
    var hiddenId = box.querySelector("[data-captcha-id]");
    var status = box.querySelector("[data-captcha-status]");
    var answer = box.querySelector("input[type=text]");

    function submitWithoutScript() {
      if (form.requestSubmit) {
        form.requestSubmit(button);
      } else {
        var action = document.createElement("input");
        action.type = "hidden";
        action.name = button.name;
        action.value = button.value;
        form.appendChild(action);
        form.noValidate = true;
        form.submit();
      }
    }

    button.addEventListener("click", function (event) {
      var token = form.querySelector("input[name=csrf_token]");
      if (!token) {
        return; // the form submits: the page's view changes the text
      }
      event.preventDefault();
      if (button.getAttribute("aria-busy") === "true") {
        return;
      }
      button.setAttribute("aria-busy", "true");
      var body = new FormData();
      body.append("csrf_token", token.value);
      body.append("captcha_id", hiddenId.value);
      fetch(box.getAttribute("data-captcha-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          hiddenId.value = data.id;
          image.src = data.image_url;
          if (audio) {
            audio.pause();
            audio.src = data.audio_url;
            audio.load();
          }
          if (link) {
            link.href = data.audio_url;
          }
          if (answer) {
            answer.value = "";
          }
          status.textContent = "";
          window.setTimeout(function () {
            status.textContent = box.getAttribute("data-captcha-changed") || "";
          }, 100);
          button.removeAttribute("aria-busy");
        })
        .catch(function () {
          button.removeAttribute("aria-busy");
          submitWithoutScript();
        });
    });
  }

  var boxes = document.querySelectorAll("[data-captcha]");
  for (var i = 0; i < boxes.length; i += 1) {
    setUp(boxes[i]);
  }
})();
