import Hummingbird

/// The page's stylesheet and script, compiled in so the daemon is one binary. The pages work
/// without the script (plain form posts); with it, answers stream in and job progress updates.
enum Assets {
    static func response(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=3600", .xContentTypeOptions: "nosniff"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let css = """
        :root { --fg: #1b1f24; --muted: #57606a; --accent: #0b5cad; --bg: #fff; --line: #d0d7de; --warn: #9a3412; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; justify-content: space-between;
                 padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
        header nav { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
        .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
        main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, textarea:focus, select:focus { outline: 3px solid #f59e0b; outline-offset: 2px; }
        .stack { display: flex; flex-direction: column; gap: .4rem; max-width: 40rem; }
        .narrow { max-width: 28rem; margin-top: 1rem; }
        .inline { display: inline; }
        input, textarea, select, button { font: inherit; padding: .45rem .6rem; border: 1px solid var(--line); border-radius: 6px; }
        textarea { width: 100%; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        button:disabled { opacity: .6; cursor: progress; }
        button.danger { background: #fff; color: #b42318; border-color: #b42318; }
        header button { background: none; color: var(--accent); border: none; padding: 0; text-decoration: underline; }
        .error { color: #b42318; font-weight: 600; }
        .status { color: var(--muted); min-height: 1.5em; }
        .route { font-size: .95rem; padding: .4rem .6rem; border-left: 4px solid var(--accent); background: #f6f8fa; }
        .route-quoted_fallback { border-color: #d97706; }
        .route-not_found { border-color: var(--muted); }
        .answer-text { margin: .75rem 0; white-space: normal; }
        #answer-draft { white-space: pre-wrap; }
        .sources li { margin-bottom: .5rem; }
        .sources .passages { margin: .2rem 0 0; }
        .source-title { font-weight: 600; }
        .evidence { margin: .75rem 0; padding: .4rem .7rem; background: #f6f8fa; border-left: 4px solid #6e7781; }
        .evidence figcaption { font-size: .85rem; color: var(--muted); }
        .evidence blockquote { border: none; padding: .2rem 0; font-style: italic; }
        .evidence-source { margin: 0; font-size: .9rem; }
        .withheld { color: var(--muted); font-size: .9rem; }
        .location { color: var(--muted); }
        blockquote { margin: .3rem 0; padding: .3rem .6rem; border-left: 3px solid var(--line); white-space: pre-wrap; }
        fieldset { border: 1px solid var(--line); border-radius: 6px; }
        .feedback { margin-top: 1rem; display: flex; flex-direction: column; gap: .4rem; max-width: 32rem; }
        .history-entry { border-top: 1px solid var(--line); padding-top: .5rem; margin-top: 1rem; }
        .meta { color: var(--muted); font-size: .9rem; }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: .92rem; }
        th, td { text-align: left; border-bottom: 1px solid var(--line); padding: .35rem .4rem; vertical-align: top; }
        .status-failed { color: #b42318; } .status-skipped { color: var(--warn); }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
        @media (max-width: 40rem) { main { padding: .6rem; } th, td { padding: .3rem .2rem; } }
        """

    static let javascript = #"""
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
            question.addEventListener("keydown", function (e) {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
            });
            form.addEventListener("submit", function (e) {
              e.preventDefault();
              if (!question.value.trim()) { question.focus(); return; }
              button.disabled = true;
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
              if (name === "sources") {
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
        """#
}
