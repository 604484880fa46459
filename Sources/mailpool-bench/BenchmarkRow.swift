/// One line of a benchmark table: the plain-C baseline and mailpool, in operations per second.
struct BenchmarkRow {
    let name: String
    let baseline: Double
    let swift: Double

    static func print(_ rows: [BenchmarkRow], title: String) {
        Swift.print(title)
        let width = max(34, rows.map(\.name.count).max() ?? 0)
        Swift.print(pad("operation", width) + " | rabbitmq-c msg/s | mailpool msg/s | mailpool/C")
        Swift.print(String(repeating: "-", count: width) + "-|------------------|----------------|-----------")
        for row in rows {
            let ratio = row.baseline > 0 ? String(format2: row.swift / row.baseline) : "n/a"
            Swift.print(pad(row.name, width) + " | " + pad(whole(row.baseline), 16, right: true)
                        + " | " + pad(whole(row.swift), 14, right: true) + " | " + pad(ratio, 10, right: true))
        }
    }

    private static func whole(_ value: Double) -> String {
        value < 0 ? "failed (\(Int(value)))" : String(Int(value.rounded()))
    }

    private static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}

extension String {
    /// Two decimals, without Foundation's formatter.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
