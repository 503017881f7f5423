import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server the test command started (scripts/with-postgres): each cluster test
/// makes a database of its own in it, so tests run side by side.
enum TestPostgres {
    static let adminURL = ProcessInfo.processInfo.environment["BEACON_TEST_POSTGRES_URL"]
    /// In CI the tests run, and fail when the server is missing; elsewhere they are skipped
    /// (with the reason printed) when no server was started.
    static let enabled = adminURL != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    static let skipped: Comment =
        "SKIPPED: no PostgreSQL for the tests (BEACON_TEST_POSTGRES_URL is unset); run `scripts/with-postgres swift test`"

    /// A new empty database in the test server; its URL.
    static func createDatabase() throws -> String {
        guard let adminURL else {
            throw TestFailure("BEACON_TEST_POSTGRES_URL is not set: the test command must start PostgreSQL (scripts/with-postgres)")
        }
        let name = "beacon_e2e_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        try psql(adminURL, "CREATE DATABASE \(name)")
        return adminURL.replacingOccurrences(of: "/postgres", with: "/\(name)")
    }

    /// Runs SQL with psql (unaligned, tuples only) and returns what it printed.
    @discardableResult
    static func psql(_ url: String, _ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-v", "ON_ERROR_STOP=1", "-qAt", "-F", " ", url, "-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw TestFailure("psql \(command): \(text)") }
        return text
    }
}

/// A PostgreSQL server of one test's own (for tests that stop and start it), made by
/// scripts/with-postgres and stopped with it.
final class PrivatePostgres {
    private let process = Process()
    private let folder: URL
    let url: String
    /// `pg_ctl` with its data folder, as a shell command prefix.
    private let control: String
    /// The script's command, waiting.
    private let sleeper: Int32
    private var closed = false

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("beacon-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let info = folder.appendingPathComponent("server")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        process.executableURL = root.appendingPathComponent("scripts/with-postgres")
        // The shell writes the server's URL, its pg_ctl command and its own pid, then becomes
        // `sleep`: killing that pid ends the script, whose exit stops the server.
        process.arguments = ["sh", "-c", "printf '%s\\n%s\\n%s\\n' \"$BEACON_TEST_POSTGRES_URL\" \"$BEACON_TEST_POSTGRES_CTL\" $$ > \(info.path).tmp; mv \(info.path).tmp \(info.path); exec sleep 600"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        guard let lines = waitFor(seconds: 60, { () -> [String]? in
            guard let text = try? String(contentsOf: info, encoding: .utf8) else { return nil }
            return text.split(separator: "\n").map(String.init)
        }), lines.count == 3, let sleeper = Int32(lines[2]) else {
            throw TestFailure("scripts/with-postgres did not start a server")
        }
        url = lines[0]
        control = lines[1]
        self.sleeper = sleeper
    }

    func stopServer() throws { try self.run("\(control) -m fast stop") }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server and every process of it: connections
    /// stay open, and nothing answers.
    func signalServer(_ signal: Int32) throws {
        guard let range = control.range(of: "-D "),
            let folder = control[range.upperBound...].split(separator: " ").first,
            let text = try? String(contentsOfFile: "\(folder)/postmaster.pid", encoding: .utf8),
            let postmaster = text.split(separator: "\n").first.flatMap({ Int32($0) })
        else { throw TestFailure("the server's pid is unknown (\(control))") }
        var pids = [postmaster]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 1, Int32(fields[1]) == postmaster
            else { continue }
            pids.append(pid)
        }
        for pid in pids { kill(pid, signal) }
    }
    func startServer() throws { try self.run("\(control) start") }

    private func run(_ command: String) throws {
        // system(), not Process: pg_ctl leaves the server running in the background.
        guard system(command + " >/dev/null 2>&1") == 0 else { throw TestFailure("\(command) failed") }
    }

    /// Ends the script's command, so the script stops the server and deletes its files.
    func close() {
        guard !closed else { return }
        closed = true
        kill(sleeper, SIGKILL)
        _ = waitFor(seconds: 30) { process.isRunning ? nil : true }
        try? FileManager.default.removeItem(at: folder)
    }

    deinit { close() }
}

