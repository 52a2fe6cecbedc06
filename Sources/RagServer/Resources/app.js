"use strict";
(function () {
  function csrfOf(form) { var f = form.querySelector('input[name="csrf"]'); return f ? f.value : ""; }

  // Streamed answers: POST the form, read server-sent events as they come.
  var form = document.getElementById("ask-form");
  if (form && window.fetch && window.ReadableStream && window.TextDecoder) {
    var section = document.getElementById("answer");
    var status = document.getElementById("answer-status");
    var draft = document.getElementById("answer-draft");
    var evidence = document.getElementById("answer-evidence");
    var final = document.getElementById("answer-final");
    var button = document.getElementById("ask-button");
    var question = document.getElementById("question");
    var asked = document.getElementById("answer-question");
    var thread = document.getElementById("thread");
    var conversation = document.getElementById("conversation-id");
    var newConversation = document.getElementById("new-conversation");
    // The finished answer moves up into the thread when the next question is asked.
    function keepFinishedTurn() {
      if (!final.innerHTML.trim() || !asked.textContent.trim()) { return; }
      var li = document.createElement("li");
      li.className = "turn";
      var h = document.createElement("h2");
      h.className = "turn-question";
      h.textContent = asked.textContent;
      li.appendChild(h);
      while (final.firstChild) { li.appendChild(final.firstChild); }
      li.querySelectorAll("form.feedback").forEach(function (f) { f.remove(); });
      thread.appendChild(li);
    }
    question.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    });
    // After a pause in typing, the draft goes to /ask/prefill: the server reads its prompt
    // ahead, so the answer starts sooner when the question is sent. One at a time.
    var prefillTimer = null, prefilled = "", prefilling = false;
    question.addEventListener("input", function () {
      clearTimeout(prefillTimer);
      prefillTimer = setTimeout(function () {
        var text = question.value.trim();
        if (prefilling || button.disabled || text === prefilled || text.split(/\s+/).length < 3) { return; }
        prefilling = true;
        prefilled = text;
        fetch("/ask/prefill", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrfOf(form) },
          body: new URLSearchParams(new FormData(form))
        }).then(function (response) { return response.json(); })
          .then(function (outcome) { question.dataset.prefill = outcome.prefilled ? "done" : "skipped"; })
          .catch(function () { /* best effort: the question is answered either way */ })
          .then(function () { prefilling = false; });
      }, 600);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearTimeout(prefillTimer);
      if (!question.value.trim()) { question.focus(); return; }
      button.disabled = true;
      keepFinishedTurn();
      asked.textContent = question.value.trim();
      section.dataset.state = "streaming";
      section.setAttribute("aria-busy", "true");
      draft.textContent = ""; final.innerHTML = ""; evidence.innerHTML = "";
      status.textContent = "Searching the documents…";
      fetch("/ask", {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "text/event-stream", "Content-Type": "application/x-www-form-urlencoded",
                   "X-CSRF-Token": csrfOf(form) },
        body: new URLSearchParams(new FormData(form))
      }).then(function (response) {
        if (!response.ok) {
          return response.text().then(function (t) {
            var m = /role="alert">([^<]*)</.exec(t);
            throw new Error(m ? m[1] : "The request failed (" + response.status + ").");
          });
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { return; }
            buffer += decoder.decode(chunk.value, { stream: true });
            var at;
            while ((at = buffer.indexOf("\n\n")) >= 0) {
              handle(buffer.slice(0, at));
              buffer = buffer.slice(at + 2);
            }
            return pump();
          });
        }
        return pump();
      }).catch(function (error) {
        status.textContent = error.message;
        status.className = "status error";
        section.dataset.state = "error";
      }).then(function () {
        button.disabled = false;
        section.setAttribute("aria-busy", "false");
      });
    });

    function handle(frame) {
      var name = "message", data = "";
      frame.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) { name = line.slice(7); }
        else if (line.indexOf("data: ") === 0) { data += line.slice(6); }
      });
      var value = data ? JSON.parse(data) : null;
      status.className = "status";
      if (name === "searched_for") {
        status.textContent = "Searched for: " + value.query;
      } else if (name === "sources") {
        status.textContent = value.length ? "Found " + value.length + " passages. Writing the answer…" : "No passages found.";
      } else if (name === "evidence") {
        evidence.innerHTML = value.html;
      } else if (name === "route") {
        status.textContent = value.target === "large" ? "Asking the larger model…" : "Writing the answer…";
      } else if (name === "text") {
        draft.textContent += value.text;
      } else if (name === "withheld") {
        status.textContent = value.count + (value.count === 1 ? " sentence" : " sentences") +
          " withheld (not supported by the sources). Writing the answer…";
      } else if (name === "done") {
        draft.textContent = ""; evidence.innerHTML = "";
        final.innerHTML = value.html;
        status.textContent = "";
        section.dataset.state = "done";
        question.value = "";
        if (value.answer.conversation_id) {
          conversation.value = value.answer.conversation_id;
          newConversation.hidden = false;
          document.querySelector('label[for="question"]').textContent = "Ask a follow-up question";
          if (window.history && window.history.replaceState) {
            window.history.replaceState(null, "", "/?c=" + encodeURIComponent(value.answer.conversation_id));
          }
        }
      } else if (name === "error") {
        status.textContent = value.error;
        status.className = "status error";
        section.dataset.state = "error";
      }
    }
  }

  // Feedback without leaving the page; confirmations for destructive buttons.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) { e.preventDefault(); return; }
    if (f.classList && f.classList.contains("feedback") && window.fetch) {
      e.preventDefault();
      fetch(f.action, { method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(f)) }).then(function (r) {
          var p = document.createElement("p");
          p.setAttribute("role", "status");
          p.textContent = r.ok ? "Thank you for your feedback." : "Feedback could not be saved.";
          f.replaceWith(p);
        });
    }
  });

  // Live job progress on the admin page.
  var jobs = document.getElementById("job-table");
  function active() { return jobs && jobs.querySelector('tr[data-status="queued"], tr[data-status="running"]'); }
  if (jobs && active()) {
    var timer = setInterval(function () {
      fetch(jobs.dataset.live, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); }).then(function (body) {
          var running = false;
          body.jobs.forEach(function (job) {
            var row = jobs.querySelector('tr[data-job="' + job.id + '"]');
            if (!row) { return; }
            row.dataset.status = job.status;
            row.querySelector(".job-status").textContent = job.status + (job.cancel_requested && (job.status === "running") ? " (stopping)" : "");
            var bar = row.querySelector("progress");
            bar.max = Math.max(job.files_total, 1); bar.value = job.files_done;
            bar.nextSibling.textContent = " " + job.files_done + "/" + job.files_total + " files, " + job.chunks + " chunks";
            row.querySelector(".job-message").textContent = job.message || job.current_file || "";
            if (job.status === "queued" || job.status === "running") { running = true; }
          });
          if (!running) { clearInterval(timer); window.location.reload(); }
        });
    }, 2000);
  }
})();
