extension Dashboard {
    /// The page's CSS: level colors as variables (light and dark), cards, rows, charts, the detail dialog.
    static let style: String = #"""
        :root {
          --bg: #f6f7f9; --card: #fff; --fg: #1b1f24; --muted: #59636e; --line: #d8dde3; --accent: #1f6feb;
          --ok: #1a7f37; --warning: #9a6700; --critical: #cf222e; --unknown: #8250df; --none: #8c959f;
          --ok-bg: #e6f4ea; --warning-bg: #fff4d4; --critical-bg: #ffebe9; --unknown-bg: #f3ecff; --none-bg: #eef1f4;
          --empty: #e3e7eb;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
          color: var(--fg); background: var(--bg);
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #9aa4af; --line: #30363d; --accent: #58a6ff;
            --ok: #3fb950; --warning: #d29922; --critical: #ff6b63; --unknown: #b692f6; --none: #7d8590;
            --ok-bg: #12261a; --warning-bg: #2d2410; --critical-bg: #3a1418; --unknown-bg: #251a3d; --none-bg: #1f242b;
            --empty: #262c34;
          }
        }
        * { box-sizing: border-box; }
        body { margin: 0; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: .5rem; top: .5rem; z-index: 2; background: var(--card); padding: .25rem .5rem; }
        header.top { display: flex; align-items: center; gap: .5rem 1rem; flex-wrap: wrap;
          padding: .6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--card); }
        header.top h1 { margin: 0; font-size: 1.2rem; }
        #summary { margin: 0; font-weight: 600; display: flex; align-items: center; gap: .5rem; flex-wrap: wrap;
          padding: .3rem .75rem; border-radius: 1rem; background: var(--none-bg); color: var(--fg); }
        #summary::before { content: ""; width: .75em; height: .75em; border-radius: 50%; background: var(--none); }
        #summary .more { font-weight: normal; color: var(--muted); font-size: .9rem; }
        #connection { margin: 0; font-size: .9rem; color: var(--muted); }
        #connection::before { content: ""; display: inline-block; width: .6em; height: .6em;
          margin-right: .4em; border-radius: 50%; background: var(--warning); }
        #connection[data-state="live"]::before { background: var(--ok); }
        #connection[data-state="closed"]::before { background: var(--critical); }
        header.top nav { margin-left: auto; font-size: .9rem; }
        a { color: var(--accent); }
        main { padding: 1rem 1.25rem; }
        #empty { color: var(--muted); }
        #cards { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem;
          grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); align-items: start; }
        .card { background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--level);
          border-radius: .5rem; padding: .6rem .9rem; display: flex; flex-direction: column; gap: .45rem;
          min-width: 0; cursor: pointer; content-visibility: auto; contain-intrinsic-size: auto 14rem;
          --level: var(--none); --level-bg: var(--none-bg); }
        [data-level="ok"] { --level: var(--ok); --level-bg: var(--ok-bg); }
        [data-level="warning"] { --level: var(--warning); --level-bg: var(--warning-bg); }
        [data-level="critical"] { --level: var(--critical); --level-bg: var(--critical-bg); }
        [data-level="unknown"] { --level: var(--unknown); --level-bg: var(--unknown-bg); }
        #summary[data-level]::before { background: var(--level); }
        #summary[data-level]:not([data-level="none"]) { background: var(--level-bg); }
        .card:hover { border-color: var(--level); }
        .card:focus-within { outline: 2px solid var(--accent); outline-offset: 2px; }
        .card .head { display: flex; align-items: baseline; gap: .5rem; }
        .card h2 { margin: 0; font-size: 1rem; min-width: 0; flex: 1; overflow-wrap: anywhere; }
        button.open { all: unset; cursor: pointer; }
        button.open:focus-visible { text-decoration: underline; }
        .badge { font-size: .75rem; font-weight: 600; text-transform: uppercase; letter-spacing: .03em;
          padding: .1rem .45rem; border-radius: .25rem; color: var(--level); background: var(--level-bg); white-space: nowrap; }
        .status-text { margin: 0; color: var(--fg); overflow-wrap: anywhere; }
        .via { margin: 0; font-size: .8rem; color: var(--muted); overflow-wrap: anywhere; }
        .value { min-height: 1.25rem; overflow-wrap: anywhere; font-size: .9rem; }
        .value .big { font-size: 2rem; font-weight: 600; font-variant-numeric: tabular-nums; line-height: 1.1; }
        .value .text { white-space: pre-wrap; margin: 0; overflow-wrap: anywhere; }
        .none { color: var(--muted); font-style: italic; }
        dl.rows { margin: 0; display: grid; grid-template-columns: fit-content(45%) minmax(0, 1fr); gap: .15rem .75rem; }
        dl.rows dl.rows { padding-left: .6rem; border-left: 2px solid var(--line); }
        dl.rows dt { color: var(--muted); overflow-wrap: anywhere; }
        dl.rows dd { margin: 0; min-width: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
        dl.rows dd.nested { grid-column: 1 / -1; }
        dl.rows dd.number, .value div.number { display: flex; align-items: center; gap: .15rem .5rem; flex-wrap: wrap;
          font-variant-numeric: tabular-nums; font-weight: 600; }
        dd.number .v { flex: none; }
        .more-rows { color: var(--muted); font-size: .8rem; }
        figure { margin: 0; }
        figure.chart { display: flex; flex-direction: column; flex: 1 1 5rem; max-width: 9rem; min-width: 5rem;
          margin-left: auto; font-weight: normal; color: var(--accent); }
        figure.chart svg { width: 100%; height: 1.5rem; overflow: visible; }
        figure.chart.large { width: 100%; max-width: none; margin: 0; }
        figure.chart.large svg { width: 100%; height: 7rem; }
        .axis { display: flex; justify-content: space-between; gap: .25rem; font-size: .6rem; color: var(--muted);
          white-space: nowrap; overflow: hidden; }
        .chart .range { font-size: .7rem; color: var(--muted); }
        figure.uptime { display: flex; flex-direction: column; gap: .15rem; }
        figure.uptime svg { width: 100%; height: 1.1rem; display: block; }
        figure.uptime.large svg { height: 2rem; }
        figure.uptime figcaption { display: flex; justify-content: space-between; font-size: .75rem; color: var(--muted); }
        rect.slot { fill: var(--empty); }
        rect.slot[data-level="ok"] { fill: var(--ok); }
        rect.slot[data-level="warning"] { fill: var(--warning); }
        rect.slot[data-level="critical"] { fill: var(--critical); }
        rect.slot[data-level="unknown"] { fill: var(--unknown); }
        rect.slot[data-level="none"] { fill: var(--none); }
        .error { margin: 0; color: var(--critical); background: var(--critical-bg); border-radius: .25rem;
          padding: .3rem .5rem; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .85rem; }
        .error .kind { font-weight: 600; }
        .card footer { font-size: .75rem; color: var(--muted); display: flex; gap: .25rem 1rem; flex-wrap: wrap; }
        dialog { width: min(60rem, 96vw); max-height: 92vh; border: 1px solid var(--line); border-top: 6px solid var(--level);
          border-radius: .5rem; background: var(--card); color: var(--fg); padding: 0; --level: var(--none); }
        dialog::backdrop { background: rgb(0 0 0 / .45); }
        dialog .head { position: sticky; top: 0; background: var(--card); display: flex; align-items: center; gap: .75rem;
          padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
        dialog h2 { margin: 0; font-size: 1.2rem; flex: 1; overflow-wrap: anywhere; }
        dialog .body { padding: .5rem 1rem 1rem; display: grid; gap: .5rem 1.5rem; }
        dialog h3 { margin: .75rem 0 .35rem; font-size: .95rem; }
        dialog section { min-width: 0; }
        .charts { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); }
        .charts h4 { margin: 0 0 .2rem; font-size: .8rem; font-weight: 600; overflow-wrap: anywhere; }
        table { border-collapse: collapse; width: 100%; font-size: .85rem; }
        th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top;
          overflow-wrap: anywhere; }
        td.level { color: var(--level); font-weight: 600; white-space: nowrap; }
        button.close { font: inherit; padding: .3rem .75rem; border-radius: .3rem; border: 1px solid var(--line);
          background: var(--bg); color: var(--fg); cursor: pointer; }
        @media (prefers-reduced-motion: no-preference) { .card { transition: border-color .3s; } }
        """#
}
