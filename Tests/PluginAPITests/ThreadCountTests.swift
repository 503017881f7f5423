import Dispatch
import Foundation
import LuaKit
import PluginAPI
import Synchronization
import Testing

extension HostFunctionTests {
    /// Many calls waiting at once hold no thread each: the process's thread count stays within a
    /// small constant of what it was while all of them wait together. Each call is made from its own
    /// serial queue, and those queues share two target queues, as plugin queues share a few queues
    /// sized to the cores: an implementation that blocked its caller would let at most two wait at
    /// once.
    @Suite("waiting costs no thread", .serialized)
    struct ThreadCountTests {
        /// The most threads the process may add while the calls wait (Dispatch's own workers, the
        /// event loop, the exec queue, and whatever parallel tests start meanwhile).
        static let allowance = 24

        @Test("200 http.get calls to a slow server at once")
        func http() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let functions = PluginAPI.hostFunctions(configuration: .init(maxConnectionsPerHost: 256))
            _ = await Host.values("http.get", [.string(server.url("/ok"))], functions: functions)  // the clients exist from here on
            let outcome = try await Self.measure(calls: 200) {
                Host.start("http.get", [.string(server.url("/slow?ms=1000"))], functions: functions)
            }
            print("200 http.get of 1 s at once: threads \(outcome.before) before, \(outcome.peak) at peak; "
                + "server connections at peak \(server.connections.peak)")
            #expect(outcome.answers.allSatisfy { $0.first?["status"] == .integer(200) })
            #expect(outcome.answers.count == 200)
            #expect(server.connections.peak == 200, "the requests did not all wait at once")
            #expect(outcome.peak - outcome.before <= Self.allowance)
        }

        @Test("50 children sleeping at once")
        func exec() async throws {
            _ = await Host.values("exec", [.array(["true"])])
            let childrenBefore = Set(ProcessProbe.children())
            let outcome = try await Self.measure(calls: 50) {
                Host.start("exec", [.array(["sleep", "1.5"])])
            } whileWaiting: {
                ProcessProbe.children().filter { !childrenBefore.contains($0) && ProcessProbe.commandLine($0) == "sleep 1.5" }.count
            }
            print("50 exec of sleep 1.5 at once: threads \(outcome.before) before, \(outcome.peak) at peak; "
                + "children at once \(outcome.peakWaiting)")
            #expect(outcome.peakWaiting == 50, "the children did not all run at once")
            #expect(outcome.answers.count == 50)
            #expect(outcome.answers.allSatisfy { $0.first?["code"] == .integer(0) })
            #expect(outcome.peak - outcome.before <= Self.allowance)
        }

        struct Outcome {
            var before: Int
            var peak: Int
            var answers: [[LuaValue]]
            /// The most that `whileWaiting` counted at once.
            var peakWaiting = 0
        }

        /// Starts `calls` calls, each from a serial queue of its own, samples the thread count every
        /// 20 ms until every one has answered (at most 30 s), and returns the answers.
        static func measure(
            calls: Int, _ start: @escaping @Sendable () -> LuaPendingCall?,
            whileWaiting count: @escaping @Sendable () -> Int = { 0 }
        ) async throws -> Outcome {
            let before = ProcessProbe.threadCount()
            let peak = Mutex((threads: before, waiting: 0))
            let sampler = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "thread-sampler"))
            sampler.schedule(deadline: .now(), repeating: .milliseconds(20))
            sampler.setEventHandler {
                let sample = (threads: ProcessProbe.threadCount(), waiting: count())
                peak.withLock { $0 = (max($0.threads, sample.threads), max($0.waiting, sample.waiting)) }
            }
            sampler.activate()
            defer { sampler.cancel() }

            let end = LuaDeadline.after(seconds: 30)
            let pending = Mutex<[LuaPendingCall]>([])
            let group = DispatchGroup()
            let targets = [DispatchQueue(label: "checks-0"), DispatchQueue(label: "checks-1")]
            for index in 0..<calls {
                DispatchQueue(label: "plugin-\(index)", target: targets[index % 2]).async(group: group) {
                    if let call = start() { pending.withLock { $0.append(call) } }
                }
            }
            await withCheckedContinuation { continuation in
                DispatchQueue(label: "start-wait").async {
                    _ = group.wait(timeout: .now() + 30)
                    continuation.resume()
                }
            }
            let started = pending.withLock { $0 }
            try #require(started.count == calls)
            let answers = await Host.answers(started, within: max(0, end.secondsRemaining))
            let peaks = peak.withLock { $0 }
            return Outcome(before: before, peak: peaks.threads, answers: answers, peakWaiting: peaks.waiting)
        }
    }
}
