// Test helper, run in a page of Beacon's origin (the dashboard, loaded at "/") with
// driver.execute_script. It opens a bare EventSource and records what the browser's own SSE
// parser delivers, so the tests can check it from Python:
//   window.events:   {type, data, lastEventId, at} for every named event listened for
//   window.sseLog:   {what: "open"|"error", readyState, at} connection changes
//   window.sources:  the EventSources opened (the tests close them)
// arguments[0] = the stream's URL, arguments[1] = the event names to listen for.
(function (url, names) {
  window.events = window.events || [];
  window.sseLog = window.sseLog || [];
  window.sources = window.sources || [];
  const source = new EventSource(url);
  window.sources.push(source);
  const record = (e) => {
    window.events.push({ type: e.type, data: e.data, lastEventId: e.lastEventId, at: Date.now() });
  };
  for (const name of names) source.addEventListener(name, record);
  source.addEventListener("open", () => window.sseLog.push({ what: "open", readyState: source.readyState, at: Date.now() }));
  source.addEventListener("error", () => window.sseLog.push({ what: "error", readyState: source.readyState, at: Date.now() }));
  // Unnamed events ("message") would mean the server lost an event's name.
  source.onmessage = (e) => window.events.push({ type: "message", data: e.data, lastEventId: e.lastEventId, at: Date.now() });
})(arguments[0], arguments[1]);
