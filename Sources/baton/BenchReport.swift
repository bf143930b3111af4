import BatonModel

/// Everything `baton bench` measured in one run: the result of each load and the raw log
/// baseline, as a table, JSON, and (for a sweep) an SVG chart of latency against rate.
struct BenchReport {
    let results: [BenchResult]
    let baseline: BenchBaseline?
    let sweep: Bool

    var table: String {
        var lines: [String] = []
        if sweep {
            lines.append("sweep (\(results.first?.backend ?? "")): offered rate -> achieved, start -> end latency")
            lines.append("  rate/s   instances/s   p50 ms   p99 ms   p99.9 ms   max ms   CPU µs/instance")
            for result in results {
                lines.append("  " + [
                    String(result.rate ?? 0).leftPadded(6), BenchFormat.grouped(result.instancesPerSecond).leftPadded(13),
                    String(result.latency(0.5)).leftPadded(8), String(result.latency(0.99)).leftPadded(8),
                    String(result.latency(0.999)).leftPadded(10), String(result.journal.latencies.last ?? 0).leftPadded(8),
                    BenchFormat.decimal(result.cpuMicrosecondsPerInstance, 0).leftPadded(17),
                ].joined(separator: " "))
            }
        } else if let result = results.first {
            lines.append(result.table)
        }
        if let baseline, let result = results.max(by: { $0.messagesPerSecond < $1.messagesPerSecond }) {
            lines.append("  raw log          \(BenchFormat.grouped(baseline.messagesPerSecond)) messages/s, \(BenchFormat.grouped(baseline.bytesPerSecond / 1024)) KiB/s appended and read back (the same log client and partitions, \(baseline.messageBytes)-byte messages enqueued \(baseline.batch) at a time, one flush)")
            lines.append("  ratio to raw     messages/s \(BenchFormat.decimal(result.messagesPerSecond / baseline.messagesPerSecond, 2)), bytes/s \(BenchFormat.decimal(result.bytesPerSecond / baseline.bytesPerSecond, 2)) (journal messages and bytes of the \(sweep ? "busiest load" : "load"))")
        }
        return lines.joined(separator: "\n")
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["results": .array(results.map(\.json))]
        if let baseline {
            object["baseline"] = .object([
                "messages": .number(Double(baseline.messages)), "messageBytes": .number(Double(baseline.messageBytes)),
                "batch": .number(Double(baseline.batch)), "seconds": .number(baseline.seconds),
                "messagesPerSecond": .number(baseline.messagesPerSecond), "bytesPerSecond": .number(baseline.bytesPerSecond),
            ])
            if let result = results.max(by: { $0.messagesPerSecond < $1.messagesPerSecond }) {
                object["ratioToBaseline"] = .object([
                    "messagesPerSecond": .number(result.messagesPerSecond / baseline.messagesPerSecond),
                    "bytesPerSecond": .number(result.bytesPerSecond / baseline.bytesPerSecond),
                ])
            }
        }
        return .object(object)
    }

    /// Latency (p50, p99, max; left axis, ms) and achieved instances/s (right axis) against
    /// the offered rate, one point per load of the sweep.
    var svg: String {
        let width = 720.0, height = 420.0, left = 70.0, right = 70.0, top = 40.0, bottom = 60.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let rates = results.map { Double($0.rate ?? 0) }
        let maxRate = max(1, rates.max() ?? 1)
        let maxLatency = max(1, Double(results.map { $0.journal.latencies.last ?? 0 }.max() ?? 1))
        let maxAchieved = max(1, results.map(\.instancesPerSecond).max() ?? 1, maxRate)
        func x(_ rate: Double) -> Double { left + rate / maxRate * plotWidth }
        func y(_ value: Double, _ scale: Double) -> Double { BenchReport.round(top + plotHeight - value / scale * plotHeight) }
        func line(_ values: [Double], _ scale: Double, _ color: String, _ dash: String = "") -> String {
            let points = zip(rates, values).map { "\(Self.round(x($0))),\(y($1, scale))" }.joined(separator: " ")
            let dots = zip(rates, values).map { "<circle cx=\"\(Self.round(x($0)))\" cy=\"\(y($1, scale))\" r=\"3\" fill=\"\(color)\"/>" }.joined()
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"") points=\"\(points)\"/>\(dots)"
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        svg += "<text x=\"\(Int(left))\" y=\"22\" font-size=\"14\">\(Self.escaped("baton bench: \(results.first?.processId ?? "") on \(results.first?.backend ?? ""), start → end latency and throughput by offered rate"))</text>"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" stroke=\"black\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" stroke=\"black\"/>"
        svg += "<line x1=\"\(left + plotWidth)\" y1=\"\(top)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" stroke=\"black\"/>"
        for step in 0...4 {
            let fraction = Double(step) / 4
            let yPosition = Self.round(top + plotHeight - fraction * plotHeight)
            svg += "<line x1=\"\(left)\" y1=\"\(yPosition)\" x2=\"\(left + plotWidth)\" y2=\"\(yPosition)\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(yPosition + 4)\" text-anchor=\"end\">\(Int((fraction * maxLatency).rounded()))</text>"
            svg += "<text x=\"\(left + plotWidth + 6)\" y=\"\(yPosition + 4)\">\(Int((fraction * maxAchieved).rounded()))</text>"
        }
        for rate in rates {
            svg += "<text x=\"\(Self.round(x(rate)))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(Int(rate))</text>"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 14)\" text-anchor=\"middle\">offered rate, instances/s</text>"
        svg += "<text x=\"16\" y=\"\(top + plotHeight / 2)\" transform=\"rotate(-90 16 \(top + plotHeight / 2))\" text-anchor=\"middle\">latency, ms</text>"
        svg += "<text x=\"\(width - 12)\" y=\"\(top + plotHeight / 2)\" transform=\"rotate(90 \(width - 12) \(top + plotHeight / 2))\" text-anchor=\"middle\">achieved instances/s</text>"
        svg += line(results.map { Double($0.latency(0.5)) }, maxLatency, "#1f77b4")
        svg += line(results.map { Double($0.latency(0.99)) }, maxLatency, "#d62728")
        svg += line(results.map { Double($0.journal.latencies.last ?? 0) }, maxLatency, "#ff7f0e", "2,3")
        svg += line(results.map(\.instancesPerSecond), maxAchieved, "#2ca02c", "6,4")
        let legend: [(String, String)] = [("#1f77b4", "p50 latency"), ("#d62728", "p99 latency"), ("#ff7f0e", "max latency"), ("#2ca02c", "achieved instances/s (right axis)")]
        for (index, (color, label)) in legend.enumerated() {
            let xPosition = left + 10 + Double(index) * 150
            svg += "<rect x=\"\(xPosition)\" y=\"\(top + 6)\" width=\"12\" height=\"4\" fill=\"\(color)\"/><text x=\"\(xPosition + 16)\" y=\"\(top + 12)\">\(label)</text>"
        }
        return svg + "</svg>\n"
    }

    static func round(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The chart's path beside `output`: `results.json` → `results.svg`.
    static func chartPath(_ output: String) -> String {
        (output.hasSuffix(".json") ? String(output.dropLast(5)) : output) + ".svg"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
