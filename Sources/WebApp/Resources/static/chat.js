// Cairn chat: sends chat forms with fetch and appends the tutor's reply as it streams in
// (server-sent events). Without JavaScript the same forms post normally and the page reloads.
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  if (!chat) return;
  var errorBox = document.getElementById("chat-error");
  var busy = false;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.textContent = "";
    errorBox.hidden = true;
  }

  function append(html) {
    // Only the newest message keeps its action buttons (the model's coaching has none, so
    // the buttons stay on the feedback above it).
    if (html.indexOf("kind-coaching") < 0 && html.indexOf("kind-practice") < 0) {
      chat.querySelectorAll(".msg > .actions").forEach(function (node) { node.remove(); });
    }
    chat.insertAdjacentHTML("beforeend", html);
    var added = chat.lastElementChild;
    if (added) added.scrollIntoView({ behavior: "smooth", block: "start" });
    enhance(added);
  }

  function updateSummary(summary) {
    var meta = document.querySelector(".chat-main > .meta");
    if (meta && meta.firstChild && meta.firstChild.nodeType === 3) {
      meta.firstChild.textContent = meta.firstChild.textContent.replace(/\d+ of \d+ tasks passed/, summary.tasksPassed + " of " + summary.taskCount + " tasks passed");
    }
    var items = document.querySelectorAll(".mastery .skill");
    summary.skills.forEach(function (skill, index) {
      var item = items[index];
      if (!item) return;
      var meter = item.querySelector("meter");
      if (meter) { meter.value = skill.percent; meter.textContent = skill.percent + "%"; meter.setAttribute("aria-label", skill.title + ": " + skill.percent + "%"); }
      var level = item.querySelector(".skill-level");
      if (level) level.textContent = skill.percent + "% · " + skill.level;
      item.classList.toggle("mastered", skill.level === "mastered");
    });
  }

  // The number of the newest message on the page (0 when there is none).
  function lastSequence() {
    var newest = 0;
    chat.querySelectorAll(".msg[data-seq]").forEach(function (node) {
      newest = Math.max(newest, Number(node.getAttribute("data-seq")) || 0);
    });
    return newest;
  }

  // Parses a text/event-stream body as it arrives: onEvent(name, data, id).
  async function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var boundary;
      while ((boundary = buffer.indexOf("\n\n")) >= 0) {
        var raw = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        var name = "message", data = [], id = null;
        raw.split("\n").forEach(function (line) {
          if (line.indexOf("event: ") === 0) name = line.slice(7);
          else if (line.indexOf("id: ") === 0) id = line.slice(4);
          else if (line.indexOf("data: ") === 0) data.push(line.slice(6));
          else if (line === "data:") data.push("");
        });
        onEvent(name, data.join("\n"), id);
      }
    }
  }

  document.addEventListener("submit", async function (event) {
    var form = event.target;
    if (!form.matches("form[data-chat]")) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    clearError();
    var body = new URLSearchParams(new FormData(form, event.submitter));
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    chat.setAttribute("aria-busy", "true");
    try {
      var response = await fetch(form.getAttribute("action"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "text/event-stream", "Content-Type": "application/x-www-form-urlencoded" }
      });
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("text/event-stream") !== 0) {
        var message = "Something went wrong; please try again.";
        try { message = (await response.json()).error.message; } catch (ignored) {}
        if (response.status === 401) message = "Your session has ended. Log in again to carry on; your work so far is saved.";
        showError(message);
        return;
      }
      var finished = false;
      // A model's reply as it is written: plain text in a bubble of its own, replaced by the
      // stored message when it ends, or removed if the model failed.
      var pending = null;
      var dropPending = function () { if (pending) { pending.remove(); pending = null; } };
      var onEvent = function (name, data, id) {
        if (name === "delta") {
          var piece = JSON.parse(data);
          if (!pending) {
            pending = document.createElement("li");
            pending.className = "msg tutor pending kind-" + (piece.kind === "practice" ? "practice" : "coaching");
            pending.innerHTML = '<p class="who">Tutor</p><div class="bubble"><p></p></div>';
            if (piece.title) {
              var heading = document.createElement("h3");
              heading.textContent = piece.title;
              pending.querySelector(".bubble").prepend(heading);
            }
            chat.appendChild(pending);
          }
          pending.querySelector(".bubble p").textContent += piece.text;
          return;
        }
        if (name === "model-failed") { dropPending(); return; }
        // A message already on the page (a resumed reply repeats none, but be sure) is skipped.
        if (name === "message" && !(id && document.getElementById("m" + id))) { dropPending(); append(data); }
        else if (name === "summary") updateSummary(JSON.parse(data));
        else if (name === "done") { dropPending(); finished = true; }
      };
      try {
        await readEvents(response, onEvent);
      } catch (dropped) {
        // The reply was cut off: what was sent is stored, so it is fetched again below.
      }
      if (!finished) {
        // Resume from the last message received; any Cairn node can answer this.
        var resumed = await fetch(form.getAttribute("action") + "/events", {
          credentials: "same-origin",
          headers: { "Accept": "text/event-stream", "Last-Event-ID": String(lastSequence()) }
        });
        if (!resumed.ok) throw new Error("resume failed");
        await readEvents(resumed, onEvent);
        if (!finished) throw new Error("resume incomplete");
      }
      if (form.classList.contains("ask")) form.reset();
    } catch (error) {
      showError("The connection dropped. Your work is saved; reload the page to carry on.");
    } finally {
      busy = false;
      buttons.forEach(function (button) { button.disabled = false; });
      chat.removeAttribute("aria-busy");
    }
  });

  // Ordering: drag an item to a new place and the position numbers follow.
  function enhance(root) {
    if (!root) return;
    root.querySelectorAll(".order-list").forEach(function (list) {
      var dragged = null;
      list.addEventListener("dragstart", function (event) { dragged = event.target.closest(".order-item"); });
      list.addEventListener("dragover", function (event) { event.preventDefault(); });
      list.addEventListener("drop", function (event) {
        event.preventDefault();
        var target = event.target.closest(".order-item");
        if (!dragged || !target || dragged === target) return;
        var items = Array.prototype.slice.call(list.children);
        if (items.indexOf(dragged) < items.indexOf(target)) target.after(dragged); else target.before(dragged);
        Array.prototype.forEach.call(list.children, function (item, index) {
          item.querySelector("select").value = String(index + 1);
        });
      });
    });
  }
  enhance(document);
  var last = chat.lastElementChild;
  if (last && location.hash === "") last.scrollIntoView({ block: "start" });
})();