/// A few `beacon` nodes on one database, each with its own copy of one plugins folder.
final class TestCluster {
    let store: String
    let folders: [PluginFolder]
    private(set) var nodes: [BeaconProcess?]
    let arguments: [String]

    /// - Parameter plugins: file name → source, written to every node's folder.
    init(nodes count: Int, plugins: [String: String], store: String? = nil, arguments: [String] = []) throws {
        self.store = try store ?? TestPostgres.createDatabase()
        self.arguments = arguments
        var folders: [PluginFolder] = []
        for _ in 0..<max(count, 1) {
            let folder = try PluginFolder()
            for (name, source) in plugins { try folder.write(name, source) }
            folders.append(folder)
        }
        self.folders = folders
        self.nodes = Array(repeating: nil, count: count)
        for index in 0..<count { try self.start(index) }
    }

    /// Starts (or starts again) node `index` as `node<index>`.
    func start(_ index: Int) throws {
        while folders.count <= index { throw TestFailure("no folder for node \(index)") }
        nodes[index] = try BeaconProcess(
            plugins: folders[index].url,
            extraArguments: ["--store", store, "--node-name", "node\(index)", "--log-level", "debug"] + arguments)
    }

    func node(_ index: Int) throws -> BeaconProcess {
        guard let node = nodes[index] else { throw TestFailure("node \(index) is not running") }
        return node
    }

    /// Forgets node `index` after the caller killed or stopped it.
    func forget(_ index: Int) { nodes[index] = nil }

    /// `GET /cluster` of node `index`: plugin → leader name, as that node sees it.
    func leaders(seenBy index: Int) throws -> [String: String] {
        let body = try httpGet(port: try node(index).port, "/cluster").body
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let nodes = object["nodes"] as? [[String: Any]]
        else { throw TestFailure("/cluster: \(body)") }
        var leaders: [String: String] = [:]
        for node in nodes {
            for plugin in node["leads"] as? [String] ?? [] {
                if let previous = leaders[plugin] { throw TestFailure("\(plugin) led by \(previous) and \(node["name"] ?? "?")") }
                leaders[plugin] = node["name"] as? String
            }
        }
        return leaders
    }

    /// Waits until every plugin in `plugins` has a leader among the running nodes and no node leads
    /// more than `most`; returns the leaders.
    func settled(_ plugins: Set<String>, most: Int, seconds: Double = 20) -> [String: String]? {
        let running = Set(nodes.enumerated().compactMap { $0.element == nil ? nil : "node\($0.offset)" })
        let observer = nodes.firstIndex { $0 != nil } ?? 0
        return waitFor(seconds: seconds) { () -> [String: String]? in
            guard let leaders = try? self.leaders(seenBy: observer), Set(leaders.keys) == plugins,
                Set(leaders.values).isSubset(of: running)
            else { return nil }
            let counts = Dictionary(grouping: leaders.values, by: { $0 }).mapValues(\.count)
            return counts.values.allSatisfy { $0 <= most } ? leaders : nil
        }
    }

    /// Rows of the events table: (id, stream, seq, node, data), in id order.
    func committed() throws -> [(id: Int, stream: String, seq: Int, node: String, data: String)] {
        try TestPostgres.psql(store, "SELECT id, stream, seq, node, convert_from(data, 'UTF8') FROM beacon_events ORDER BY id")
            .split(separator: "\n").map { line in
                let parts = line.split(separator: " ", maxSplits: 4).map(String.init)
                return (Int(parts[0]) ?? 0, parts[1], Int(parts[2]) ?? 0, parts[3], parts.count > 4 ? parts[4] : "")
            }
    }

    func stopAll() {
        for node in nodes { node?.stop() }
        folders.forEach { $0.delete() }
    }
}

/// A plugin that reports the pid of the beacon that ran it and counts its runs there:
/// `{"pid":P,"n":N}`; it also prints `ran NAME N` to the log on each run.
func nodeCounterPlugin(schedule: String) -> String {
    """
    schedule = "\(schedule)"
    n = 0
    local stat = io.open("/proc/self/stat")
    pid = tonumber(stat:read("l"):match("^%d+"))
    stat:close()
    function check_status()
      n = n + 1
      print("ran " .. n)
      return { pid = pid, n = n }
    end
    """
}
