import FingerprintCore
import FingerprintStatistics
import Foundation

/// A small SVG chart module for the HTML reports: linear and log scales,
/// "nice" ticks, axes and labels; histograms with marked values, log–log
/// line charts, small multiples of singular-value spectra, horizontal
/// (two-sided) bar charts, column charts, heat maps and dendrograms.
///
/// Output is deterministic (coordinates with two decimals, fixed number
/// formats, no locale) and well-formed XML. Every chart is an `<svg>` with
/// `role="img"`, an `aria-label` and a `<title>`; marks carry `<title>`
/// tooltips. Colours are the Okabe–Ito palette (safe for colour-blind
/// readers) and viridis for heat maps; series differ by dash as well.
package enum SVG {
    /// Okabe–Ito colours.
    public enum Palette {
        public static let blue = "#0072B2"
        public static let vermillion = "#D55E00"
        public static let orange = "#E69F00"
        public static let skyBlue = "#56B4E9"
        public static let green = "#009E73"
        public static let yellow = "#F0E442"
        public static let purple = "#CC79A7"
        public static let black = "#000000"
        public static let grey = "#6B6B6B"
    }

    // MARK: - Number formatting

    /// A coordinate: at most two decimals, trailing zeros dropped, no "-0".
    public static func coord(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        var s = String(format: "%.2f", x)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }

    /// 10^k, exact for |k| ≤ 22 (negative powers are one correctly rounded division).
    public static func pow10(_ k: Int) -> Double {
        var p = 1.0
        for _ in 0..<abs(k) { p *= 10 }
        return k >= 0 ? p : 1 / p
    }

    /// m · 10^k with a single rounding.
    static func scaled(_ m: Double, _ k: Int) -> Double { k >= 0 ? m * pow10(k) : m / pow10(-k) }

    // MARK: - Ticks

    /// A "nice" number near `x` (1, 2 or 5 times a power of ten): the
    /// nearest when `round`, else the smallest not below `x` (Heckbert).
    public static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let e = Int(floor(log10(x)))
        let f = x / pow10(e)
        let nf: Double
        if round {
            nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10
        } else {
            nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
        }
        return scaled(nf, e)
    }

    /// The tick step for about `count` ticks over [lo, hi].
    public static func niceStep(_ lo: Double, _ hi: Double, count: Int = 5) -> Double {
        let range = niceNumber(hi - lo, round: false)
        return niceNumber(range / Double(max(1, count - 1)), round: true)
    }

    /// Decimals needed to print multiples of `step`.
    public static func decimals(_ step: Double) -> Int {
        guard step > 0, step.isFinite else { return 0 }
        return max(0, -Int(floor(log10(step) + 1e-9)))
    }

    static func clean(_ v: Double, decimals d: Int) -> Double {
        let p = pow10(min(d + 1, 22))
        let r = (v * p).rounded() / p
        return r == 0 ? 0 : r
    }

    static func widen(_ lo: Double, _ hi: Double) -> (Double, Double) {
        var lo = lo
        var hi = hi
        if lo > hi { swap(&lo, &hi) }
        if lo == hi {
            let d = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= d
            hi += d
        }
        return (lo, hi)
    }

    /// Nice ticks inside [lo, hi]: multiples of `niceStep(lo, hi, count:)`.
    /// E.g. (0, 1) → 0, 0.2, …, 1; (0.0123, 0.0456) → 0.02, 0.03, 0.04.
    public static func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard lo.isFinite && hi.isFinite else { return [] }
        let (lo, hi) = widen(lo, hi)
        let step = niceStep(lo, hi, count: count)
        let first = (lo / step - 1e-9).rounded(.up)
        let last = (hi / step + 1e-9).rounded(.down)
        guard first <= last else { return [] }
        let d = decimals(step)
        return stride(from: first, through: last, by: 1).map { clean($0 * step, decimals: d) }
    }

    /// [lo, hi] widened outwards to multiples of the nice step, and the step.
    public static func niceDomain(_ lo: Double, _ hi: Double, count: Int = 5) -> (lo: Double, hi: Double, step: Double) {
        guard lo.isFinite && hi.isFinite else { return (0, 1, 0.2) }
        let (lo, hi) = widen(lo, hi)
        let step = niceStep(lo, hi, count: count)
        let d = decimals(step)
        return (
            clean((lo / step + 1e-9).rounded(.down) * step, decimals: d),
            clean((hi / step - 1e-9).rounded(.up) * step, decimals: d), step
        )
    }

    /// A tick label for a multiple of `step`: fixed decimals, thousands
    /// separators for whole numbers of 10,000 and more.
    public static func tickLabel(_ v: Double, step: Double) -> String {
        let d = decimals(step)
        if d == 0 && abs(v) >= 10_000 && abs(v) < 1e15 { return Num.count(Int(v.rounded())) }
        let s = String(format: "%.\(d)f", v == 0 ? 0 : v)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    /// Ticks of a log axis over [lo, hi]: the powers of ten inside; when
    /// fewer than two, also 2 and 5 times powers of ten.
    /// E.g. (1, 5000) → 1, 10, 100, 1000; (2, 30) → 2, 5, 10, 20.
    public static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo > 0, hi >= lo, lo.isFinite, hi.isFinite else { return [] }
        let k0 = Int((log10(lo) - 1e-9).rounded(.up))
        let k1 = Int((log10(hi) + 1e-9).rounded(.down))
        let decades = k0 <= k1 ? (k0...k1).map { pow10($0) } : []
        if decades.count >= 2 { return decades }
        var ticks: [Double] = []
        for k in (k0 - 1)...(max(k0, k1) + 1) {
            for m in [1.0, 2, 5] {
                let v = scaled(m, k)
                if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { ticks.append(v) }
            }
        }
        return ticks
    }

    /// [lo, hi] widened to whole decades.
    public static func logDomain(_ lo: Double, _ hi: Double) -> (lo: Double, hi: Double) {
        guard lo > 0, hi > 0, lo.isFinite, hi.isFinite else { return (1, 10) }
        let a = Int((log10(min(lo, hi)) + 1e-9).rounded(.down))
        let b = Int((log10(max(lo, hi)) - 1e-9).rounded(.up))
        return (pow10(a), pow10(max(b, a + 1)))
    }

    static let superscripts: [Character: Character] = [
        "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻",
    ]

    /// A log-axis label: 0.001 … 10,000 written out, other powers of ten
    /// as 10⁻⁵, 10⁶; 2 and 5 times powers of ten as plain numbers.
    public static func logTickLabel(_ v: Double) -> String {
        guard v > 0, v.isFinite else { return "" }
        let l = log10(v)
        let k = Int(l.rounded())
        if abs(l - Double(k)) < 1e-9 {
            if (0...4).contains(k) { return Num.count(Int(pow10(k))) }
            if (-3...(-1)).contains(k) { return String(format: "%.\(-k)f", v) }
            return "10" + String(String(k).map { superscripts[$0] ?? $0 })
        }
        let e = Int(floor(l + 1e-9))
        if (-3...4).contains(e) {
            return e >= 0 ? Num.count(Int(v.rounded())) : String(format: "%.\(-e)f", v)
        }
        return String(format: "%g", v)
    }

    // MARK: - Scales

    /// Maps [d0, d1] linearly onto [r0, r1].
    public struct LinearScale {
        public var d0: Double, d1: Double, r0: Double, r1: Double
        public init(domain: (Double, Double), range: (Double, Double)) {
            (d0, d1) = domain
            (r0, r1) = range
        }
        public func callAsFunction(_ v: Double) -> Double {
            d1 == d0 ? (r0 + r1) / 2 : r0 + (v - d0) / (d1 - d0) * (r1 - r0)
        }
    }

    /// Maps [d0, d1] (positive) onto [r0, r1] by log10.
    public struct LogScale {
        public var d0: Double, d1: Double, r0: Double, r1: Double
        public init(domain: (Double, Double), range: (Double, Double)) {
            (d0, d1) = domain
            (r0, r1) = range
        }
        public func callAsFunction(_ v: Double) -> Double {
            let a = log10(d0)
            let b = log10(d1)
            guard v > 0, b != a else { return r0 }
            return r0 + (log10(v) - a) / (b - a) * (r1 - r0)
        }
    }

    // MARK: - Colour

    static let viridisStops: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x47, 0x2D, 0x7B), (0x3B, 0x52, 0x8B), (0x2C, 0x72, 0x8E), (0x21, 0x91, 0x8C),
        (0x28, 0xAE, 0x80), (0x5E, 0xC9, 0x62), (0xAD, 0xDC, 0x30), (0xFD, 0xE7, 0x25),
    ]

    /// Viridis at t ∈ [0, 1] (perceptually uniform, colour-blind safe) as #RRGGBB.
    public static func viridis(_ t: Double) -> String {
        let t = t.isFinite ? min(1, max(0, t)) : 0
        let x = t * Double(viridisStops.count - 1)
        let i = min(viridisStops.count - 2, Int(x))
        let f = x - Double(i)
        let a = viridisStops[i]
        let b = viridisStops[i + 1]
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * f).rounded()) }
        return String(format: "#%02X%02X%02X", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    // MARK: - Markup pieces

    static func esc(_ s: String) -> String { HTMLPage.escape(s) }

    /// An SVG root with role, label and title.
    static func root(width: Double, height: Double, label: String, body: String) -> String {
        let w = coord(width)
        let h = coord(height)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" aria-label=\"\(esc(label))\" "
            + "width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
            + "<title>\(esc(label))</title>" + body + "</svg>"
    }

    static func text(_ s: String, x: Double, y: Double, anchor: String = "start", extra: String = "") -> String {
        "<text x=\"\(coord(x))\" y=\"\(coord(y))\" text-anchor=\"\(anchor)\"\(extra.isEmpty ? "" : " " + extra)>\(esc(s))</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, extra: String = "")
        -> String
    {
        "<line x1=\"\(coord(x1))\" y1=\"\(coord(y1))\" x2=\"\(coord(x2))\" y2=\"\(coord(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(coord(width))\"\(extra.isEmpty ? "" : " " + extra)/>"
    }

    /// Approximate width of a label in 12 px sans-serif.
    static func textWidth(_ s: String, size: Double = 12) -> Double { Double(s.count) * size * 0.58 }

    /// A halo behind text drawn over marks.
    static let halo = "stroke=\"#FFFFFF\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\""

    /// A horizontal axis at `y` from `x0` to `x1` with ticks, grid lines up to `gridTop`, and a label.
    static func xAxis(_ ticks: [(Double, String)], y: Double, x0: Double, x1: Double, gridTop: Double?, label: String?) -> String {
        var s = "<g class=\"axis x\">"
        for (x, t) in ticks {
            if let g = gridTop { s += line(x, g, x, y, stroke: "#E3E3E3") }
            s += line(x, y, x, y + 5, stroke: "#333333")
            s += text(t, x: x, y: y + 18, anchor: "middle")
        }
        s += line(x0, y, x1, y, stroke: "#333333")
        if let label { s += text(label, x: (x0 + x1) / 2, y: y + 36, anchor: "middle", extra: "font-weight=\"600\"") }
        return s + "</g>"
    }

    /// A vertical axis at `x` from `y0` (top) to `y1` with ticks, grid lines to `gridRight`, and a rotated label.
    static func yAxis(_ ticks: [(Double, String)], x: Double, y0: Double, y1: Double, gridRight: Double?, label: String?) -> String {
        var s = "<g class=\"axis y\">"
        for (y, t) in ticks {
            if let g = gridRight { s += line(x, y, g, y, stroke: "#E3E3E3") }
            s += line(x - 5, y, x, y, stroke: "#333333")
            s += text(t, x: x - 8, y: y + 4, anchor: "end")
        }
        s += line(x, y0, x, y1, stroke: "#333333")
        if let label {
            let cx = 14.0
            let cy = (y0 + y1) / 2
            s += text(
                label, x: cx, y: cy, anchor: "middle", extra: "font-weight=\"600\" transform=\"rotate(-90 \(coord(cx)) \(coord(cy)))\"")
        }
        return s + "</g>"
    }

    /// A legend entry.
    public struct LegendItem {
        public var name: String
        public var color: String
        public var dashed: Bool
        public var box: Bool
        public init(_ name: String, color: String, dashed: Bool = false, box: Bool = true) {
            self.name = name
            self.color = color
            self.dashed = dashed
            self.box = box
        }
    }

    /// A one-row legend starting at (x, y).
    static func legend(_ items: [LegendItem], x: Double, y: Double) -> String {
        var s = "<g class=\"legend\">"
        var cx = x
        for it in items {
            if it.box {
                s +=
                    "<rect x=\"\(coord(cx))\" y=\"\(coord(y - 9))\" width=\"12\" height=\"12\" fill=\"\(it.color)\" fill-opacity=\"0.75\" stroke=\"\(it.color)\"/>"
            } else {
                s += line(
                    cx - 2, y - 3, cx + 16, y - 3, stroke: it.color, width: it.dashed ? 2 : 2.5,
                    extra: it.dashed ? "stroke-dasharray=\"5 3\"" : "")
            }
            s += text(it.name, x: cx + 20, y: y + 1)
            cx += 20 + textWidth(it.name) + 18
        }
        return s + "</g>"
    }

    // MARK: - Histogram

    /// Values drawn as one histogram series.
    public struct HistogramSeries {
        public var name: String
        public var values: [Double]
        public var color: String
        public init(_ name: String, _ values: [Double], color: String) {
            self.name = name
            self.values = values
            self.color = color
        }
    }

    /// A marked value: a vertical line with a label.
    public struct Marker {
        public var label: String
        public var value: Double
        public var color: String
        public var dashed: Bool
        /// Optional `data-key` (a JSON path) for the marker's `data-value`.
        public var key: String?
        public init(_ label: String, _ value: Double, color: String = Palette.black, dashed: Bool = false, key: String? = nil) {
            self.label = label
            self.value = value
            self.color = color
            self.dashed = dashed
            self.key = key
        }
    }

    /// Counts of `values` in `bins` equal bins over [lo, hi]; values outside
    /// go to the end bins, non-finite values are left out. Bin i is
    /// [lo + i·w, lo + (i+1)·w), the last one closed.
    public static func binCounts(_ values: [Double], lo: Double, hi: Double, bins: Int) -> [Int] {
        var c = [Int](repeating: 0, count: max(1, bins))
        let w = (hi - lo) / Double(c.count)
        for v in values where v.isFinite {
            let i = w > 0 ? Int(((v - lo) / w).rounded(.down)) : 0
            c[min(c.count - 1, max(0, i))] += 1
        }
        return c
    }

    /// The bin layout for a histogram over values spanning [lo, hi]: a nice
    /// domain, with about `target` bins that split its tick intervals evenly.
    public static func histogramBins(lo: Double, hi: Double, target: Int = 30) -> (lo: Double, hi: Double, bins: Int, step: Double) {
        let d = niceDomain(lo, hi, count: 6)
        let intervals = max(1, Int(((d.hi - d.lo) / d.step).rounded()))
        let per = max(1, Int((Double(target) / Double(intervals)).rounded()))
        return (d.lo, d.hi, intervals * per, d.step)
    }

    /// A histogram of one or more series over shared bins, with marked values.
    public static func histogram(
        _ series: [HistogramSeries], markers: [Marker] = [], bins target: Int = 30,
        xLabel: String, yLabel: String = "count", label: String,
        width: Double = 880, height: Double = 320
    ) -> String {
        let all = series.flatMap(\.values).filter(\.isFinite) + markers.map(\.value).filter(\.isFinite)
        let b = histogramBins(lo: all.min() ?? 0, hi: all.max() ?? 1, target: target)
        let counts = series.map { binCounts($0.values, lo: b.lo, hi: b.hi, bins: b.bins) }
        let maxCount = counts.flatMap { $0 }.max() ?? 0
        let yd = niceDomain(0, Double(max(1, maxCount)), count: 5)
        let legendRow = series.count > 1
        let left = 64.0
        let right = 24.0
        let top = legendRow ? 34.0 : 14.0
        let bottom = 48.0
        let sx = LinearScale(domain: (b.lo, b.hi), range: (left, width - right))
        let sy = LinearScale(domain: (0, yd.hi), range: (height - bottom, top))
        var s = ""
        s += yAxis(
            niceTicks(0, yd.hi, count: 5).map { (sy($0), tickLabel($0, step: yd.step)) }, x: left, y0: top, y1: height - bottom,
            gridRight: width - right, label: yLabel)
        let w = (b.hi - b.lo) / Double(b.bins)
        let multi = series.count > 1
        for (k, ser) in series.enumerated() {
            let total = counts[k].reduce(0, +)
            s += "<g class=\"series\" data-series=\"\(esc(ser.name))\" data-total=\"\(total)\">"
            for (i, c) in counts[k].enumerated() where c > 0 {
                let lo = b.lo + Double(i) * w
                let hi = lo + w
                let x0 = sx(lo)
                let x1 = sx(hi)
                let bw = max(1, x1 - x0 - 1)
                s +=
                    "<rect x=\"\(coord(x0 + 0.5))\" y=\"\(coord(sy(Double(c))))\" width=\"\(coord(bw))\" height=\"\(coord(sy(0) - sy(Double(c))))\" "
                    + "fill=\"\(ser.color)\" fill-opacity=\"\(multi ? "0.6" : "0.85")\" data-count=\"\(c)\">"
                    + "<title>\(esc(ser.name)): \(c) in [\(esc(Num.f(lo, 4))), \(esc(Num.f(hi, 4))))</title></rect>"
            }
            s += "</g>"
        }
        s += xAxis(
            niceTicks(b.lo, b.hi, count: 6).map { (sx($0), tickLabel($0, step: b.step)) }, y: height - bottom,
            x0: left, x1: width - right, gridTop: nil, label: xLabel)
        for (i, m) in markers.enumerated() where m.value.isFinite {
            let x = sx(m.value)
            let key = m.key.map { " data-key=\"\(esc($0))\" data-value=\"\(m.value)\"" } ?? ""
            s += "<g class=\"marker\"\(key)><title>\(esc(m.label))</title>"
            s += line(x, top, x, height - bottom, stroke: m.color, width: 2, extra: m.dashed ? "stroke-dasharray=\"6 4\"" : "")
            let ty = top + 14 + 16 * Double(i)
            let toLeft = x > width - right - textWidth(m.label) - 8
            s += text(
                m.label, x: toLeft ? x - 5 : x + 5, y: ty, anchor: toLeft ? "end" : "start",
                extra: "fill=\"\(m.color)\" font-weight=\"600\" \(halo)")
            s += "</g>"
        }
        if legendRow { s += legend(series.map { LegendItem($0.name, color: $0.color) }, x: left + 4, y: 18) }
        return root(width: width, height: height, label: label, body: s)
    }

    // MARK: - Log–log lines

    /// A series of (x, y) points drawn as a line.
    public struct XYSeries {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String
        public var dashed: Bool
        public init(_ name: String, _ points: [(x: Double, y: Double)], color: String, dashed: Bool = false) {
            self.name = name
            self.points = points
            self.color = color
            self.dashed = dashed
        }
    }

    /// Ranks 1…n spaced evenly on a log axis (about `perDecade` a decade, always n).
    public static func logSample(_ n: Int, perDecade: Int = 40) -> [Int] {
        guard n > 0 else { return [] }
        var out: [Int] = []
        var i = 0
        while true {
            let r = Int(pow(10, Double(i) / Double(perDecade)).rounded())
            if r > n { break }
            if out.last != r { out.append(r) }
            i += 1
        }
        if out.last != n { out.append(n) }
        return out
    }

    /// Lines on log–log axes (points with x or y ≤ 0 are left out).
    public static func logLogChart(
        _ series: [XYSeries], xLabel: String, yLabel: String, label: String,
        width: Double = 880, height: Double = 400
    ) -> String {
        let pts = series.flatMap(\.points).filter { $0.x > 0 && $0.y > 0 && $0.x.isFinite && $0.y.isFinite }
        let xd = logDomain(pts.map(\.x).min() ?? 1, pts.map(\.x).max() ?? 10)
        let yd = logDomain(pts.map(\.y).min() ?? 1, pts.map(\.y).max() ?? 10)
        let left = 72.0
        let right = 24.0
        let top = 34.0
        let bottom = 48.0
        let sx = LogScale(domain: (xd.lo, xd.hi), range: (left, width - right))
        let sy = LogScale(domain: (yd.lo, yd.hi), range: (height - bottom, top))
        var s = yAxis(
            logTicks(yd.lo, yd.hi).map { (sy($0), logTickLabel($0)) }, x: left, y0: top, y1: height - bottom,
            gridRight: width - right, label: yLabel)
        s += xAxis(
            logTicks(xd.lo, xd.hi).map { (sx($0), logTickLabel($0)) }, y: height - bottom, x0: left, x1: width - right,
            gridTop: top, label: xLabel)
        for ser in series {
            let p = ser.points.filter { $0.x > 0 && $0.y > 0 && $0.x.isFinite && $0.y.isFinite }
            s += "<g class=\"series\" data-series=\"\(esc(ser.name))\" data-points=\"\(p.count)\"><title>\(esc(ser.name))</title>"
            if p.count == 1 {
                s += "<circle cx=\"\(coord(sx(p[0].x)))\" cy=\"\(coord(sy(p[0].y)))\" r=\"3\" fill=\"\(ser.color)\"/>"
            } else if !p.isEmpty {
                let list = p.map { "\(coord(sx($0.x))),\(coord(sy($0.y)))" }.joined(separator: " ")
                s +=
                    "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"2.25\" stroke-linejoin=\"round\""
                    + (ser.dashed ? " stroke-dasharray=\"7 4\"" : "") + "/>"
            }
            s += "</g>"
        }
        s += legend(series.map { LegendItem($0.name, color: $0.color, dashed: $0.dashed, box: false) }, x: left + 6, y: 18)
        return root(width: width, height: height, label: label, body: s)
    }

    // MARK: - Spectra (small multiples)

    /// One panel of a small-multiples chart of two singular-value spectra.
    public struct SpectrumPanel {
        public var title: String
        /// A short line under the title (e.g. "r 0.9998 · 384 values").
        public var note: String
        /// Singular values of A and B, largest first.
        public var a: [Double]
        public var b: [Double]
        /// JSON paths of the two arrays (`data-array-key` of each series).
        public var keyA: String?
        public var keyB: String?
        public init(title: String, note: String, a: [Double], b: [Double], keyA: String? = nil, keyB: String? = nil) {
            self.title = title
            self.note = note
            self.a = a
            self.b = b
            self.keyA = keyA
            self.keyB = keyB
        }
    }

    /// The 1-based ranks drawn of a spectrum of `count` values: all of them
    /// up to `maxPoints`, else `maxPoints` evenly spaced ranks, first and last included.
    /// E.g. (10, 4) → 1, 4, 7, 10.
    public static func sampledRanks(_ count: Int, maxPoints: Int) -> [Int] {
        guard count > maxPoints, maxPoints >= 2 else { return Array(1...max(1, count)).filter { $0 <= count } }
        var out: [Int] = []
        for j in 0..<maxPoints {
            let r = 1 + Int((Double(j) * Double(count - 1) / Double(maxPoints - 1)).rounded())
            if out.last != r { out.append(r) }
        }
        return out
    }

    /// The (rank, σ) points drawn of a spectrum: the sampled ranks whose
    /// value is positive and at least `floor` times the largest (as in
    /// `Spectrum.correlation`).
    public static func spectrumPoints(_ s: [Double], maxPoints: Int, floor: Double = 1e-10) -> [(rank: Int, value: Double)] {
        guard let top = s.first, top > 0, top.isFinite else { return [] }
        return sampledRanks(s.count, maxPoints: maxPoints).compactMap { r in
            let v = s[r - 1]
            return v > 0 && v.isFinite && v >= top * floor ? (r, v) : nil
        }
    }

    /// Singular-value spectra of A and B overlaid, one small panel per
    /// tensor (rank on a linear axis, σ on a log axis), `columns` panels a
    /// row, a shared legend on top. Each series carries `data-ranks` and
    /// `data-values` (the values drawn, exact) and `data-array-key`.
    public static func spectraGrid(
        _ panels: [SpectrumPanel], names: (a: String, b: String), label: String,
        columns: Int = 3, width: Double = 880, panelHeight: Double = 190, maxPoints: Int = 128
    ) -> String {
        let cols = max(1, min(columns, panels.count))
        let rows = (panels.count + cols - 1) / cols
        let legendH = 30.0
        let pw = width / Double(cols)
        let height = legendH + Double(rows) * panelHeight
        let colors = (Palette.blue, Palette.vermillion)
        var s = legend(
            [
                LegendItem("A: " + names.a, color: colors.0, box: false),
                LegendItem("B: " + names.b, color: colors.1, dashed: true, box: false),
            ],
            x: 10, y: 18)
        for (i, p) in panels.enumerated() {
            let px = Double(i % cols) * pw
            let py = legendH + Double(i / cols) * panelHeight
            let left = px + 54
            let right = px + pw - 12
            let top = py + 36
            let bottom = py + panelHeight - 26
            let pa = spectrumPoints(p.a, maxPoints: maxPoints)
            let pb = spectrumPoints(p.b, maxPoints: maxPoints)
            let values = (pa + pb).map(\.value)
            // A tight log domain (10% beyond the values), not whole decades:
            // spectra often span less than one.
            let lo = (values.min() ?? 1) / 1.1
            let hi = (values.max() ?? 10) * 1.1
            let yd = lo < hi ? (lo: lo, hi: hi) : (lo: lo / 2, hi: hi * 2)
            let maxRank = max(2, (pa + pb).map(\.rank).max() ?? 2)
            let sx = LinearScale(domain: (1, Double(maxRank)), range: (left, right))
            let sy = LogScale(domain: (yd.lo, yd.hi), range: (bottom, top))
            s += "<g class=\"panel\" data-tensor=\"\(esc(p.title))\"><title>\(esc(p.title + " — " + p.note))</title>"
            let chars = max(8, Int((pw - 16) / (11 * 0.58)))
            let shownTitle = p.title.count > chars ? "…" + String(p.title.suffix(chars - 1)) : p.title
            s += text(shownTitle, x: px + 8, y: py + 14, extra: "font-weight=\"600\" font-size=\"11\"")
            s += text(p.note, x: px + 8, y: py + 28, extra: "font-size=\"11\" fill=\"#444444\"")
            var yt = logTicks(yd.lo, yd.hi)
            if yt.count > 5 {
                let every = (yt.count + 4) / 5
                yt = yt.enumerated().filter { $0.offset % every == 0 }.map(\.element)
            }
            s += yAxis(yt.map { (sy($0), logTickLabel($0)) }, x: left, y0: top, y1: bottom, gridRight: right, label: nil)
            // Ranks are whole numbers: no tick between two.
            let xt = niceTicks(1, Double(maxRank), count: 5).filter { $0 >= 1 && $0 == $0.rounded() }
            s += xAxis(xt.map { (sx($0), tickLabel($0, step: 1)) }, y: bottom, x0: left, x1: right, gridTop: nil, label: nil)
            for (k, (pts, key)) in [(pa, p.keyA), (pb, p.keyB)].enumerated() {
                let color = k == 0 ? colors.0 : colors.1
                let name = k == 0 ? "A" : "B"
                s += "<g class=\"series\" data-series=\"\(name)\""
                if let key { s += " data-array-key=\"\(esc(key))\"" }
                s += " data-ranks=\"\(pts.map { String($0.rank) }.joined(separator: " "))\""
                s += " data-values=\"\(pts.map { "\($0.value)" }.joined(separator: " "))\">"
                s += "<title>\(esc("\(name): \(k == 0 ? names.a : names.b), \(p.title)"))</title>"
                if pts.count == 1 {
                    s += "<circle cx=\"\(coord(sx(1)))\" cy=\"\(coord(sy(pts[0].value)))\" r=\"2.5\" fill=\"\(color)\"/>"
                } else if !pts.isEmpty {
                    let list = pts.map { "\(coord(sx(Double($0.rank)))),\(coord(sy($0.value)))" }.joined(separator: " ")
                    s +=
                        "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.75\" stroke-linejoin=\"round\""
                        + (k == 1 ? " stroke-dasharray=\"5 3\"" : "") + "/>"
                }
                s += "</g>"
            }
            s += "</g>"
        }
        return root(width: width, height: height, label: label, body: s)
    }

    // MARK: - Horizontal bars

    /// One bar of a bar chart.
    public struct Bar {
        public var label: String
        public var value: Double
        public var color: String
        public var tooltip: String?
        /// Text at the bar's end (default: the value, 3 significant digits).
        public var valueLabel: String?
        /// Optional `data-key` (a JSON path) for the bar's `data-value`.
        public var key: String?
        public init(_ label: String, _ value: Double, color: String, tooltip: String? = nil, valueLabel: String? = nil, key: String? = nil)
        {
            self.label = label
            self.value = value
            self.color = color
            self.tooltip = tooltip
            self.valueLabel = valueLabel
            self.key = key
        }
    }

    /// Horizontal bars from zero. With negative and positive values the chart
    /// is two-sided: each bar's label sits beside the zero line on the empty side.
    /// - Parameter sideLabels: captions under the negative and the positive side (two-sided charts).
    public static func horizontalBars(
        _ bars: [Bar], xLabel: String, label: String, domain: (Double, Double)? = nil,
        sideLabels: (negative: String, positive: String)? = nil,
        width: Double = 880, barHeight: Double = 20
    ) -> String {
        let values = bars.map(\.value).filter(\.isFinite)
        let twoSided = values.contains { $0 < 0 }
        let d: (lo: Double, hi: Double, step: Double)
        if let domain {
            d = (domain.0, domain.1, niceStep(domain.0, domain.1, count: 6))
        } else {
            d = niceDomain(min(0, values.min() ?? 0), max(0, values.max() ?? 1), count: 6)
        }
        let labelW = min(240, max(40, (bars.map { textWidth($0.label) }.max() ?? 0) + 12))
        let left = twoSided ? 56.0 : labelW
        let right = 56.0
        let top = sideLabels != nil ? 26.0 : 8.0
        let bottom = 48.0
        let height = top + Double(bars.count) * barHeight + bottom
        let sx = LinearScale(domain: (d.lo, d.hi), range: (left, width - right))
        let plotBottom = height - bottom
        var s = xAxis(
            niceTicks(d.lo, d.hi, count: 6).map { (sx($0), tickLabel($0, step: d.step)) }, y: plotBottom,
            x0: left, x1: width - right, gridTop: top, label: xLabel)
        let zero = sx(0)
        for (i, b) in bars.enumerated() {
            let y = top + Double(i) * barHeight
            let v = b.value.isFinite ? b.value : 0
            let x0 = min(zero, sx(v))
            let x1 = max(zero, sx(v))
            let key = b.key.map { " data-key=\"\(esc($0))\" data-value=\"\(b.value)\"" } ?? ""
            s += "<g class=\"bar\"><title>\(esc(b.tooltip ?? "\(b.label): \(Num.f(b.value, 4))"))</title>"
            s +=
                "<rect x=\"\(coord(x0))\" y=\"\(coord(y + 2))\" width=\"\(coord(max(0.5, x1 - x0)))\" height=\"\(coord(barHeight - 4))\" fill=\"\(b.color)\"\(key)/>"
            let ty = y + barHeight / 2 + 4
            let vl = b.valueLabel ?? Num.f(b.value, 3)
            if twoSided {
                s += text(b.label, x: v >= 0 ? zero - 6 : zero + 6, y: ty, anchor: v >= 0 ? "end" : "start")
                s += text(
                    vl, x: v >= 0 ? x1 + 4 : x0 - 4, y: ty, anchor: v >= 0 ? "start" : "end", extra: "fill=\"#444444\" font-size=\"11\"")
            } else {
                s += text(b.label, x: left - 6, y: ty, anchor: "end")
                s += text(vl, x: x1 + 4, y: ty, anchor: "start", extra: "fill=\"#444444\" font-size=\"11\"")
            }
            s += "</g>"
        }
        s += line(zero, top, zero, plotBottom, stroke: "#333333", width: 1.25)
        if let sl = sideLabels {
            s += text("← " + sl.negative, x: zero - 8, y: 16, anchor: "end", extra: "font-weight=\"600\" fill=\"#444444\"")
            s += text(sl.positive + " →", x: zero + 8, y: 16, anchor: "start", extra: "font-weight=\"600\" fill=\"#444444\"")
        }
        return root(width: width, height: height, label: label, body: s)
    }

    // MARK: - Columns

    /// One column of a column chart (categories along x).
    public struct Column {
        public var label: String
        public var value: Double
        public var tooltip: String?
        public var key: String?
        public init(_ label: String, _ value: Double, tooltip: String? = nil, key: String? = nil) {
            self.label = label
            self.value = value
            self.tooltip = tooltip
            self.key = key
        }
    }

    /// Vertical columns for categories (e.g. cluster sizes), values on top.
    public static func columns(
        _ cols: [Column], xLabel: String, yLabel: String, label: String, color: String = Palette.blue,
        width: Double = 880, height: Double = 300
    ) -> String {
        let maxV = cols.map(\.value).filter(\.isFinite).max() ?? 1
        let yd = niceDomain(0, max(1, maxV * 1.08), count: 5)  // headroom for the value labels
        let left = 64.0
        let right = 16.0
        let top = 20.0
        let bottom = 48.0
        let sy = LinearScale(domain: (0, yd.hi), range: (height - bottom, top))
        let band = (width - left - right) / Double(max(1, cols.count))
        let every = max(1, Int((36 / band).rounded(.up)))
        var s = yAxis(
            niceTicks(0, yd.hi, count: 5).map { (sy($0), tickLabel($0, step: yd.step)) }, x: left, y0: top,
            y1: height - bottom, gridRight: width - right, label: yLabel)
        for (i, c) in cols.enumerated() {
            let x = left + Double(i) * band
            let bw = max(1, min(72, band * 0.78))
            let key = c.key.map { " data-key=\"\(esc($0))\" data-value=\"\(c.value)\"" } ?? ""
            s += "<g class=\"column\"><title>\(esc(c.tooltip ?? "\(c.label): \(Num.f(c.value, 4))"))</title>"
            s +=
                "<rect x=\"\(coord(x + (band - bw) / 2))\" y=\"\(coord(sy(c.value)))\" width=\"\(coord(bw))\" height=\"\(coord(sy(0) - sy(c.value)))\" fill=\"\(color)\" data-label=\"\(esc(c.label))\" data-count=\"\(c.value)\"\(key)/>"
            let shown = c.value == c.value.rounded() && abs(c.value) < 1e15 ? Num.count(Int(c.value)) : Num.f(c.value, 4)
            if band >= 18 {
                s += text(shown, x: x + band / 2, y: sy(c.value) - 4, anchor: "middle", extra: "font-size=\"11\" fill=\"#444444\"")
            }
            if i % every == 0 { s += text(c.label, x: x + band / 2, y: height - bottom + 18, anchor: "middle") }
            s += "</g>"
        }
        s += line(left, height - bottom, width - right, height - bottom, stroke: "#333333")
        s += text(xLabel, x: (left + width - right) / 2, y: height - bottom + 36, anchor: "middle", extra: "font-weight=\"600\"")
        return root(width: width, height: height, label: label, body: s)
    }

    // MARK: - Dendrogram

    /// Elbow paths of an average-linkage dendrogram: leaves (in `order`) at
    /// x = `leafX` and y = `leafY(position)`, the root toward `rootX`; a
    /// merge's x is proportional to its distance. No text.
    static func dendrogramPaths(
        _ merges: [AverageLinkage.Merge], order: [Int], leafY: (Int) -> Double,
        leafX: Double, rootX: Double, color: String = "#333333"
    ) -> String {
        let n = order.count
        guard n > 1, merges.count == n - 1 else { return "" }
        let maxD = merges.map(\.distance).filter(\.isFinite).max() ?? 0
        var pos = [(x: Double, y: Double)](repeating: (leafX, 0), count: n + merges.count)
        for (p, leaf) in order.enumerated() where leaf < n { pos[leaf] = (leafX, leafY(p)) }
        var s = "<g class=\"dendrogram\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\">"
        for (i, m) in merges.enumerated() {
            guard m.left < n + i, m.right < n + i else { continue }
            let l = pos[m.left]
            let r = pos[m.right]
            let f = maxD > 0 ? m.distance / maxD : 1
            let x = leafX - f * (leafX - rootX)
            pos[n + i] = (x, (l.y + r.y) / 2)
            s +=
                "<path d=\"M\(coord(l.x)) \(coord(l.y))H\(coord(x))V\(coord(r.y))H\(coord(r.x))\" data-distance=\"\(m.distance)\">"
                + "<title>merge \(i + 1): distance \(esc(Num.f(m.distance, 4))), \(m.size) items</title></path>"
        }
        return s + "</g>"
    }

    /// A stand-alone text-free dendrogram, leaves top to bottom in `order`.
    public static func dendrogram(
        _ merges: [AverageLinkage.Merge], order: [Int], label: String,
        width: Double = 200, rowHeight: Double = 24
    ) -> String {
        let height = Double(order.count) * rowHeight
        let body = dendrogramPaths(merges, order: order, leafY: { (Double($0) + 0.5) * rowHeight }, leafX: width - 4, rootX: 4)
        return root(width: width, height: max(height, rowHeight), label: label, body: body)
    }

    // MARK: - Heat map

    /// A square matrix as a heat map, rows and columns in `order`, with
    /// labels, a stepped colour legend, values in cells when they fit, and
    /// optionally the dendrogram of `merges` beside the rows.
    /// - Parameters:
    ///   - keyPrefix: cells get `data-key="PREFIX.i.j"` (original indices) and `data-value`.
    ///   - reversed: dark for high values instead of low.
    public static func heatMap(
        _ matrix: [[Double]], labels: [String], order: [Int], label: String, legendTitle: String,
        domain: (Double, Double)? = nil, keyPrefix: String? = nil,
        merges: [AverageLinkage.Merge]? = nil, reversed: Bool = false,
        digits: Int = 3
    ) -> String {
        let n = order.count
        let finite = order.flatMap { i in order.map { matrix[i][$0] } }.filter(\.isFinite)
        let lo = domain?.0 ?? (finite.min() ?? 0)
        let hi = domain?.1 ?? (finite.max() ?? 1)
        let cell = min(48, max(14, 560 / Double(max(1, n))))
        let maxLabel = labels.map { textWidth($0) }.max() ?? 0
        let dendroW = merges != nil && n > 1 ? 120.0 : 0
        let labelW = min(220, maxLabel + 14)
        let colH = min(170, maxLabel * 0.72 + 24)
        let gx = 8 + dendroW + labelW
        let gy = colH
        let legendX = gx + Double(n) * cell + 24
        let width = legendX + 90
        let height = gy + Double(n) * cell + 16
        func t(_ v: Double) -> Double {
            let x = hi > lo ? (v - lo) / (hi - lo) : 0.5
            return reversed ? 1 - x : x
        }
        var s = ""
        for (c, j) in order.enumerated() {
            let x = gx + (Double(c) + 0.5) * cell
            let y = gy - 6
            s += text(labels[j], x: x, y: y, extra: "transform=\"rotate(-45 \(coord(x)) \(coord(y)))\"")
        }
        for (r, i) in order.enumerated() {
            let y = gy + Double(r) * cell
            s += text(labels[i], x: gx - 6, y: y + cell / 2 + 4, anchor: "end")
            for (c, j) in order.enumerated() {
                let v = matrix[i][j]
                let tv = t(v)
                let key = keyPrefix.map { " data-key=\"\(esc($0)).\(i).\(j)\" data-value=\"\(v)\"" } ?? ""
                s +=
                    "<rect x=\"\(coord(gx + Double(c) * cell))\" y=\"\(coord(y))\" width=\"\(coord(cell))\" height=\"\(coord(cell))\" "
                    + "fill=\"\(v.isFinite ? viridis(tv) : "#BBBBBB")\" stroke=\"#FFFFFF\" stroke-width=\"1\"\(key)>"
                    + "<title>\(esc(labels[i])) × \(esc(labels[j])): \(esc(Num.f(v, 4)))</title></rect>"
                if cell >= 34 && v.isFinite {
                    s += text(
                        String(format: "%.\(digits)f", v), x: gx + (Double(c) + 0.5) * cell, y: y + cell / 2 + 4, anchor: "middle",
                        extra: "font-size=\"10\" fill=\"\(tv < 0.62 ? "#FFFFFF" : "#000000")\" pointer-events=\"none\"")
                }
            }
        }
        if let merges, n > 1 {
            s += dendrogramPaths(merges, order: order, leafY: { gy + (Double($0) + 0.5) * cell }, leafX: 8 + dendroW - 4, rootX: 8)
        }
        // Stepped legend: high at the top.
        let steps = 24
        let lh = Double(n) * cell
        s += "<g class=\"legend\">"
        s += text(legendTitle, x: legendX, y: gy - 10, extra: "font-weight=\"600\"")
        for k in 0..<steps {
            let v = hi - (hi - lo) * (Double(k) + 0.5) / Double(steps)
            s +=
                "<rect x=\"\(coord(legendX))\" y=\"\(coord(gy + lh * Double(k) / Double(steps)))\" width=\"14\" height=\"\(coord(lh / Double(steps) + 0.5))\" fill=\"\(viridis(t(v)))\"/>"
        }
        let ls = LinearScale(domain: (lo, hi), range: (gy + lh, gy))
        let step = niceStep(lo, hi, count: 5)
        for v in niceTicks(lo, hi, count: 5) {
            s += line(legendX + 14, ls(v), legendX + 18, ls(v), stroke: "#333333")
            s += text(tickLabel(v, step: step), x: legendX + 21, y: ls(v) + 4)
        }
        s += "</g>"
        return root(width: width, height: height, label: label, body: s)
    }
}
