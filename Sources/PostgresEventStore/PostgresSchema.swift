public import EventStore
import PostgresNIO

/// The tables of a Beacon database and their versions. Every node migrates on start, one at a
/// time (under a transaction-scoped advisory lock), so nodes of one version share a schema.
enum PostgresSchema {
    /// The advisory lock key that serializes migrations and lease changes ("beacon" in ASCII).
    static let lockKey: Int64 = 0x62_65_61_63_6f_6e
    /// The advisory lock key that serializes publishing plugin entries and counts, so their
    /// versions commit in order.
    static let versionLockKey: Int64 = lockKey + 1

    /// Each version's statements, in order; version N is `migrations[N - 1]`.
    static let migrations: [[String]] = [
        [
            // One row: the schema version, the highest event id given out (ids are taken from it
            // inside the inserting transaction, which holds the row until it commits: id order is
            // commit order), and the highest id retention deleted.
            """
            CREATE TABLE beacon_meta (
                one boolean PRIMARY KEY DEFAULT true CHECK (one),
                schema_version integer NOT NULL,
                last_id bigint NOT NULL,
                deleted_through bigint NOT NULL DEFAULT 0)
            """,
            "INSERT INTO beacon_meta (schema_version, last_id) VALUES (1, 0)",
            // Every event of every plugin; seq counts each plugin's events from 1 without gaps.
            """
            CREATE TABLE beacon_events (
                id bigint PRIMARY KEY,
                stream text NOT NULL,
                seq bigint NOT NULL,
                event text NOT NULL,
                data bytea NOT NULL,
                time_ms bigint NOT NULL,
                status text,
                status_since bigint,
                node text NOT NULL DEFAULT '',
                UNIQUE (stream, seq))
            """,
            "CREATE INDEX beacon_events_stream_id ON beacon_events (stream, id)",
            "CREATE INDEX beacon_events_time ON beacon_events (time_ms)",
            // One row per running node (an incarnation: a restarted node is a new row).
            """
            CREATE TABLE beacon_nodes (
                id bigserial PRIMARY KEY,
                name text NOT NULL,
                address text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                last_contact timestamptz NOT NULL DEFAULT now(),
                expires_at timestamptz NOT NULL)
            """,
            // The plugins each node has in its folder, with the hash of each file.
            """
            CREATE TABLE beacon_node_plugins (
                node_id bigint NOT NULL,
                plugin text NOT NULL,
                hash text NOT NULL,
                PRIMARY KEY (node_id, plugin))
            """,
            // Who leads each plugin: a lease held while its node's row is alive, with a token
            // that changes on every hand-over (the fence every write checks), and the plugin's
            // last committed seq.
            """
            CREATE TABLE beacon_leases (
                plugin text PRIMARY KEY,
                node_id bigint,
                token bigint NOT NULL DEFAULT 0,
                last_seq bigint NOT NULL DEFAULT 0)
            """,
            "CREATE SEQUENCE beacon_lease_tokens",
        ],
        [
            // What each plugin's leader shows of it in `/plugins` (its entry as JSON), so every
            // node shows the leader's; `version` grows with every change, for incremental reads.
            """
            CREATE TABLE beacon_plugin_states (
                plugin text PRIMARY KEY,
                node text NOT NULL,
                version bigint NOT NULL,
                entry text NOT NULL)
            """,
            "CREATE SEQUENCE beacon_plugin_state_versions",
            "CREATE INDEX beacon_plugin_states_version ON beacon_plugin_states (version)",
            // Each node's counts of its runs of each plugin since it started (a restarted node is
            // a new row), kept after it stops: their sums are the cluster's counts, which never go down.
            """
            CREATE TABLE beacon_plugin_counters (
                node_id bigint NOT NULL,
                plugin text NOT NULL,
                version bigint NOT NULL,
                runs bigint NOT NULL,
                failures bigint NOT NULL,
                skipped_ticks bigint NOT NULL,
                PRIMARY KEY (node_id, plugin))
            """,
            "CREATE INDEX beacon_plugin_counters_version ON beacon_plugin_counters (version)",
        ],
    ]

    static var latest: Int { migrations.count }

    /// Creates or migrates the schema. Refuses a database of a newer Beacon, and one whose
    /// `beacon_meta` is not Beacon's.
    static func migrate(_ link: PostgresLink) throws(StoreError) {
        let found: Int? = try link.transaction { connection -> Int? in
            try connection.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.lockKey))")
            guard let version = try self.version(on: connection) else {
                for statement in migrations.joined() { try connection.run(PostgresQuery(unsafeSQL: statement)) }
                try connection.run("UPDATE beacon_meta SET schema_version = \(Int32(latest))")
                return nil
            }
            guard version >= 0, version <= latest else { return version }
            for step in version..<latest {
                for statement in migrations[step] { try connection.run(PostgresQuery(unsafeSQL: statement)) }
                try connection.run("UPDATE beacon_meta SET schema_version = \(Int32(step + 1))")
            }
            return version
        }
        if let refusal = self.refusal(found, target: link.connector.url.description) { throw refusal }
    }

    /// Checks, changing nothing, that the database can be opened: reachable, the login accepted,
    /// and either without Beacon's tables or with those of this version or an older one.
    static func check(_ link: PostgresLink) throws(StoreError) {
        let found = try link.with { connection in try self.version(on: connection) }
        if let refusal = self.refusal(found, target: link.connector.url.description) { throw refusal }
    }

    /// The database's schema version: nil without Beacon's tables, -1 when `beacon_meta` is not Beacon's.
    private static func version(on connection: PostgresConnection) throws -> Int? {
        let exists = try connection.run("SELECT to_regclass('beacon_meta') IS NOT NULL")
        guard let row = exists.first, try row.decode(Bool.self) else { return nil }
        do {
            guard let row = try connection.run("SELECT schema_version FROM beacon_meta").first else { return -1 }
            return Int(try row.decode(Int32.self))
        } catch {
            return -1
        }
    }

    /// Why a database with schema version `found` cannot be used, or nil.
    private static func refusal(_ found: Int?, target: String) -> StoreError? {
        guard let found else { return nil }
        if found < 0 {
            return StoreError(.notAStore, "\(target): the table beacon_meta is not a Beacon store's; use another database")
        }
        if found > latest {
            return StoreError(.newerSchema, "\(target) was written by a newer Beacon (schema version \(found); this one knows up to \(latest)); run that version or a newer one")
        }
        return nil
    }
}
