/// The routing fuzz target: raw bytes from a client, served by a connection's real pipeline in
/// every ``RoutingScenario``, then judged by ``RoutingInvariants``.
public enum RoutingFuzz {
    /// Serves `input` in every scenario; throws the first broken invariant.
    public static func check(_ input: [UInt8]) throws(FuzzViolation) {
        for scenario in RoutingScenario.all {
            do {
                try self.serve(input, scenario)
            } catch {
                throw FuzzViolation("[\(scenario.name)] \(error.message)")
            }
        }
    }

    private static func serve(_ input: [UInt8], _ scenario: RoutingScenario) throws(FuzzViolation) {
        let connection = try RoutingConnection(scenario)
        let invariants = RoutingInvariants(scenario: scenario, input: input)
        for read in scenario.reads(of: input) {
            let open = connection.receive(read)
            try invariants.checkSubscriptions(connection)
            if !open { break }
        }
        connection.afterInput()
        try invariants.checkSubscriptions(connection)
        connection.close()
        try invariants.checkLookups(connection.status.askedNames)
        let responses = try ResponseScanner.responses(in: connection.output)
        try invariants.check(responses)
        if connection.hub.subscriberCount != 0 {
            throw FuzzViolation("\(connection.hub.subscriberCount) subscriber(s) left after the connection closed")
        }
    }
}
