extension Dashboard {
    /// The page's script.
    ///
    /// What it knows and where from:
    /// - Plugins, their level (`status`, `summary`, `status_since`), schedule, state and latest
    ///   result: `GET /plugins`, read at start, on every (re)connect, on `done`, on a
    ///   `check-error` from an unknown plugin, and every 5 s while connected.
    /// - Live: one `EventSource` on `/events`. It only delivers named events to listeners of that
    ///   exact name, so the page listens for every plugin name, every event name a plugin's check
    ///   returned instead (seen as `last_event` in `/plugins` or as `event` in its history), and
    ///   `check-error`, `status-change` and `done` (whose data carry `plugin`). A result under a
    ///   returned name is shown on the card of the plugin that sent it. A result's data is free-form,
    ///   so a level changes only with `status-change`.
    /// - Uptime bar and charts: `GET /plugins/NAME/history` for the last 24 h, fetched when a card
    ///   first comes into view, at most 4 requests at a time; then the stream extends them.
    ///
    /// Rendering: events change the model only and mark the plugin; one `requestAnimationFrame`
    /// draws every marked card in view (its level, summary and error for every card; the result of a
    /// card out of view once while the browser is idle, then again when it comes into view), moves
    /// cards whose level changed, and updates the summary.
    static let script: String = #"""
        "use strict";
        (() => {
          const RANK = { critical: 4, unknown: 3, warning: 2, ok: 1 };   // worst first; no level: 0
          const ORDER = ["critical", "unknown", "warning", "ok"];
          const SLOTS = 48;              // uptime bar slots
          const DAY = 86400;             // seconds an uptime bar covers at most
          const POLL_MS = 5000;          // re-read /plugins this often while connected
          const CARD_HISTORY = 1000;     // events fetched for a card's bar and charts
          const DETAIL_HISTORY = 10000;  // events fetched when the detail opens
          const PARALLEL = 4;            // history requests in flight at once
          const POINTS = 500;            // values kept per numeric field
          const EVENTS = 30;             // events kept for the detail's table
          const CARD_ROWS = 30;          // rows a card shows before "… more"
          const FIELDS = 24;             // numeric fields charted per plugin
          const SVG = "http://www.w3.org/2000/svg";
          const byId = (id) => document.getElementById(id);
          const list = byId("cards"), empty = byId("empty"), connection = byId("connection");
          const summaryLine = byId("summary"), dialog = byId("detail"), detailBody = byId("detail-body");

          const plugins = new Map();     // name -> Plugin
          const owners = new Map();      // event name a check returned -> plugin name
          let order = [];                // plugins as on the page: worst level first, then by name
          let source = null, listening = new Set(), lastId = "", reopenDelay = 1000, refreshing = null, refreshedAt = -1e9;
          let seq = 0;                   // counts stream updates, to tell whether /plugins is older
          const dirty = new Set(), unfilled = new Set(), moved = new Set();
          let frame = 0, idle = 0, summaryDirty = true, detail = null, detailDirty = false, detailAt = 0, detailTimer = 0;
          const queue = [];              // plugins waiting for their history
          let inFlight = 0;

          const rank = (level) => RANK[level] || 0;
          const nowS = () => Date.now() / 1000;
          const compare = (a, b) => rank(b.level) - rank(a.level) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
          const isObject = (v) => v !== null && typeof v === "object";
          const levelOf = (v) => (typeof v === "string" && RANK[v] ? v : null);

          function node(tag, className, text) {
            const element = document.createElement(tag);
            if (className) element.className = className;
            if (text !== undefined) element.textContent = text;
            return element;
          }
          function setText(element, text) { if (element.textContent !== text) element.textContent = text; }
          function setData(element, key, value) { if (element.dataset[key] !== value) element.dataset[key] = value; }
          function svgNode(tag, attributes) {
            const element = document.createElementNS(SVG, tag);
            for (const key in attributes) element.setAttribute(key, attributes[key]);
            return element;
          }

          // ---- formatting ----
          const formats = new Map();
          function num(n, digits) {
            const key = digits === undefined ? (Number.isInteger(n) ? 0 : Math.abs(n) >= 100 ? 1 : 3) : digits;
            let f = formats.get(key);
            if (!f) formats.set(key, f = new Intl.NumberFormat("en", { maximumFractionDigits: key }));
            return f.format(n);
          }
          function bytes(n) {
            const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
            let i = 0;
            while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
            return num(n, i === 0 ? 0 : Math.abs(n) >= 100 ? 0 : 1) + " " + units[i];
          }
          function duration(s) {
            s = Math.abs(s);
            if (s < 1) return num(s * 1000, s < 0.01 ? 2 : 0) + " ms";
            if (s < 60) return num(s, s < 10 ? 2 : 1) + " s";
            if (s < 3600) return Math.floor(s / 60) + " min" + (s % 60 >= 1 && s < 600 ? " " + Math.floor(s % 60) + " s" : "");
            if (s < 172800) return Math.floor(s / 3600) + " h" + (s % 3600 >= 60 ? " " + Math.floor((s % 3600) / 60) + " min" : "");
            return num(s / 86400, 1) + " d";
          }
          // The unit a key names by its ending (`latency_ms`, `used_pct`, `size_bytes`, `total_mib`).
          const UNIT = /(?:^|_)(ms|pct|percent|bytes|kib|mib|gib|seconds)$/i;
          function unitOf(key) { const m = UNIT.exec(String(key)); return m ? m[1].toLowerCase() : ""; }
          function formatNumber(n, unit) {
            switch (unit) {
              case "ms": return duration(n / 1000);
              case "seconds": return duration(n);
              case "pct": case "percent": return num(n, Math.abs(n) >= 10 ? 1 : 2) + "%";
              case "bytes": return bytes(n);
              case "kib": return bytes(n * 1024);
              case "mib": return bytes(n * 1048576);
              case "gib": return bytes(n * 1073741824);
            }
            return num(n);
          }
          function clock(t, withSeconds) {
            const d = new Date(t * 1000);
            const two = (v) => String(v).padStart(2, "0");
            return two(d.getHours()) + ":" + two(d.getMinutes()) + (withSeconds ? ":" + two(d.getSeconds()) : "");
          }
          function when(t) {
            const d = new Date(t * 1000);
            return (nowS() - t > 86400 ? d.toLocaleDateString("en-CA") + " " : "") + clock(t, true);
          }
          function ago(t) {
            const s = Math.max(0, nowS() - t);
            return s < 2 ? "just now" : duration(Math.round(s)) + " ago";
          }

          // ---- results as rows ----
          // A label for an array item that has a name-like field, such as a disk's mount point.
          function itemLabel(item, index) {
            if (isObject(item) && !Array.isArray(item)) {
              for (const k of ["name", "mount", "path", "host", "url", "target", "id"]) {
                if (typeof item[k] === "string" || typeof item[k] === "number") return String(item[k]);
              }
            }
            return "#" + (index + 1);
          }
          function scalar(v, key) {
            if (typeof v === "number") return formatNumber(v, unitOf(key));
            if (typeof v === "string") return v;
            if (v === null) return "null";
            return String(v);
          }
          // Rows for an object or array: one row per key, nested values as nested rows.
          // `budget.left` bounds the rows of a card; `charts` maps a field path to its chart.
          function rows(value, path, budget, charts) {
            const dl = node("dl", "rows");
            const entries = Array.isArray(value) ? value.map((v, i) => [itemLabel(v, i), v, String(i)]) :
              Object.keys(value).map((k) => [k, value[k], k]);
            let shown = 0;
            for (const [label, v, key] of entries) {
              if (budget.left <= 0) {
                dl.append(node("dd", "more-rows nested", "… " + (entries.length - shown) + " more (open the card for all)"));
                break;
              }
              budget.left--; shown++;
              const fieldPath = path ? path + "." + key : key;
              const dt = node("dt", "", label);
              const dd = node("dd");
              dd.dataset.key = key;
              dd.dataset.path = fieldPath;
              if (isObject(v)) {
                dd.className = "nested";
                dd.setAttribute("aria-label", label);
                const keys = Array.isArray(v) ? v.length : Object.keys(v).length;
                if (keys === 0) dd.append(node("span", "none", Array.isArray(v) ? "empty list" : "empty"));
                else dd.append(rows(v, fieldPath, budget, charts));
                dl.append(dt, dd);
                continue;
              }
              dd.append(node("span", "v", scalar(v, key)));
              if (typeof v === "number") {
                dd.className = "number";
                const chart = charts && charts(fieldPath, key);
                if (chart) dd.append(chart);
              } else if (typeof v !== "string") dd.className = v === null ? "null" : typeof v;
              dl.append(dt, dd);
            }
            return dl;
          }
          function renderValue(box, value, budget, charts) {
            box.replaceChildren();
            box.dataset.type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
            if (value === undefined) box.append(node("span", "none", "no result yet"));
            else if (typeof value === "number") {
              const row = node("div", "number");
              row.dataset.path = "";
              row.append(node("span", "big", formatNumber(value, "")));
              const chart = charts && charts("", "");
              if (chart) row.append(" ", chart);
              box.append(row);
            } else if (isObject(value)) {
              if (Object.keys(value).length === 0) box.append(node("span", "none", Array.isArray(value) ? "empty list" : "empty"));
              else box.append(rows(value, "", budget, charts));
            } else box.append(node("p", "text", scalar(value, "")));
          }
          // Numeric leaves of a result, by path, for the charts.
          function numbers(value, path, out, depth) {
            if (typeof value === "number") { if (out.size < FIELDS) out.set(path, value); return out; }
            if (!isObject(value) || depth > 3) return out;
            if (Array.isArray(value)) value.forEach((v, i) => numbers(v, path ? path + "." + i : String(i), out, depth + 1));
            else for (const k of Object.keys(value)) numbers(value[k], path ? path + "." + k : k, out, depth + 1);
            return out;
          }

          // ---- charts ----
          // A line chart of [{t, v}] over time, with its time axis (and value range when large).
          function chart(points, label, unit, large) {
            const figure = node("figure", large ? "chart large" : "chart");
            const t0 = points[0].t, t1 = Math.max(points[points.length - 1].t, t0 + 1);
            let min = Infinity, max = -Infinity;
            for (const p of points) { if (p.v < min) min = p.v; if (p.v > max) max = p.v; }
            const w = large ? 600 : 100, h = large ? 100 : 24, span = max - min || 1;
            const svg = svgNode("svg", { viewBox: "0 0 " + w + " " + h, preserveAspectRatio: "none", role: "img",
              "aria-label": label + ": " + formatNumber(min, unit) + " to " + formatNumber(max, unit) +
                ", " + clock(t0) + " to " + clock(t1) });
            const x = (t) => ((t - t0) / (t1 - t0)) * w, y = (v) => h - 2 - ((v - min) / span) * (h - 4);
            const coords = points.map((p) => x(p.t).toFixed(1) + "," + y(p.v).toFixed(1)).join(" ");
            if (large) svg.append(svgNode("polygon", { points: "0," + h + " " + coords + " " + w + "," + h,
              fill: "currentColor", "fill-opacity": "0.12" }));
            svg.append(svgNode("polyline", { points: coords, fill: "none", stroke: "currentColor",
              "stroke-width": large ? "2" : "1.5", "vector-effect": "non-scaling-stroke" }));
            figure.append(svg);
            const axis = node("div", "axis");
            const short = t1 - t0 < 600;
            const ticks = large ? 5 : 2;
            for (let i = 0; i < ticks; i++) axis.append(node("span", "", clock(t0 + ((t1 - t0) * i) / (ticks - 1), short)));
            figure.append(axis);
            if (large) figure.append(node("div", "range", "min " + formatNumber(min, unit) + " · max " + formatNumber(max, unit) +
              " · " + points.length + " values"));
            return figure;
          }

          // ---- uptime ----
          // The bar's slots from level changes [{t, level}] (oldest first): the last 24 h, or since the
          // first known level when that is later (at least 48 s), in 48 slots, each the worst level
          // held during it, and the share of the time with a level that was at ok.
          function uptime(timeline, now) {
            if (!timeline.length) return null;
            const start = Math.max(now - DAY, Math.min(timeline[0].t, now - SLOTS));
            const width = (now - start) / SLOTS;
            const slots = new Array(SLOTS).fill(-1);
            let okTime = 0, levelTime = 0;
            for (let i = 0; i < timeline.length; i++) {
              const a = Math.max(timeline[i].t, start), b = Math.min(i + 1 < timeline.length ? timeline[i + 1].t : now, now);
              if (b < a || b < start) continue;
              const r = rank(timeline[i].level);
              const first = Math.min(SLOTS - 1, Math.floor((a - start) / width));
              const last = Math.min(SLOTS - 1, Math.max(first, Math.ceil((b - start) / width) - 1));
              for (let s = first; s <= last; s++) if (r > slots[s]) slots[s] = r;
              if (r > 0) { levelTime += b - a; if (r === 1) okTime += b - a; }
            }
            const names = ["none", "ok", "warning", "unknown", "critical"];
            return { start, width, levels: slots.map((r) => (r < 0 ? "empty" : names[r])),
              ok: levelTime > 0 ? (okTime / levelTime) * 100 : null };
          }
          function uptimeFigure(figure, timeline, large) {
            const bar = uptime(timeline, nowS());
            figure.replaceChildren();
            if (!bar || (bar.ok === null && !large)) { figure.hidden = true; return; }  // no level to show
            figure.hidden = false;
            const svg = svgNode("svg", { viewBox: "0 0 " + SLOTS * 10 + " 10", preserveAspectRatio: "none", role: "img" });
            const counts = {};
            bar.levels.forEach((level, i) => {
              counts[level] = (counts[level] || 0) + 1;
              const rect = svgNode("rect", { class: "slot", x: i * 10, y: 0, width: 8, height: 10, rx: 1.5 });
              rect.dataset.level = level;
              if (large) {
                const title = svgNode("title", {});
                title.textContent = clock(bar.start + i * bar.width) + "–" + clock(bar.start + (i + 1) * bar.width) + ": " +
                  (level === "empty" ? "no data" : level === "none" ? "no level" : level);
                rect.append(title);
              }
              svg.append(rect);
            });
            const span = duration(Math.round(bar.width * SLOTS));
            const okText = bar.ok === null ? "no levels" : num(bar.ok, bar.ok >= 99 && bar.ok < 100 ? 2 : 1) + "% ok";
            const parts = ORDER.filter((l) => counts[l]).map((l) => counts[l] + " " + l);
            svg.setAttribute("aria-label", "Uptime over the last " + span + ": " + okText +
              (parts.length ? "; slots: " + parts.join(", ") : ""));
            svg.dataset.start = bar.start;
            svg.dataset.width = bar.width;
            const caption = node("figcaption");
            caption.append(node("span", "", "last " + span), node("span", "ok-share", okText));
            figure.append(svg, caption);
          }

          // ---- the model ----
          class Plugin {
            constructor(name) {
              this.name = name;
              this.level = null; this.summary = ""; this.since = null;
              this.info = null;            // its latest entry of /plugins
              this.result = undefined;     // the latest result, its event name, when (Unix s)
              this.event = name; this.at = 0;
              this.error = null;           // the failure of the latest run: {kind, message, at}
              this.timeline = [];          // level changes [{t, level, id}], oldest first
              this.series = new Map();     // field path -> [{t, v, id}]
              this.events = [];            // the last events [{id, t, event, level, data}]
              this.resultSeq = 0; this.levelSeq = 0;
              this.history = "none";       // none, queued, loading, done
              this.historyLimit = 0;
              this.visible = false;
              this.card = new Card(this);
            }
            mark() { dirty.add(this); if (detail === this) detailDirty = true; schedule(); }

            // Whether anything shown changed.
            setLevel(level, since, summary) {
              const changed = level !== this.level || (summary !== undefined && summary !== this.summary) ||
                (since && since !== this.since);
              if (level !== this.level) {
                this.level = level;
                moved.add(this);
                summaryDirty = true;
              }
              if (since) this.since = since;
              if (summary !== undefined) this.summary = summary;
              return changed;
            }
            // A point of the uptime bar's timeline when the level differs from its last one.
            noteLevel(t, id) {
              const last = this.timeline[this.timeline.length - 1];
              if (last ? last.level === this.level : this.level === null) return;
              this.keep(this.timeline, { t: last ? Math.max(t, last.t) : t, level: this.level, id }, 2 * POINTS);
            }
            keep(list, item, max) { list.push(item); if (list.length > max) list.splice(0, list.length - max); }
            addEvent(id, t, event, data) { this.keep(this.events, { id, t, event, level: this.level, data }, EVENTS); }

            onResult(event, data, id) {
              const t = nowS();
              this.result = data; this.event = event; this.at = t; this.error = null;
              this.resultSeq = ++seq;
              for (const [path, v] of numbers(data, "", new Map(), 0)) {
                let points = this.series.get(path);
                if (!points) this.series.set(path, points = []);
                this.keep(points, { t, v, id }, POINTS);
              }
              this.addEvent(id, t, event, data);
              this.mark();
            }
            onError(kind, message, id, data) {
              const t = nowS();
              this.error = { kind, message, at: t };
              this.at = t;
              this.resultSeq = ++seq;
              this.addEvent(id, t, "check-error", data);
              this.mark();
            }
            onStatusChange(data, id) {
              const t = nowS();
              this.levelSeq = ++seq;
              this.setLevel(levelOf(data.to), t, typeof data.summary === "string" ? data.summary : undefined);
              this.noteLevel(t, id);
              this.addEvent(id, t, "status-change", data);
              this.mark();
            }

            // An entry of /plugins, read when `started` was the update count: what the stream has
            // updated since is newer and stays.
            status(p, started) {
              const old = this.info;
              this.info = p;
              // Redrawn only when something it shows changed (or its detail is open: runs, times).
              let changed = !old || old.state !== p.state || old.schedule !== p.schedule || detail === this ||
                JSON.stringify(old.load_error) !== JSON.stringify(p.load_error);
              const failed = p.state === "failed" && !p.last_run_at;
              if (this.levelSeq <= started) {
                const level = levelOf(p.status) || (failed && p.load_error ? "unknown" : null);
                changed = this.setLevel(level, typeof p.status_since === "number" ? p.status_since : null,
                  typeof p.summary === "string" ? p.summary : "") || changed;
                if (!failed) this.noteLevel(this.since || nowS(), 0);
              }
              if (this.resultSeq <= started && p.last_run_at && p.last_run_at !== this.at) {
                changed = true;
                this.at = p.last_run_at;
                if (p.last_result !== null && p.last_result !== undefined) {
                  this.result = p.last_result;
                  this.event = typeof p.last_event === "string" ? p.last_event : this.name;
                }
                const err = p.last_error;
                this.error = err && err.at === p.last_run_at ? { kind: err.kind, message: err.message, at: err.at } : null;
              }
              if (this.visible && this.history === "none") wantHistory(this);
              if (changed) this.mark();
            }

            // History entries (oldest first) replace what came before them; live updates newer than the
            // newest entry stay.
            applyHistory(entries) {
              const newest = entries.length ? Number(entries[entries.length - 1].id) : 0;
              const timeline = [], series = new Map(), events = [];
              let previous;
              for (const e of entries) {
                if (!isObject(e) || typeof e.time !== "number") continue;
                const id = Number(e.id), data = e.data;
                // A server without levels has no `status`: a failed run still counts as unknown.
                let level;
                if (e.event === "status-change" && isObject(data)) level = levelOf(data.to);
                else if ("status" in e) level = levelOf(e.status);
                else level = e.event === "check-error" ? "unknown" : null;
                if (timeline.length === 0 || level !== previous) timeline.push({ t: e.time, level, id });
                previous = level;
                events.push({ id, t: e.time, event: e.event, level, data });
                if (e.event === "check-error" || e.event === "status-change" || e.event === "done") continue;
                if (e.event !== this.name && typeof e.event === "string") learnOwner(e.event, this.name);
                for (const [path, v] of numbers(data, "", new Map(), 0)) {
                  let points = series.get(path);
                  if (!points) series.set(path, points = []);
                  points.push({ t: e.time, v, id });
                }
              }
              const later = (x) => x.id > newest;
              this.timeline = timeline.concat(this.timeline.filter(later));
              for (const [path, points] of this.series) series.set(path, (series.get(path) || []).concat(points.filter(later)));
              for (const points of series.values()) if (points.length > POINTS) points.splice(0, points.length - POINTS);
              this.series = series;
              this.events = events.concat(this.events.filter(later)).slice(-EVENTS);
              this.noteLevel(nowS(), 0);
              this.mark();
            }
          }

          // ---- a card ----
          let cardCount = 0;
          class Card {
            constructor(p) {
              this.p = p;
              const id = "card-" + ++cardCount;
              const root = this.root = node("li", "card");
              root.dataset.plugin = p.name;
              root.dataset.level = "none";
              root.setAttribute("aria-labelledby", id + "-name");
              const head = node("div", "head");
              const h2 = node("h2");
              this.button = node("button", "open", p.name);
              this.button.type = "button";
              this.button.id = id + "-name";
              this.button.setAttribute("aria-haspopup", "dialog");
              this.button.setAttribute("aria-describedby", id + "-level " + id + "-status");
              h2.append(this.button);
              this.badge = node("span", "badge", "no level");
              this.badge.id = id + "-level";
              head.append(h2, this.badge);
              this.statusText = node("p", "status-text");
              this.statusText.id = id + "-status";
              this.error = node("p", "error");
              this.error.hidden = true;
              this.via = node("p", "via");
              this.via.hidden = true;
              this.value = node("div", "value");
              this.value.append(node("span", "none", "no result yet"));
              this.bar = node("figure", "uptime");
              this.bar.hidden = true;
              const footer = node("footer");
              this.age = node("time", "age", "never");
              this.meta = node("span", "meta");
              const updated = node("span", "", "updated ");
              updated.append(this.age);
              footer.append(updated, this.meta);
              root.append(head, this.statusText, this.error, this.via, this.value, this.bar, footer);
            }

            // Level, summary and error: cheap, done for every card that changed.
            renderHead() {
              const p = this.p, level = p.level || "none";
              setData(this.root, "level", level);
              setText(this.badge, p.level || "no level");
              setText(this.statusText, p.summary || "");
              this.statusText.hidden = !p.summary;
              showError(this.error, p.error, p.info);
              setData(this.root, "failed", this.error.hidden ? "false" : "true");
              const via = p.result !== undefined && p.event !== p.name;
              this.via.hidden = !via;
              setText(this.via, via ? "latest result: event " + p.event : "");
              setData(this.root, "event", p.event);
              const info = p.info || {};
              const meta = [];
              if (typeof info.schedule === "number") meta.push("every " + duration(info.schedule));
              if (info.state && info.state !== "idle" && info.state !== "queued" && info.state !== "running") meta.push(info.state);
              setText(this.meta, meta.join(" · "));
            }
            // The result's rows, charts, uptime bar and age: only for cards in view.
            renderBody() {
              const p = this.p;
              this.filled = true;
              this.outdated = false;
              renderValue(this.value, p.result, { left: CARD_ROWS }, (path, key) => {
                const points = p.series.get(path);
                return points && points.length > 1 ? chart(points, key || p.name, unitOf(key), false) : null;
              });
              uptimeFigure(this.bar, p.timeline, false);
              this.tick();
            }
            tick() {
              const t = this.p.at;
              if (!t) return;
              if (this.ageAt !== t) { this.ageAt = t; this.age.dateTime = new Date(t * 1000).toISOString(); }
              setText(this.age, ago(t));
            }
          }

          function showError(box, error, info) {
            const load = info && info.load_error;
            const problem = error || (load ? { kind: load.kind || "load", message: load.message || "" } : null);
            box.hidden = !problem;
            const shown = problem ? problem.kind + ": " + problem.message : "";
            if (box.textContent === shown) return;
            box.replaceChildren();
            if (problem) box.append(node("span", "kind", problem.kind + ": "), problem.message);
          }

          // ---- rendering, once per frame ----
          const visibility = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
            for (const entry of entries) {
              const p = entry.target.plugin;
              if (!p) continue;
              p.visible = entry.isIntersecting;
              if (p.visible) {
                if (p.card.outdated) p.card.renderBody();
                if (p.history === "none") wantHistory(p);
              } else if (p.history === "queued") {
                const at = queue.indexOf(p);
                if (at >= 0) queue.splice(at, 1);
                p.history = "none";
              }
            }
          }, { rootMargin: "300px 0px" }) : null;

