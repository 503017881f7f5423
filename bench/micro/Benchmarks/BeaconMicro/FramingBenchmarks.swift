import Benchmark
import EventHub

/// Event data like the trivial plugin's, and one of about 8 KiB.
enum SampleData {
    static let small = Array(#"{"at":1764023410,"load":0.42,"name":"trivial","ok":true,"runs":12345}"#.utf8)
    static let large: [UInt8] = {
        var text = #"{"disks":["#
        for index in 1...82 {
            if index > 1 { text += "," }
            text += #"{"mount":"/srv/data/\#(index)","name":"disk-\#(index)","ok":true,"ratio":0.5,"#
            text += #""total":68719476736,"used":\#(index * 1_048_576)}"#
        }
        text += #"],"host":"bench-host"}"#
        return Array(text.utf8)
    }()
}

func framingBenchmarks() {
    let inner = 1_000
    let id: UInt64 = 1_764_023_410_000_001

    // What EventHub.publish does per event before any subscriber: the chunk header, `id:`,
    // `event:` and `data:` lines around the JSON, in one buffer shared by every subscriber.
    for (label, data) in [("small", SampleData.small), ("\(SampleData.large.count) B", SampleData.large)] {
        Benchmark("SSE frame: \(label) event", configuration: .init(scalingFactor: .kilo)) { benchmark in
            var next = id
            ThreadCPU.measure(benchmark, count: inner) {
                var prepared = SSEEncoder.prepare(event: "trivial", data: data)
                blackHole(SSEEncoder.finish(&prepared, id: next).chunk.readableBytes)
                next += 1
            }
        }
    }

    // The whole publish with nobody subscribed: framing, the id under the hub's lock, history.
    Benchmark("Publish: small event, no subscriber (framing, id, history)", configuration: .init(scalingFactor: .kilo)) {
        benchmark in
        let hub = EventHub(configuration: EventHubConfiguration())
        hub.addStream("trivial")
        benchmark.startMeasurement()
        ThreadCPU.measure(benchmark, count: inner) {
            hub.publish(stream: "trivial", event: "trivial", json: SampleData.small)
        }
    }
}
