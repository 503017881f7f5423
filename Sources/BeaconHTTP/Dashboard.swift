/// The page served at `GET /`: a live dashboard with one card per plugin.
///
/// Self-contained (inline CSS and JavaScript, no external URL) so it ships inside the binary. The
/// script opens one `EventSource` on `/events`. URLs are relative, so the page also works behind a
/// proxy under a path prefix (`/beacon/`). Events are named, and an `EventSource` has no
/// wildcard listener, so it listens for every plugin name (and every overridden event name) that
/// `/plugins` lists, plus `check-error` and `done`; it fetches `/plugins` again on every
/// (re)connect, on `done`, on a `check-error` from an unknown plugin, and every few seconds while
/// connected, so plugins added by a reload appear. Every text is set with `textContent`: data never
/// reaches `innerHTML`. Element ids, classes and `data-*` attributes are what the browser tests in
/// `Tests/browser` look for.
enum Dashboard {
    static let html: String = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <link rel="icon" href="data:,">
        <title>Beacon</title>
        <style>
        :root {
          --bg: #f6f7f9; --card: #fff; --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3;
          --accent: #1f6feb; --bad: #c62828; --bad-bg: #fdecea; --good: #1a7f37; --warn: #9a6700;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
          color: var(--fg); background: var(--bg);
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #9aa4af; --line: #30363d;
            --accent: #58a6ff; --bad: #ff7b72; --bad-bg: #3a1418; --good: #3fb950; --warn: #d29922;
          }
        }
        * { box-sizing: border-box; }
        body { margin: 0; }
        header.top { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap;
          padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--card); }
        header.top h1 { margin: 0; font-size: 1.25rem; }
        #connection { margin: 0; font-size: .9rem; color: var(--muted); }
        #connection::before { content: ""; display: inline-block; width: .6em; height: .6em;
          margin-right: .4em; border-radius: 50%; background: var(--warn); }
        #connection[data-state="live"]::before { background: var(--good); }
        #connection[data-state="closed"]::before { background: var(--bad); }
        header.top nav { margin-left: auto; font-size: .9rem; }
        a { color: var(--accent); }
        main { padding: 1rem 1.25rem; }
        #empty { color: var(--muted); }
        #cards { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem;
          grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); align-items: start; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
          padding: .75rem 1rem; display: flex; flex-direction: column; gap: .5rem; min-width: 0; }
        .card.failed { border-color: var(--bad); box-shadow: inset 4px 0 0 var(--bad); }
        .card h2 { margin: 0; font-size: 1rem; overflow-wrap: anywhere; }
        .card .via { font-weight: normal; font-size: .8rem; color: var(--muted); }
        .value { min-height: 1.5rem; overflow-wrap: anywhere; }
        .value .big { font-size: 2.25rem; font-weight: 600; font-variant-numeric: tabular-nums; line-height: 1.1; }
        .value .text { white-space: pre-wrap; margin: 0; font-family: ui-monospace, monospace; font-size: .9rem; }
        .value .none { color: var(--muted); font-style: italic; }
        .value dl { margin: 0; display: grid; grid-template-columns: fit-content(45%) minmax(0, 1fr); gap: .2rem .75rem; }
        .value dt { color: var(--muted); overflow-wrap: anywhere; }
        .value dd { margin: 0; display: flex; align-items: center; gap: .5rem; flex-wrap: wrap;
          white-space: pre-wrap; overflow-wrap: anywhere; }
        .value dd.number { font-size: 1.25rem; font-weight: 600; font-variant-numeric: tabular-nums; }
        svg.spark { width: 6rem; height: 1.5rem; flex: none; color: var(--accent); }
        .error { margin: 0; color: var(--bad); background: var(--bad-bg); border-radius: .25rem;
          padding: .35rem .5rem; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .9rem; }
        .error .kind { font-weight: 600; }
        .card footer { font-size: .8rem; color: var(--muted); display: flex; gap: .25rem 1rem; flex-wrap: wrap; }
        @media (prefers-reduced-motion: no-preference) { .card { transition: border-color .3s; } }
        </style>
        </head>
        <body>
        <header class="top">
          <h1>Beacon</h1>
          <p id="connection" role="status" aria-live="polite" data-state="connecting">connecting…</p>
          <nav aria-label="Raw data"><a href="plugins">/plugins</a> · <a href="events">/events</a></nav>
        </header>
        <main>
          <p id="empty">No plugins yet.</p>
          <ul id="cards" aria-label="Plugins"></ul>
        </main>
        <noscript><p>This dashboard needs JavaScript; the raw stream is at <a href="events">/events</a>.</p></noscript>
        <script>
        "use strict";
        (() => {
          const POLL_MS = 5000;        // re-read /plugins this often while connected
          const HISTORY = 40;          // points per sparkline
          const SVG = "http://www.w3.org/2000/svg";
          const list = document.getElementById("cards");
          const empty = document.getElementById("empty");
          const connection = document.getElementById("connection");

          const cards = new Map();     // card key (plugin or event name) -> card
          const plugins = new Set();   // plugin names /plugins listed last
          const owners = new Map();    // overridden event name -> plugin that sent it
          let source = null;
          let listening = new Set();   // event names the current source has listeners for
          let lastId = "";
          let reopenDelay = 1000;
          let refreshing = null;

          function node(tag, className, text) {
            const element = document.createElement(tag);
            if (className) element.className = className;
            if (text !== undefined) element.textContent = text;
            return element;
          }

          function setConnection(state, text) {
            connection.dataset.state = state;
            connection.textContent = text;
          }

          function ago(ms) {
            const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
            if (s < 2) return "just now";
            if (s < 120) return s + " s ago";
            if (s < 7200) return Math.round(s / 60) + " min ago";
            return Math.round(s / 3600) + " h ago";
          }

          function formatNumber(n) {
            return Number.isInteger(n) ? n.toLocaleString("en") : n.toLocaleString("en", { maximumFractionDigits: 3 });
          }

          function formatSeconds(s) {
            if (s < 1) return formatNumber(s * 1000) + " ms";
            if (s < 60) return formatNumber(s) + " s";
            if (s < 3600) return formatNumber(s / 60) + " min";
            return formatNumber(s / 3600) + " h";
          }

          function sparkline(points, label) {
            const svg = document.createElementNS(SVG, "svg");
            svg.setAttribute("class", "spark");
            svg.setAttribute("viewBox", "0 0 100 24");
            svg.setAttribute("preserveAspectRatio", "none");
            svg.setAttribute("role", "img");
            const min = Math.min(...points), max = Math.max(...points);
            const title = document.createElementNS(SVG, "title");
            title.textContent = "recent " + label + ": " + formatNumber(min) + " to " + formatNumber(max);
            svg.appendChild(title);
            const span = max - min || 1;
            const step = points.length > 1 ? 100 / (points.length - 1) : 0;
            const line = document.createElementNS(SVG, "polyline");
            line.setAttribute("points", points.map((v, i) =>
              (i * step).toFixed(2) + "," + (22 - ((v - min) / span) * 20).toFixed(2)).join(" "));
            line.setAttribute("fill", "none");
            line.setAttribute("stroke", "currentColor");
            line.setAttribute("stroke-width", "1.5");
            line.setAttribute("vector-effect", "non-scaling-stroke");
            svg.appendChild(line);
            return svg;
          }

          class Card {
            constructor(key, kind) {
              this.key = key;
              this.kind = kind;          // "plugin" or "event" (a name a check returned)
              this.updated = 0;          // ms of the latest value or error
              this.streamed = false;     // got something from the stream (newer than /plugins)
              this.history = new Map();  // numeric field -> recent values
              this.checkError = null;
              this.loadError = null;
              const id = "card-" + cards.size + "-" + Math.random().toString(36).slice(2, 8);
              this.root = node("li", "card");
              this.root.dataset.plugin = key;
              this.root.dataset.kind = kind;
              this.root.setAttribute("aria-labelledby", id);
              const title = node("h2", "", key);
              title.id = id;
              this.via = node("span", "via");
              title.append(" ", this.via);
              this.value = node("div", "value");
              this.value.appendChild(node("span", "none", "no result yet"));
              this.error = node("p", "error");
              this.error.hidden = true;
              const footer = node("footer");
              this.age = node("time", "age", "never");
              this.meta = node("span", "meta");
              const updated = node("span", "", "updated ");
              updated.append(this.age);
              footer.append(updated, this.meta);
              this.root.append(title, this.value, this.error, footer);
              this.setVia();
            }

            setVia() {
              const owner = owners.get(this.key);
              this.via.textContent = this.kind === "event" ? (owner ? "event from " + owner : "event") : "";
            }

            touch(ms) {
              this.updated = ms;
              this.age.dateTime = new Date(ms).toISOString();
              this.tick();
            }

            tick() { if (this.updated) this.age.textContent = ago(this.updated); }

            show(result, ms) {
              this.checkError = null;
              this.render(result);
              this.touch(ms);
              this.showError();
            }

            fail(kind, message, ms) {
              this.checkError = { kind, message };
              this.touch(ms);
              this.showError();
            }

            showError() {
              const problem = this.checkError || this.loadError;
              this.root.classList.toggle("failed", !!problem);
              this.root.dataset.failed = problem ? "true" : "false";
              this.error.hidden = !problem;
              const shown = problem ? problem.kind + ": " + problem.message : "";
              if (this.error.textContent === shown) return;
              this.error.replaceChildren();
              if (problem) this.error.append(node("span", "kind", problem.kind + ": "), problem.message);
            }

            remember(field, value) {
              let points = this.history.get(field);
              if (!points) this.history.set(field, points = []);
              points.push(value);
              if (points.length > HISTORY) points.shift();
              return points;
            }

            elsewhere(event) {
              // The plugin's latest result went out under a name its check returned: that card shows it.
              this.value.replaceChildren(node("span", "none", "latest result sent as event " + event));
              this.value.dataset.type = "elsewhere";
            }

            render(result) {
              const box = this.value;
              box.replaceChildren();
              box.dataset.type = result === null ? "null" : Array.isArray(result) ? "array" : typeof result;
              if (typeof result === "number") {
                const points = this.remember("value", result);
                const row = node("div");
                row.append(node("span", "big", formatNumber(result)));
                if (points.length > 1) row.append(" ", sparkline(points, "values"));
                box.append(row);
              } else if (result !== null && typeof result === "object" && !Array.isArray(result)) {
                const keys = Object.keys(result);
                if (keys.length === 0) { box.append(node("span", "none", "{}")); return; }
                const rows = node("dl");
                for (const key of keys) {
                  const v = result[key];
                  const dd = node("dd");
                  dd.dataset.key = key;
                  if (typeof v === "number") {
                    dd.className = "number";
                    dd.append(formatNumber(v));
                    const points = this.remember(key, v);
                    if (points.length > 1) dd.append(sparkline(points, key));
                  } else {
                    dd.textContent = typeof v === "string" ? v : JSON.stringify(v);
                  }
                  rows.append(node("dt", "", key), dd);
                }
                box.append(rows);
              } else if (typeof result === "string") {
                box.append(node("p", "text", result));
              } else {
                box.append(node("p", "text", JSON.stringify(result)));
              }
            }

            status(p) {
              // From /plugins: fills a card the stream has not updated yet, and the load error.
              this.loadError = p.load_error ? { kind: p.load_error.kind || "load", message: p.load_error.message || "" } : null;
              const meta = [];
              if (typeof p.schedule === "number") meta.push("every " + formatSeconds(p.schedule));
              if (typeof p.runs === "number") meta.push("runs " + p.runs);
              if (p.failures) meta.push("failures " + p.failures);
              if (p.state && p.state !== "idle" && p.state !== "queued") meta.push(p.state);
              this.meta.textContent = meta.join(" · ");
              if (!this.streamed && p.last_run_at) {
                const at = p.last_run_at * 1000;
                const ownResult = p.last_event === null || p.last_event === undefined || p.last_event === p.name;
                if (p.last_result !== null && p.last_result !== undefined && ownResult) this.render(p.last_result);
                else if (!ownResult) this.elsewhere(p.last_event);
                const err = p.last_error;
                if (err && err.at === p.last_run_at) this.checkError = { kind: err.kind, message: err.message };
                this.touch(at);
              }
              this.showError();
            }
          }

          function card(key, kind) {
            let c = cards.get(key);
            if (!c) {
              c = new Card(key, kind);
              cards.set(key, c);
              const after = [...list.children].find((li) => li.dataset.plugin > key);
              list.insertBefore(c.root, after || null);
              empty.hidden = true;
            } else if (kind === "plugin" && c.kind !== "plugin") {
              c.kind = "plugin";
              c.root.dataset.kind = "plugin";
              c.setVia();
            }
            return c;
          }

          function drop(key) {
            const c = cards.get(key);
            if (!c) return;
            c.root.remove();
            cards.delete(key);
            empty.hidden = cards.size > 0;
          }

          function parse(e) {
            if (e.lastEventId) lastId = e.lastEventId;
            try { return { ok: true, value: JSON.parse(e.data) }; } catch (_) { return { ok: false, value: e.data }; }
          }

          function isShaped(value, keys) {
            return value !== null && typeof value === "object" && !Array.isArray(value) &&
              keys.every((k) => typeof value[k] === "string");
          }

          function onResult(e) {
            if (!(e instanceof MessageEvent)) return;   // "open"/"error" plugins share names with connection events
            const name = e.type;
            const data = parse(e);
            const c = card(name, plugins.has(name) ? "plugin" : "event");
            c.streamed = true;
            c.show(data.value, Date.now());
            const owner = c.kind === "event" ? cards.get(owners.get(name)) : null;
            if (owner) {
              owner.streamed = true;
              owner.checkError = null;
              owner.elsewhere(name);
              owner.touch(Date.now());
              owner.showError();
            }
          }

          function onCheckError(e) {
            if (!(e instanceof MessageEvent)) return;
            const data = parse(e).value;
            if (!isShaped(data, ["plugin", "kind", "message"])) return onResult(e);  // a plugin named check-error
            const known = cards.has(data.plugin);
            const c = card(data.plugin, "plugin");
            c.streamed = true;
            c.fail(data.kind, data.message, Date.now());
            if (!known) refresh();
          }

          function onDone(e) {
            if (!(e instanceof MessageEvent)) return;
            const data = parse(e).value;
            if (!isShaped(data, ["plugin", "reason"])) return onResult(e);  // a plugin named done
            if (data.reason === "removed") {
              plugins.delete(data.plugin);
              drop(data.plugin);
              for (const [event, owner] of owners) if (owner === data.plugin) { owners.delete(event); drop(event); }
              refresh();
            } else {
              setConnection("reconnecting", "reconnecting (server " + data.reason + ")…");
            }
          }

          function listen(name) {
            if (!source || listening.has(name) || name === "check-error" || name === "done") return;
            listening.add(name);
            source.addEventListener(name, onResult);
          }

          function refresh() {
            if (refreshing) return refreshing;
            refreshing = fetch("plugins", { cache: "no-store", headers: { Accept: "application/json" } })
              .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
              .then((all) => {
                if (!Array.isArray(all)) return;
                const names = new Set();
                for (const p of all) {
                  if (!p || typeof p.name !== "string") continue;
                  names.add(p.name);
                  plugins.add(p.name);
                  listen(p.name);
                  if (typeof p.last_event === "string" && p.last_event !== p.name) {
                    owners.set(p.last_event, p.name);
                    listen(p.last_event);
                    const ev = cards.get(p.last_event);
                    if (ev) ev.setVia();
                    else if (p.last_result !== null && p.last_result !== undefined && !plugins.has(p.last_event)) {
                      const c = card(p.last_event, "event");
                      c.render(p.last_result);
                      if (p.last_run_at) c.touch(p.last_run_at * 1000);
                    }
                  }
                  card(p.name, "plugin").status(p);
                }
                for (const name of [...plugins]) {
                  if (names.has(name)) continue;
                  plugins.delete(name);
                  drop(name);
                }
              })
              .catch(() => {})
              .finally(() => { refreshing = null; });
            return refreshing;
          }

          function open() {
            if (source) source.close();
            listening = new Set();
            source = new EventSource(lastId ? "events?lastEventId=" + encodeURIComponent(lastId) : "events");
            const mine = source;
            mine.addEventListener("open", (e) => {
              if (e instanceof MessageEvent || mine !== source) return;
              reopenDelay = 1000;
              setConnection("live", "live");
              refresh();
            });
            mine.addEventListener("error", (e) => {
              if (e instanceof MessageEvent || mine !== source) return;
              if (mine.readyState === EventSource.CLOSED) {
                // The server refused the stream (e.g. 503 while stopping): EventSource gives up, we do not.
                setConnection("reconnecting", "reconnecting…");
                setTimeout(() => { if (mine === source) open(); }, reopenDelay);
                reopenDelay = Math.min(reopenDelay * 2, 15000);
              } else {
                setConnection("reconnecting", "reconnecting…");
              }
            });
            mine.addEventListener("check-error", onCheckError);
            mine.addEventListener("done", onDone);
            for (const name of plugins) listen(name);
            for (const name of cards.keys()) listen(name);
          }

          setInterval(() => { for (const c of cards.values()) c.tick(); }, 1000);
          setInterval(() => { if (source && source.readyState === EventSource.OPEN) refresh(); }, POLL_MS);
          // Listeners must exist before the first events arrive: learn the names, then connect.
          refresh().finally(open);
        })();
        </script>
        </body>
        </html>
        """#
}
