import Dispatch
import Foundation
import PluginHost
import Synchronization

/// `beacon check FILE.lua --watch`: runs the check now and again after every save, until
/// SIGINT (Ctrl-C) or SIGTERM. The file is looked at every 250 ms (size, time and inode, so
/// no inotify is needed and a file replaced by rename is followed). A run in progress finishes
/// first (its timeout bounds it); a second Ctrl-C exits at once.
struct CheckWatch {
    let file: String
    let configuration: PluginHostConfiguration
    var interval: Double = 0.25

    private static let interrupts = Atomic<Int>(0)

    func run() {
        let sources = Self.watchInterrupts()
        defer { withExtendedLifetime(sources) {} }

        print("watching \(file) (Ctrl-C to stop)")
        fflush(nil)
        var stamp = FileStamp(path: file)
        _ = Check.runOnce(file: file, configuration: configuration)
        while Self.interrupts.load(ordering: .relaxed) == 0 {
            usleep(useconds_t(interval * 1_000_000))
            let now = FileStamp(path: file)
            guard now != stamp, Self.interrupts.load(ordering: .relaxed) == 0 else { continue }
            stamp = now
            print("")
            if now == nil {
                print("--- \(file) is gone (\(Self.clock())); waiting for it")
                fflush(nil)
                continue
            }
            print("--- \(file) changed (\(Self.clock()))")
            fflush(nil)
            _ = Check.runOnce(file: file, configuration: configuration)
        }
        print("stopped watching \(file)")
        fflush(nil)
    }

    /// SIGINT and SIGTERM set the flag the loop reads; a second one exits at once.
    private static func watchInterrupts() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if interrupts.add(1, ordering: .relaxed).newValue > 1 { _exit(130) }
            }
            source.resume()
            return source
        }
    }

    /// The local time of day, `14:03:07`.
    private static func clock() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        return [parts.tm_hour, parts.tm_min, parts.tm_sec].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
    }
}
