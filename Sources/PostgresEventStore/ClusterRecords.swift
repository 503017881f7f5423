public import EventStore

/// A plugin this node leads: the lease's token (every write must show it) and the plugin's last
/// committed seq when the lease was read.
public struct LeaseGrant: Sendable, Equatable {
    public var plugin: String
    public var token: Int64
    public var lastSeq: Int64
}

/// A live node as the database sees it.
public struct ClusterMember: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var address: String
    /// Seconds since its last heartbeat reached the database.
    public var secondsSinceContact: Double
    /// How many plugins it leads.
    public var leads: Int
}

/// Who leads a plugin, and the hash of the leader's file for it.
public struct PluginLeader: Sendable, Equatable {
    public var node: String?
    public var hash: String?
}

/// What one heartbeat learned: this node's leases, the live nodes, each plugin's leader.
public struct HeartbeatAnswer: Sendable {
    /// This node's id (its row in `beacon_nodes`).
    public var nodeId: Int64
    public var leases: [LeaseGrant]
    public var members: [ClusterMember]
    public var leaders: [String: PluginLeader]
    /// How many plugins each node should lead: ⌈plugins ÷ live nodes⌉.
    public var fairShare: Int
}

/// An event a leader wants committed: its plugin's lease token and the seq it takes.
public struct FencedEvent: Sendable {
    public var event: StoredEvent
    public var token: Int64
    public var seq: Int64

    public init(event: StoredEvent, token: Int64, seq: Int64) {
        self.event = event
        self.token = token
        self.seq = seq
    }
}

/// What a fenced append did.
public struct FencedAppend: Sendable {
    /// The events committed, with their ids.
    public var committed: [StoredEvent]
    /// Plugins whose events were refused: the lease is another node's now (or its seq was
    /// already taken, by this very batch committed before an answer was lost).
    public var refused: [String]
}