          function schedule() { if (!frame) frame = requestAnimationFrame(flush); }

          function flush() {
            frame = 0;
            if (moved.size) place();
            for (const p of dirty) {
              p.card.renderHead();
              if (p.visible || !visibility) p.card.renderBody();
              else {
                p.card.outdated = true;
                if (!p.card.filled) unfilled.add(p);
              }
            }
            dirty.clear();
            if (summaryDirty) summarize();
            if (detail && detailDirty) {
              // At most once a second: a fast plugin would otherwise redraw it under the reader's eyes.
              const wait = 1000 - (performance.now() - detailAt);
              if (wait <= 0) renderDetail();
              else if (!detailTimer) detailTimer = setTimeout(() => { detailTimer = 0; schedule(); }, wait);
            }
            if (unfilled.size && !idle) idle = (window.requestIdleCallback || ((f) => setTimeout(f, 50)))(fill);
          }

          // A card out of view gets its result drawn once, in slices of 8 ms while the browser has
          // nothing else to do; later changes are drawn when it comes into view.
          function fill() {
            idle = 0;
            const until = performance.now() + 8;
            for (const p of unfilled) {
              if (performance.now() > until) break;
              unfilled.delete(p);
              if (!p.card.filled) p.card.renderBody();
            }
            if (unfilled.size) idle = (window.requestIdleCallback || ((f) => setTimeout(f, 50)))(fill);
          }

