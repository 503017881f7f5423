public import EventStore
import PostgresNIO

extension PostgresEventStore {
    /// Registers (or renews) this node and its lease on every plugin it leads, for
    /// `leaseSeconds` of the database's clock, and rebalances: takes plugins of its folder that
    /// nobody live leads, up to its fair share, after giving back `release`. Serialized with
    /// every other node's heartbeat by a transaction-scoped advisory lock, so two nodes never
    /// take the same plugin and a lease read here is not taken meanwhile.
    ///
    /// - Parameters:
    ///   - nodeId: this node's id from an earlier heartbeat; nil registers a new node.
    ///   - plugins: the plugins of this node's folder with their hashes, when they changed (or first).
    ///   - canTake: false while this node must not take plugins (it is stopping).
    ///   - renewed: called when this node's row was renewed, before the rest (which waits for the
    ///     other nodes' heartbeats): its leases held before are confirmed from then on.
    public func heartbeat(
        nodeId: Int64?, name: String, address: String, leaseSeconds: Double, plugins: [String: String]?,
        release: [String], canTake: Bool, renewed: () -> Void = {}
    ) throws(StoreError) -> HeartbeatAnswer {
        let lease = "\(leaseSeconds) seconds"
        // The renewal is a transaction of its own that waits for no other node: a node frozen in
        // the middle of a heartbeat delays take-overs, never the others' renewals.
        var id: Int64? = nil
        if let nodeId {
            id = try self.writes.with { connection in
                try connection.run(
                    """
                    UPDATE beacon_nodes SET last_contact = now(), expires_at = now() + \(lease)::interval, address = \(address)
                    WHERE id = \(nodeId) RETURNING id
                    """
                ).first?.decode(Int64.self)
            }
            if id != nil { renewed() }
        }
        return try self.writes.transaction { connection in
            try connection.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.lockKey))")
            let me: Int64
            if let id {
                me = id
            } else {
                // New, or forgotten after a long freeze: a new incarnation, with no leases.
                me = try connection.run(
                    "INSERT INTO beacon_nodes (name, address, expires_at) VALUES (\(name), \(address), now() + \(lease)::interval) RETURNING id"
                ).first?.decode(Int64.self) ?? 0
            }
            if let plugins {
                try connection.run("DELETE FROM beacon_node_plugins WHERE node_id = \(me)")
                let names = Array(plugins.keys)
                let hashes = names.map { plugins[$0] ?? "" }
                try connection.run(
                    "INSERT INTO beacon_node_plugins (node_id, plugin, hash) SELECT \(me), * FROM unnest(\(names)::text[], \(hashes)::text[])")
                try connection.run("INSERT INTO beacon_leases (plugin) SELECT unnest(\(names)::text[]) ON CONFLICT DO NOTHING")
                // Plugins gone from this folder are given back at once.
                try connection.run(
                    "UPDATE beacon_leases SET node_id = NULL WHERE node_id = \(me) AND NOT (plugin = ANY(\(names)::text[]))")
            }
            if !release.isEmpty {
                try connection.run("UPDATE beacon_leases SET node_id = NULL WHERE node_id = \(me) AND plugin = ANY(\(release)::text[])")
            }
            // Nodes dead for a minute are forgotten (their leases were free since they died).
            try connection.run(
                "DELETE FROM beacon_node_plugins WHERE node_id IN (SELECT id FROM beacon_nodes WHERE expires_at < now() - interval '60 seconds')")
            try connection.run("DELETE FROM beacon_nodes WHERE expires_at < now() - interval '60 seconds'")

