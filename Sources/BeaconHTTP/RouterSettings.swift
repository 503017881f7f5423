import EventHub
import Logging

/// What the routers of every connection share, fixed when the server starts.
struct RouterSettings: Sendable {
    let hub: EventHub
    let status: any StatusSource
    let cors: CORSPolicy
    let logger: Logger
    /// nil when authentication is off.
    let auth: TokenAuthenticator?
    /// The decoder's limit on a whole request head (request line plus headers).
    let headLimitBytes: Int

    init(
        hub: EventHub, status: any StatusSource, cors: CORSPolicy, logger: Logger, auth: TokenAuthenticator? = nil,
        headLimitBytes: Int = 40 * 1024
    ) {
        self.hub = hub
        self.status = status
        self.cors = cors
        self.logger = logger
        self.auth = auth
        self.headLimitBytes = headLimitBytes
    }
}