          // Moves the cards whose level changed to their place; keeps the keyboard focus where it was.
          function place() {
            const focused = document.activeElement;
            for (const p of moved) {
              const at = order.indexOf(p);
              if (at >= 0) order.splice(at, 1);
            }
            const changed = [...moved].filter((p) => plugins.get(p.name) === p);
            moved.clear();
            if (changed.length > 64) {
              // Many at once (the first render): sort all and lay them out in one go.
              order = [...plugins.values()].sort(compare);
              const all = document.createDocumentFragment();
              for (const p of order) all.append(p.card.root);
              list.append(all);
              if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus({ preventScroll: true });
              empty.hidden = order.length > 0;
              return;
            }
            for (const p of changed) {
              let lo = 0, hi = order.length;
              while (lo < hi) { const mid = (lo + hi) >> 1; if (compare(order[mid], p) < 0) lo = mid + 1; else hi = mid; }
              order.splice(lo, 0, p);
            }
            // Last first: each card goes before its successor, which is already in place.
            const indexed = changed.map((p) => [order.indexOf(p), p]).sort((a, b) => b[0] - a[0]);
            for (const [at, p] of indexed) {
              const next = order[at + 1];
              if (p.card.root.nextSibling !== (next ? next.card.root : null) || !p.card.root.parentNode) {
                list.insertBefore(p.card.root, next ? next.card.root : null);
              }
            }
            if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus({ preventScroll: true });
            empty.hidden = order.length > 0;
          }

