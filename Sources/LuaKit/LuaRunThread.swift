import CLua

/// One thread of a run that Swift resumes: the run's own (which calls the function) or one made
/// by `beacon.spawn`. Touched only by its run's owner.
final class LuaRunThread {
    /// Where the thread stands.
    enum Phase {
        /// Waits to be resumed.
        case ready
        /// Suspended until an answer, a handle or a resume (see ``waitingOn`` and ``waitingFor``).
        case suspended
        /// Returned `resultCount` values, which stay on its stack for `beacon.wait`.
        case finished(resultCount: Int32)
        /// Stopped by an error with this message.
        case failed(String)
    }

    /// The handle id `beacon.spawn` returned (0 for the run's own thread).
    let id: Int64
    let state: OpaquePointer
    /// Its anchor in the registry.
    let reference: Int32
    var phase = Phase.ready
    /// The host call whose answer it waits for; cleared when the answer is handed over.
    var waitingOn: LuaPendingCall?
    /// The handles it waits for in `beacon.wait`.
    var waitingFor: [Int64] = []
    /// Arguments on its stack above the function for its first resume; 0 afterwards.
    var startArguments: Int32 = 0

    init(id: Int64, state: OpaquePointer, reference: Int32) {
        self.id = id
        self.state = state
        self.reference = reference
    }

    var isDone: Bool {
        switch phase {
        case .finished, .failed: true
        case .ready, .suspended: false
        }
    }
}
