// Cairn exam: shows the time left (the server keeps the real clock and ends the exam when
// it runs out), reports when the page loses focus, and stops a second click sending an
// answer twice (the server records one answer per item either way).
(function () {
  "use strict";
  var bar = document.querySelector("[data-exam]");
  if (!bar) return;
  var left = parseInt(bar.getAttribute("data-seconds-left"), 10) || 0;
  var clock = document.getElementById("exam-time");
  var deadline = Date.now() + left * 1000;

  function format(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes >= 1 ? minutes + " min " + (rest < 10 ? "0" : "") + rest + " s" : seconds + " s";
  }

  function tick() {
    var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    clock.textContent = format(seconds);
    if (seconds <= 60) bar.classList.add("ending");
    if (seconds === 0) {
      // Time is up: the server has ended the exam; show where it stands.
      window.location.reload();
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();

  var events = bar.getAttribute("data-events");
  var confirming = false;
  // Leaving the page (an answer sent, a reload) hides it too; only report when it stays.
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  function report(detail) {
    if (confirming || leaving) return;
    var body = new URLSearchParams({ kind: "focus_lost", detail: detail });
    if (navigator.sendBeacon) {
      navigator.sendBeacon(events, body);
    } else {
      fetch(events, { method: "POST", body: body, credentials: "same-origin", keepalive: true });
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") report("page hidden");
  });
  window.addEventListener("blur", function () { report("window lost focus"); });

  document.querySelectorAll("form[data-exam-answer], form[data-exam-finish]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-exam-finish")) {
        confirming = true;
        var sure = window.confirm("Finish the exam now? Items you have not answered will score nothing.");
        confirming = false;
        if (!sure) { event.preventDefault(); return; }
      }
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      leaving = true;
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    });
  });
})();
