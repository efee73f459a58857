import Foundation

/// Nearest-rank percentiles of a sample: p(q) is the smallest value with at least q% of the
/// sample at or below it — an actually observed value, never an interpolation.
struct Percentiles {
    let sorted: [Double]

    init(_ values: [Double]) {
        sorted = values.sorted()
    }

    func p(_ percent: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    var min: Double { sorted.first ?? .nan }
    var max: Double { sorted.last ?? .nan }
    var mean: Double { sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count) }
}

/// `value` with `digits` decimals, "n/a" for NaN (an empty sample).
func fixed(_ value: Double, _ digits: Int = 2) -> String {
    value.isFinite ? String(format: "%.\(digits)f", value) : "n/a"
}
