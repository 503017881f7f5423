/// The page served at `GET /`.
enum Dashboard {
    /// A placeholder until the real dashboard lands.
    static let html: String = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Beacon</title></head>
        <body><h1>Beacon</h1><p>Streams: <a href="/events">/events</a>, status: <a href="/plugins">/plugins</a>.</p></body>
        </html>
        """
}
