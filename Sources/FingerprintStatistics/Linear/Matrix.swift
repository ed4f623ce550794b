import FingerprintCore

/// A dense row-major matrix that owns its storage.
///
/// Row-major throughout: element (i, j) is `storage[i * cols + j]`, and
/// every BLAS/LAPACK call is made with `CblasRowMajor`/`LAPACK_ROW_MAJOR`.
public struct Matrix<Element: BLASScalar>: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    public var storage: [Element]

    /// A `rows × cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Element = 0) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        storage = Array(repeating: value, count: rows * cols)
    }

    /// Wraps row-major `storage` (count must be rows × cols).
    public init(rows: Int, cols: Int, storage: [Element]) {
        precondition(storage.count == rows * cols, "storage has \(storage.count) elements, expected \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from nested rows (all of the same length).
    public init(_ nested: [[Element]]) {
        let c = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == c }, "rows of different lengths")
        rows = nested.count
        cols = c
        storage = nested.flatMap { $0 }
    }

    /// The identity of order n.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    @inline(__always)
    public subscript(i: Int, j: Int) -> Element {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    /// Row i as an array.
    public func row(_ i: Int) -> [Element] { Array(storage[i * cols..<(i + 1) * cols]) }

    /// The transpose (a copy).
    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t[j, i] = self[i, j] } }
        return t
    }

    /// Columns `range` as a new matrix.
    public func columns(_ range: Range<Int>) -> Matrix {
        var m = Matrix(rows: rows, cols: range.count)
        for i in 0..<rows { for (k, j) in range.enumerated() { m[i, k] = self[i, j] } }
        return m
    }
}
