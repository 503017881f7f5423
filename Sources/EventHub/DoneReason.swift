/// Why a stream ended: the `reason` of its `done` event.
public enum DoneReason: String, Sendable {
    /// The plugin is gone (its file was deleted and the folder reloaded).
    case removed
    /// The server is stopping.
    case shutdown
}
