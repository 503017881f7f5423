public import EventStore
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
public import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// Opens connections to one database: TCP keepalives on and a user timeout (a silent peer is
/// noticed in about 11 s, idle or not), TLS as `sslmode` says, and failures turned into messages
/// that say what to do.
public struct PostgresConnector: Sendable {
    public let url: PostgresURL
    let password: String?
    let group: any EventLoopGroup
    let logger: Logger
    /// How long a TCP connect may take.
    public static let connectTimeout = TimeAmount.seconds(3)

    /// - Parameter password: the password when the URL has none (from `PGPASSWORD` or a file).
    public init(url: PostgresURL, password: String?, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.url = url
        self.password = url.password ?? password
        self.group = group
        self.logger = logger
    }

    /// A new connection, or why not. Blocks; never call on an event loop.
    public func connect() throws(StoreError) -> PostgresConnection {
        do {
            return try self.connectFuture().wait()
        } catch {
            throw self.explain(error)
        }
    }

    /// A new connection, or why not (the error as ``explain(_:)`` words it).
    public func connectFuture() -> EventLoopFuture<PostgresConnection> {
        let eventLoop = self.group.any()
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try self.tlsSetting()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(Self.connectTimeout)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPIDLE)), value: 5)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPINTVL)), value: 2)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_KEEPCNT)), value: 3)
            // Keepalives only probe an idle connection: data sent and never acknowledged (a query
            // into a link that drops everything) closes the connection after 10 s instead of
            // being retransmitted for many minutes.
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_USER_TIMEOUT)), value: 10_000)
        let url = self.url
        let password = self.password
        let logger = self.logger
        return bootstrap.connect(host: url.host, port: url.port).flatMap { channel in
            var configuration = PostgresConnection.Configuration(
                establishedChannel: channel, tls: tls, username: url.user, password: password, database: url.database)
            // A client frozen inside a transaction (SIGSTOP, a paused VM) must not hold its locks
            // (the id counter, the cluster's advisory lock) for long: the server ends its session.
            // Beacon's statements are short and many: JIT compilation, which the planner may pick
            // from a fresh table's missing statistics, costs far more than it saves (about 80 ms
            // for a follower's read of a few rows).
            configuration.options.additionalStartupParameters = [
                ("idle_in_transaction_session_timeout", "1000"), ("lock_timeout", "5000"), ("application_name", "beacon"),
                ("jit", "off"),
            ]
            return PostgresConnection.connect(
                on: channel.eventLoop, configuration: configuration, id: Int.random(in: 1...Int.max), logger: logger)
        }
    }

    private func tlsSetting() throws -> PostgresConnection.Configuration.TLS {
        switch self.url.tls {
        case .disable:
            return .disable
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            return self.url.tls == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// A connection failure in words an operator can act on.
    public func explain(_ error: any Error) -> StoreError {
        let target = "PostgreSQL at \(self.url)"
        if let psql = error as? PSQLError {
            let state = psql.serverInfo?[.sqlState] ?? ""
            let message = psql.serverInfo?[.message] ?? "\(psql.code)"
            switch state {
            case "28P01", "28000":
                return StoreError(.cannotConnect, "\(target) refused the login of user \"\(self.url.user)\" (\(message)); check the user and the password (in the URL, PGPASSWORD or --store-password-file)")
            case "3D000":
                return StoreError(.cannotConnect, "\(target): database \"\(self.url.database)\" does not exist (\(message)); create it (createdb \(self.url.database)) or name another in the URL")
            case "":
                break
            default:
                return StoreError(.cannotConnect, "\(target): \(message) (SQLSTATE \(state))")
            }
            if psql.code == .sslUnsupported {
                return StoreError(.cannotConnect, "\(target) does not offer TLS, which sslmode=\(self.url.tls.rawValue) requires; enable ssl on the server or use sslmode=prefer")
            }
            return StoreError(.cannotConnect, "\(target): \(psql.code)\(psql.underlying.map { ": \($0)" } ?? ""); is the server running and reachable?")
        }
        return StoreError(.cannotConnect, "cannot reach \(target): \(error); is the server running and does it listen on that host and port?")
    }
}
