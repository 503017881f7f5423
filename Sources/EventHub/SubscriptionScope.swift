/// Which streams one subscriber follows.
public enum SubscriptionScope: Sendable, Equatable {
    /// `/events/NAME`: one stream; the response ends when the stream is removed.
    case stream(String)
    /// `/events?plugin=a&plugin=b`: these streams (by name); stays open when one is removed.
    case streams([String])
    /// `/events`: every stream, including streams added later.
    case all

    /// The stream names this scope names explicitly (none for ``all``), without duplicates.
    var names: [String] {
        switch self {
        case .stream(let name): return [name]
        case .streams(let names):
            var seen = Set<String>()
            return names.filter { seen.insert($0).inserted }
        case .all: return []
        }
    }

    /// Whether events of `stream` go to this subscriber.
    func includes(_ stream: String) -> Bool {
        switch self {
        case .stream(let name): return name == stream
        case .streams(let names): return names.contains(stream)
        case .all: return true
        }
    }
}

/// Why a subscription was refused.
public enum SubscribeRefusal: Error, Equatable {
    /// Names that are not streams of the hub (sorted as asked).
    case unknownStreams([String])
    /// ``EventHub/shutdown(reason:)`` was called.
    case shuttingDown
    /// The connection closed before it could be attached.
    case channelClosed
}
