/// Why the plugin host tells its sink a plugin is gone.
public enum PluginRemoval: Sendable {
    /// A reload found its file deleted.
    case deleted
    /// The host is stopping.
    case shutdown
}
