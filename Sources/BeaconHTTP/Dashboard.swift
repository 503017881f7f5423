/// The page served at `GET /`: a live status page with one card per plugin.
///
/// Self-contained (inline CSS and JavaScript, no external URL; its own Content-Security-Policy
/// allows nothing else) so it ships inside the binary. URLs are relative, so the page also works
/// behind a proxy under a path prefix (`/beacon/`). How the script learns plugins, levels and
/// event names is in `Dashboard+Script.swift`. Every text from a plugin is set with `textContent`:
/// data never reaches `innerHTML`. Element ids, classes and `data-*` attributes are what the
/// browser tests in `Tests/browser` look for.
enum Dashboard {
    /// The policy the page declares for itself: scripts and styles only inline, requests only to
    /// its own origin, no frames, forms or outside images.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
        + "img-src data:; base-uri 'none'; form-action 'none'"

    static let html: String = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <link rel="icon" href="data:,">
        <title>Beacon</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <a class="skip" href="#cards">Skip to the plugins</a>
        <header class="top">
          <h1>Beacon</h1>
          <p id="summary" role="status" aria-live="polite" data-level="none"><span class="text">Loading…</span></p>
          <p id="connection" role="status" aria-live="polite" data-state="connecting">connecting…</p>
          <nav aria-label="Raw data"><a href="plugins">/plugins</a> · <a href="events">/events</a></nav>
        </header>
        <main>
          <p id="empty" hidden>No plugins yet.</p>
          <ul id="cards" aria-label="Plugins, worst level first" tabindex="-1"></ul>
        </main>
        <dialog id="detail" aria-labelledby="detail-title">
          <div class="head">
            <h2 id="detail-title"></h2>
            <span class="badge" id="detail-level"></span>
            <button type="button" class="close" id="detail-close">Close</button>
          </div>
          <div class="body" id="detail-body"></div>
        </dialog>
        <noscript><p>This page needs JavaScript; the raw stream is at <a href="events">/events</a>.</p></noscript>
        <script>
        \(script)
        </script>
        </body>
        </html>
        """
}
