public import LuaKit

/// `GET /status`: the worst level of all plugins, how many are at each level, and each plugin's
/// level and since when it holds.
public struct StatusOverview: Encodable, Sendable, Equatable {
    public struct Counts: Encodable, Sendable, Equatable {
        public var ok = 0
        public var warning = 0
        public var critical = 0
        public var unknown = 0
        /// Plugins without a level (their latest run set none).
        public var none = 0

        public init(ok: Int = 0, warning: Int = 0, critical: Int = 0, unknown: Int = 0, none: Int = 0) {
            self.ok = ok
            self.warning = warning
            self.critical = critical
            self.unknown = unknown
            self.none = none
        }
    }

    public struct Plugin: Encodable, Sendable, Equatable {
        public var name: String
        public var status: StatusLevel?
        public var since: Double?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(name, forKey: .name)
            try container.encode(status, forKey: .status)
            try container.encode(since, forKey: .since)
        }

        private enum Key: String, CodingKey { case name, status, since }
    }

    /// The worst level among plugins that have one (critical, then unknown, then warning, then
    /// ok); nil when none has a level. Plugins without a level count in `none` only.
    public var status: StatusLevel?
    public var counts = Counts()
    /// By name.
    public var plugins: [Plugin] = []

    /// The overview of plugins with these levels (by name).
    public init(levels: [String: PluginLevel]) {
        self.init(levels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    init(_ levels: [(name: String, level: PluginLevel)]) {
        for (name, level) in levels {
            plugins.append(Plugin(name: name, status: level.status, since: level.since))
            switch level.status {
            case .ok: counts.ok += 1
            case .warning: counts.warning += 1
            case .critical: counts.critical += 1
            case .unknown: counts.unknown += 1
            case nil: counts.none += 1
            }
        }
        status = levels.compactMap(\.level.status).max()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(status, forKey: .status)
        try container.encode(counts, forKey: .counts)
        try container.encode(plugins, forKey: .plugins)
    }

    private enum Key: String, CodingKey { case status, counts, plugins }
}