            let counts = try connection.run(
                """
                SELECT (SELECT count(*) FROM beacon_nodes WHERE expires_at > now()),
                       (SELECT count(DISTINCT np.plugin) FROM beacon_node_plugins np JOIN beacon_nodes n ON n.id = np.node_id
                        WHERE n.expires_at > now()),
                       (SELECT count(*) FROM beacon_leases WHERE node_id = \(me))
                """)
            guard let countRow = counts.first else { throw StoreError(.io, "the cluster counts query answered no row") }
            let (live, total, mine) = try countRow.decode((Int64, Int64, Int64).self)
            let fairShare = Int((total + max(live, 1) - 1) / max(live, 1))
            if canTake, mine < fairShare {
                try connection.run(
                    """
                    UPDATE beacon_leases SET node_id = \(me), token = nextval('beacon_lease_tokens')
                    WHERE plugin IN (
                      SELECT l.plugin FROM beacon_leases l JOIN beacon_node_plugins np ON np.plugin = l.plugin AND np.node_id = \(me)
                      WHERE l.node_id IS NULL OR l.node_id NOT IN (SELECT id FROM beacon_nodes WHERE expires_at > now())
                      ORDER BY l.plugin LIMIT \(Int64(fairShare) - mine))
                    """)
            }
            let leases = try connection.run("SELECT plugin, token, last_seq FROM beacon_leases WHERE node_id = \(me)").map { row in
                let (plugin, token, lastSeq) = try row.decode((String, Int64, Int64).self)
                return LeaseGrant(plugin: plugin, token: token, lastSeq: lastSeq)
            }
            let members = try connection.run(
                """
                SELECT n.id, n.name, n.address, extract(epoch FROM now() - n.last_contact)::float8,
                       (SELECT count(*) FROM beacon_leases l WHERE l.node_id = n.id)
                FROM beacon_nodes n WHERE n.expires_at > now() ORDER BY n.name, n.id
                """
            ).map { row in
                let (id, name, address, since, leads) = try row.decode((Int64, String, String, Double, Int64).self)
                return ClusterMember(id: id, name: name, address: address, secondsSinceContact: since, leads: Int(leads))
            }
            var leaders: [String: PluginLeader] = [:]
            for row in try connection.run(
                """
                SELECT l.plugin, n.name, np.hash FROM beacon_leases l
                LEFT JOIN beacon_nodes n ON n.id = l.node_id AND n.expires_at > now()
                LEFT JOIN beacon_node_plugins np ON np.node_id = n.id AND np.plugin = l.plugin
                """)
            {
                let (plugin, node, hash) = try row.decode((String, String?, String?).self)
                leaders[plugin] = PluginLeader(node: node, hash: hash)
            }
            return HeartbeatAnswer(nodeId: me, leases: leases, members: members, leaders: leaders, fairShare: fairShare)
        }
    }

    /// Gives back every lease of node `nodeId` and removes it (a clean stop): the other nodes take
    /// its plugins at their next heartbeat.
    public func leave(nodeId: Int64) throws(StoreError) {
        try self.writes.transaction { connection in
            try connection.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.lockKey))")
            try connection.run("UPDATE beacon_leases SET node_id = NULL WHERE node_id = \(nodeId)")
            try connection.run("DELETE FROM beacon_node_plugins WHERE node_id = \(nodeId)")
            try connection.run("DELETE FROM beacon_nodes WHERE id = \(nodeId)")
        }
    }

    /// Commits `events` in one transaction, each only if its plugin's lease still has the token
    /// it carries, is held by a live node, and its seq follows the plugin's last committed one
    /// (all checked in the statement that moves the seq on, which holds the lease row until the
    /// commit). Accepted events get the next ids in order, and a notification on
    /// `beacon_events` says the highest.
    public func append(fenced events: [FencedEvent], node: String) throws(StoreError) -> FencedAppend {
        guard !events.isEmpty else { return FencedAppend(committed: [], refused: []) }
        // Per plugin: the token, the seq before the batch and the last seq of the batch.
        var order: [String] = []
        var spans: [String: (token: Int64, first: Int64, last: Int64)] = [:]
        for item in events {
            if let span = spans[item.event.stream] {
                spans[item.event.stream] = (span.token, span.first, item.seq)
            } else {
                order.append(item.event.stream)
                spans[item.event.stream] = (item.token, item.seq, item.seq)
            }
        }
        let plugins = order
        let tokens = order.map { spans[$0]?.token ?? 0 }
        let before = order.map { (spans[$0]?.first ?? 1) - 1 }
        let after = order.map { spans[$0]?.last ?? 0 }
        // Two round trips: BEGIN with the fence, then the insert (ids from the counter, in the
        // same statement), the notification and COMMIT, each group sent without waiting.
        return try self.writes.with { connection in
            let quiet = PostgresConnection.quiet
            let begin = connection.query("BEGIN", logger: quiet)
            let fence = connection.query(
                """
                UPDATE beacon_leases l SET last_seq = v.after
                FROM unnest(\(plugins)::text[], \(tokens)::bigint[], \(before)::bigint[], \(after)::bigint[]) AS v(plugin, token, before, after),
                     beacon_nodes n
                WHERE l.plugin = v.plugin AND l.token = v.token AND l.last_seq = v.before
                  AND n.id = l.node_id AND n.expires_at > now()
                RETURNING l.plugin
                """, logger: quiet)
            do {
                _ = try begin.wait()
                let accepted = Set(try fence.wait().rows.map { try $0.decode(String.self) })
                let kept = events.filter { accepted.contains($0.event.stream) }
                guard !kept.isEmpty else {
                    try connection.run("ROLLBACK")
                    return FencedAppend(committed: [], refused: plugins)
                }
                let insert = connection.query(Self.insertTakingIds(kept, node: node), logger: quiet)
                let notify = connection.query("SELECT pg_notify('beacon_events', '')", logger: quiet)
                let commit = connection.query("COMMIT", logger: quiet)
                let ids = try insert.wait().rows.map { try $0.decode(Int64.self) }.sorted()
                _ = try notify.wait()
                let status = try commit.wait()
                // COMMIT of a transaction that failed answers ROLLBACK instead of an error.
                guard status.metadata.command == "COMMIT", ids.count == kept.count else {
                    throw StoreError(.io, "PostgreSQL at \(self.connector.url) rolled the commit back")
                }
                var committed: [StoredEvent] = []
                committed.reserveCapacity(kept.count)
                for (item, id) in zip(kept, ids) {
                    var event = item.event
                    event.id = UInt64(id)
                    committed.append(event)
                }
                return FencedAppend(committed: committed, refused: plugins.filter { !accepted.contains($0) })
            } catch {
                if !connection.isClosed { _ = try? connection.run("ROLLBACK") }
                throw error
            }
        }
    }

    /// Inserts `events` with the next ids of the counter, taken in the same statement (the counter
    /// row stays locked until the transaction ends), in the order given; returns the ids.
    static func insertTakingIds(_ events: [FencedEvent], node: String) -> PostgresQuery {
        let count = Int64(events.count)
        let streams = events.map(\.event.stream)
        let seqs = events.map(\.seq)
        let names = events.map(\.event.event)
        let data = events.map { String(decoding: $0.event.data, as: UTF8.self) }
        let times = events.map(\.event.unixMilliseconds)
        let statuses = events.map { $0.event.status ?? "" }
        let since = events.map { $0.event.statusSince ?? -1 }
        return """
            WITH counter AS (UPDATE beacon_meta SET last_id = last_id + \(count) RETURNING last_id)
            INSERT INTO beacon_events (id, stream, seq, event, data, time_ms, status, status_since, node)
            SELECT counter.last_id - \(count) + v.ord, v.stream, v.seq, v.event, convert_to(v.data, 'UTF8'), v.time_ms,
                   nullif(v.status, ''), nullif(v.since, -1), \(node)
            FROM counter, unnest(\(streams)::text[], \(seqs)::bigint[], \(names)::text[], \(data)::text[],
                                 \(times)::bigint[], \(statuses)::text[], \(since)::bigint[])
                 WITH ORDINALITY AS v(stream, seq, event, data, time_ms, status, since, ord)
            RETURNING id
            """
    }
}

extension PostgresEventStore {
    /// The token and last seq of each lease of `plugins`.
    public func leaseStates(_ plugins: [String]) throws(StoreError) -> [(String, Int64, Int64)] {
        try self.writes.with { connection in
            try connection.run("SELECT plugin, token, last_seq FROM beacon_leases WHERE plugin = ANY(\(plugins)::text[])").map {
                try $0.decode((String, Int64, Int64).self)
            }
        }
    }
}