          function summarize() {
            summaryDirty = false;
            const counts = { critical: 0, unknown: 0, warning: 0, ok: 0, none: 0 };
            for (const p of plugins.values()) counts[p.level || "none"]++;
            const problems = ["critical", "unknown", "warning"].filter((l) => counts[l]);
            let level, text;
            if (problems.length) { level = problems[0]; text = problems.map((l) => counts[l] + " " + l).join(", "); }
            else if (counts.ok) { level = "ok"; text = "All systems operational"; }
            else { level = "none"; text = plugins.size ? "No plugin reports a level" : "No plugins yet"; }
            const more = [];
            if (problems.length && counts.ok) more.push(counts.ok + " ok");
            if (counts.none && (problems.length || counts.ok)) more.push(counts.none + " without a level");
            summaryLine.dataset.level = level;
            const shown = text + "|" + more.join(", ");
            if (summaryLine.dataset.shown === shown) return;
            summaryLine.dataset.shown = shown;
            summaryLine.replaceChildren(node("span", "text", text));
            if (more.length) summaryLine.append(node("span", "more", more.join(", ")));
          }

          // ---- history, fetched lazily with bounded parallelism ----
          function wantHistory(p) {
            // A file that never loaded has no stream, so no history (yet).
            if (p.history !== "none" || (p.info && p.info.state === "failed" && !p.info.last_run_at)) return;
            p.history = "queued";
            queue.push(p);
            pump();
          }
          function pump() {
            while (inFlight < PARALLEL && queue.length) {
              const p = queue.shift();
              inFlight++;
              loadHistory(p, CARD_HISTORY).finally(() => { inFlight--; pump(); });
            }
          }
          function loadHistory(p, limit) {
            p.history = "loading";
            // The newest events, older ones included: the one before the bar's start gives its first level.
            const url = "plugins/" + encodeURIComponent(p.name) + "/history?limit=" + limit;
            return fetch(url, { cache: "no-store", headers: { Accept: "application/json" } })
              .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
              .then((entries) => {
                if (!Array.isArray(entries)) throw new Error("not a list");
                p.historyLimit = Math.max(p.historyLimit, limit);
                p.applyHistory(entries);
                p.history = "done";
              })
              .catch(() => { p.history = p.historyLimit ? "done" : "none"; });
          }

