// Registry imports: the upload's progress, then the check's progress while the
// server reads and checks every row; the page reloads with the preview.
(function () {
  "use strict";

  function setBar(bar, fraction) {
    var percent = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    bar.style.width = percent + "%";
    bar.setAttribute("aria-valuenow", String(percent));
    bar.textContent = percent + "%";
  }

  function uploadWithProgress(form) {
    var box = document.getElementById("upload-progress");
    var bar = box.querySelector(".progress-bar");
    var message = document.getElementById("upload-message");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.setRequestHeader("X-Requested-With", "fetch");
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) setBar(bar, e.loaded / e.total);
      });
      request.addEventListener("load", function () {
        var answer = {};
        try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = {}; }
        if (request.status === 200 && answer.next) {
          window.location.assign(answer.next);
          return;
        }
        box.classList.add("d-none");
        var texts = [];
        Object.keys(answer.errors || {}).forEach(function (key) {
          texts = texts.concat(answer.errors[key]);
        });
        message.textContent = texts.join(" ") || request.statusText;
        message.classList.remove("d-none");
      });
      message.classList.add("d-none");
      box.classList.remove("d-none");
      setBar(bar, 0);
      request.send(new FormData(form));
    });
  }

  function checkWithProgress(panel) {
    var bar = document.getElementById("import-progress");
    var stage = document.getElementById("import-stage");
    var form = panel.querySelector("form");
    var finished = false;

    function poll() {
      if (finished) return;
      fetch(panel.dataset.progress, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          var label = panel.dataset["label" + state.stage.charAt(0).toUpperCase() +
            state.stage.slice(1)];
          if (label) stage.textContent = label + (state.total ? " " + state.done + " / " + state.total : "");
          if (state.total) setBar(bar, state.done / state.total);
        })
        .finally(function () { if (!finished) window.setTimeout(poll, 500); });
    }

    fetch(panel.dataset.check, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      finished = true;
      if (response.ok) {
        setBar(bar, 1);
        window.location.reload();
      } else {
        // Reloading would start the check again; say what happened instead.
        stage.textContent = response.status + " " + response.statusText;
        bar.classList.add("bg-danger");
      }
    }, function (error) {
      finished = true;
      stage.textContent = String(error);
      bar.classList.add("bg-danger");
    });
    window.setTimeout(poll, 300);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("import-form");
    if (form) uploadWithProgress(form);
    var panel = document.getElementById("import-check");
    if (panel) checkWithProgress(panel);
  });
})();