          // ---- the detail view ----
          function section(title, ...content) {
            const s = node("section");
            s.append(node("h3", "", title), ...content);
            return s;
          }
          function table(headers, bodyRows) {
            const t = node("table");
            const head = node("tr");
            for (const h of headers) { const th = node("th", "", h); th.scope = "col"; head.append(th); }
            const thead = node("thead"); thead.append(head);
            const tbody = node("tbody");
            for (const cells of bodyRows) {
              const tr = node("tr");
              for (const c of cells) tr.append(c instanceof Node ? c : node("td", "", c));
              tbody.append(tr);
            }
            t.append(thead, tbody);
            return t;
          }
          // One line for an event's data in the table: fields as `key value`, nested ones by path.
          function brief(event, data) {
            if (event === "check-error" && isObject(data)) return (data.kind || "") + ": " + (data.message || "");
            if (event === "status-change" && isObject(data)) return (data.from || "no level") + " → " + (data.to || "no level");
            if (!isObject(data)) return scalar(data, "");
            const parts = [];
            (function walk(v, path) {
              if (parts.length > 12) return;
              if (isObject(v)) { for (const k of Object.keys(v)) walk(v[k], path ? path + " " + k : k); return; }
              parts.push(path + " " + scalar(v, path.split(" ").pop()));
            })(data, "");
            const text = parts.join(" · ");
            return text.length > 200 ? text.slice(0, 199) + "…" : text;
          }
          function renderDetail() {
            detailDirty = false;
            detailAt = performance.now();
            const p = detail, info = p.info || {};
            dialog.dataset.level = p.level || "none";
            dialog.dataset.plugin = p.name;
            byId("detail-title").textContent = p.name;
            byId("detail-level").textContent = p.level || "no level";
            const parts = [];
            const status = node("p", "status-text", (p.summary || (p.level ? "" : "This plugin reports no level.")) +
              (p.since ? (p.summary ? " · " : "") + (p.level || "no level") + " since " + when(p.since) : ""));
            parts.push(status);
            const error = node("p", "error");
            showError(error, p.error, info);
            parts.push(error);
            const bar = node("figure", "uptime large");
            uptimeFigure(bar, p.timeline, true);
            parts.push(section("Uptime", bar));
            const value = node("div", "value");
            renderValue(value, p.result, { left: 2000 }, null);
            const latest = section("Latest result", value);
            if (p.at) latest.append(node("p", "via", "event " + p.event + " at " + when(p.at)));
            parts.push(latest);
            const charts = node("div", "charts");
            for (const [path, points] of p.series) {
              if (points.length < 2) continue;
              const box = node("div");
              box.dataset.path = path;
              box.append(node("h4", "", path || p.name), chart(points, path || p.name, unitOf(path.split(".").pop()), true));
              charts.append(box);
            }
            if (charts.childElementCount) parts.push(section("Charts", charts));
            const facts = [];
            const fact = (k, v) => { if (v !== undefined && v !== null && v !== "") facts.push([k, v]); };
            fact("schedule", typeof info.schedule === "number" ? "every " + duration(info.schedule) : undefined);
            fact("timeout", typeof info.timeout === "number" ? duration(info.timeout) : undefined);
            fact("jitter", typeof info.jitter === "number" ? duration(info.jitter) : undefined);
            fact("state", info.state);
            fact("runs", typeof info.runs === "number" ? num(info.runs) : undefined);
            fact("failures", typeof info.failures === "number" ? num(info.failures) : undefined);
            fact("skipped ticks", typeof info.skipped_ticks === "number" ? num(info.skipped_ticks) : undefined);
            fact("last run", info.last_run_at ? when(info.last_run_at) + " (" + ago(info.last_run_at) + ")" : "never");
            fact("last run took", typeof info.last_duration_ms === "number" ? duration(info.last_duration_ms / 1000) : undefined);
            fact("last start waited", typeof info.last_start_lag_ms === "number" ? duration(info.last_start_lag_ms / 1000) : undefined);
            fact("Lua memory", typeof info.lua_memory_bytes === "number" ? bytes(info.lua_memory_bytes) : undefined);
            const le = info.last_error;
            fact("last error", le ? le.kind + ": " + le.message + (le.at ? " (" + when(le.at) + ")" : "") : "none");
            if (info.load_error) fact("load error", (info.load_error.kind || "load") + ": " + (info.load_error.message || ""));
            const dl = node("dl", "rows");
            for (const [k, v] of facts) dl.append(node("dt", "", k), node("dd", "", v));
            parts.push(section("Plugin", dl));
            const recent = p.events.slice().reverse().map((e) => {
              const level = node("td", "level", e.level || "–");
              level.dataset.level = e.level || "none";
              return [when(e.t), e.event, level, brief(e.event, e.data)];
            });
            parts.push(section("Last events", recent.length ? table(["time", "event", "level", "data"], recent) :
              node("p", "none", "none yet")));
            detailBody.replaceChildren(...parts);
          }
          function openDetail(p) {
            detail = p;
            renderDetail();
            if (!dialog.open) dialog.showModal();
            if (p.historyLimit < DETAIL_HISTORY) loadHistory(p, DETAIL_HISTORY);
          }
          dialog.addEventListener("close", () => {
            const p = detail;
            detail = null;
            if (p && plugins.get(p.name) === p) p.card.button.focus();
          });
          byId("detail-close").addEventListener("click", () => dialog.close());
          dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });  // the backdrop
          list.addEventListener("click", (e) => {
            const li = e.target.closest("li.card");
            if (!li || !li.plugin) return;
            if (e.target !== li.plugin.card.button && String(window.getSelection()).length) return;  // selecting text
            openDetail(li.plugin);
          });

          // ---- plugins and the stream ----
          function add(name) {
            let p = plugins.get(name);
            if (p) return p;
            p = new Plugin(name);
            p.card.root.plugin = p;
            plugins.set(name, p);
            moved.add(p);
            summaryDirty = true;
            if (visibility) visibility.observe(p.card.root);
            listen(name);
            return p;
          }
          function drop(name) {
            const p = plugins.get(name);
            if (!p) return;
            plugins.delete(name);
            if (visibility) visibility.unobserve(p.card.root);
            p.card.root.remove();
            const at = order.indexOf(p);
            if (at >= 0) order.splice(at, 1);
            dirty.delete(p); unfilled.delete(p); moved.delete(p);
            for (const [event, owner] of owners) if (owner === name) owners.delete(event);
            if (detail === p) dialog.close();
            summaryDirty = true;
            empty.hidden = plugins.size > 0;
            schedule();
          }
          function learnOwner(event, name) {
            if (event === "check-error" || event === "done" || event === "status-change") return;
            owners.set(event, name);
            listen(event);
          }

          function setConnection(state, text) {
            connection.dataset.state = state;
            connection.textContent = text;
          }
          function parse(e) {
            if (e.lastEventId) lastId = e.lastEventId;
            try { return JSON.parse(e.data); } catch (_) { return e.data; }
          }
          const shaped = (v, keys) => isObject(v) && !Array.isArray(v) && keys.every((k) => typeof v[k] === "string");

          function onResult(e) {
            if (!(e instanceof MessageEvent)) return;   // "open"/"error" plugins share names with connection events
            const name = e.type;
            const p = plugins.get(name) || plugins.get(owners.get(name));
            if (!p) return;
            p.onResult(name, parse(e), Number(e.lastEventId) || 0);
          }
          function onCheckError(e) {
            if (!(e instanceof MessageEvent)) return;
            const data = parse(e);
            if (!shaped(data, ["plugin", "kind", "message"])) return onResult(e);  // a plugin named check-error
            const p = plugins.get(data.plugin);
            if (!p) return void refresh();
            p.onError(data.kind, data.message, Number(e.lastEventId) || 0, data);
          }
          function onStatusChange(e) {
            if (!(e instanceof MessageEvent)) return;
            const data = parse(e);
            if (!shaped(data, ["plugin"]) || !("to" in data)) return onResult(e);  // a plugin named status-change
            const p = plugins.get(data.plugin);
            if (!p) return void refresh();
            p.onStatusChange(data, Number(e.lastEventId) || 0);
          }
          function onDone(e) {
            if (!(e instanceof MessageEvent)) return;
            const data = parse(e);
            if (!shaped(data, ["plugin", "reason"])) return onResult(e);  // a plugin named done
            if (data.reason === "removed") { drop(data.plugin); refresh(); }
            else setConnection("reconnecting", "reconnecting (server " + data.reason + ")…");
          }
          const SPECIAL = new Set(["check-error", "done", "status-change"]);
          function listen(name) {
            if (!source || listening.has(name) || SPECIAL.has(name)) return;
            listening.add(name);
            source.addEventListener(name, onResult);
          }

          function refresh() {
            if (refreshing) return refreshing;
            const started = seq;
            refreshing = fetch("plugins", { cache: "no-store", headers: { Accept: "application/json" } })
              .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
              .then((all) => {
                if (!Array.isArray(all)) return;
                const names = new Set();
                for (const entry of all) {
                  if (!isObject(entry) || typeof entry.name !== "string") continue;
                  names.add(entry.name);
                  const p = add(entry.name);
                  if (typeof entry.last_event === "string" && entry.last_event !== entry.name) learnOwner(entry.last_event, entry.name);
                  p.status(entry, started);
                }
                for (const name of [...plugins.keys()]) if (!names.has(name)) drop(name);
                empty.hidden = plugins.size > 0;
                schedule();
              })
              .catch(() => {})
              .finally(() => { refreshing = null; refreshedAt = performance.now(); });
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
              // What changed while the stream was away; the first connect follows a fresh read.
              if (performance.now() - refreshedAt > 2000) refresh();
            });
            mine.addEventListener("error", (e) => {
              if (e instanceof MessageEvent || mine !== source) return;
              setConnection("reconnecting", "reconnecting…");
              if (mine.readyState === EventSource.CLOSED) {
                // The server refused the stream (e.g. 503 while stopping): EventSource gives up, we do not.
                setTimeout(() => { if (mine === source) open(); }, reopenDelay);
                reopenDelay = Math.min(reopenDelay * 2, 15000);
              }
            });
            mine.addEventListener("check-error", onCheckError);
            mine.addEventListener("status-change", onStatusChange);
            mine.addEventListener("done", onDone);
            for (const name of plugins.keys()) listen(name);
            for (const name of owners.keys()) listen(name);
          }

          let ticks = 0;
          setInterval(() => {
            for (const p of plugins.values()) if (p.visible) p.card.tick();
            if (detail && ++ticks % 15 === 0) { detailDirty = true; schedule(); }
          }, 1000);
          setInterval(() => { if (source && source.readyState === EventSource.OPEN) refresh(); }, POLL_MS);
          // The first render, then the stream: listeners must exist before the first events arrive.
          refresh().finally(() => {
            place();
            // Until the observer reports, the first cards count as in view.
            for (const p of order.slice(0, 48)) p.visible = true;
            flush();
            // Marked once the first frame with every card is painted (the benchmark reads it).
            requestAnimationFrame(() => requestAnimationFrame(() => {
              performance.mark("beacon-first-render");
              document.body.dataset.rendered = String(plugins.size);
            }));
            open();
          });
        })();
        """#
}
