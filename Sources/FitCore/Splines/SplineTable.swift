/// The coefficients of a piecewise-cubic spline in 1, 2 or 3 dimensions, in Gpufit's layout: the
/// template that the spline models (`spline1d`, `spline2d`, `spline3d`; Gpufit's SPLINE_1D to
/// SPLINE_3D) shift, scale and lift onto a baseline.
///
/// Interval (i, j, k) covers [i, i+1) x [j, j+1) x [k, k+1) in the spline's own units (one pixel
/// along x and y, one z step along z); inside it the spline is
///     S(i + u, j + v, k + w) = sum over a, b, c in 0...3 of C[i, j, k][a, b, c] u^a v^b w^c,
/// its 4^dimensions coefficients stored together, a (x order) slowest, c fastest; intervals are
/// stored x slowest (i * ny * nz + j * nz + k), as Gpufit's models read them. Outside the
/// intervals the first or last interval's polynomial goes on (extrapolation), as in Gpufit.
///
/// The storage is a class owning aligned copies in Float and Double, so a model built once per
/// pass reads the coefficients through a pointer in its lanes' precision.
public final class SplineTable: @unchecked Sendable, Equatable {
    /// 1, 2 or 3.
    public let dimensions: Int
    /// Intervals along x, y, z (1 along the axes the spline does not have).
    public let intervals: (x: Int, y: Int, z: Int)
    /// For a 3D spline fitted to a stack of z slices (data of width x (height x slices)): the rows
    /// of one slice, so that row r is row r mod `sliceHeight` of slice r / `sliceHeight`. Nil: one
    /// slice (z index 0 for every point), or a 1D/2D spline.
    public let sliceHeight: Int?
    /// Every coefficient, in Gpufit's order.
    public let coefficients: [Double]
    public let doubleStorage: UnsafeMutablePointer<Double>
    public let floatStorage: UnsafeMutablePointer<Float>

    /// Coefficients per interval: 4, 16 or 64.
    public var coefficientsPerInterval: Int { 1 << (2 * dimensions) }
    public var intervalCount: Int { intervals.x * intervals.y * intervals.z }

    /// Checks the sizes against the coefficient count.
    public init(dimensions: Int, intervals: [Int], coefficients: [Double], sliceHeight: Int? = nil) throws {
        guard (1...3).contains(dimensions) else {
            throw FitError.invalidBatch("a spline has 1, 2 or 3 dimensions (got \(dimensions))")
        }
        guard intervals.count == dimensions, intervals.allSatisfy({ $0 >= 1 }) else {
            throw FitError.invalidBatch("a \(dimensions)D spline needs \(dimensions) interval counts of at least 1 (got \(intervals))")
        }
        let padded = intervals + [Int](repeating: 1, count: 3 - dimensions)
        let per = 1 << (2 * dimensions)
        var count = per
        for n in padded {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw FitError.invalidBatch("a spline of \(intervals) intervals is too large") }
            count = product
        }
        guard count == coefficients.count else {
            throw FitError.invalidBatch("a \(dimensions)D spline of \(intervals.map(String.init).joined(separator: " x ")) intervals has \(count) coefficients (\(per) per interval), not \(coefficients.count)")
        }
        guard coefficients.allSatisfy(\.isFinite) else {
            let first = coefficients.firstIndex { !$0.isFinite }!
            throw FitError.invalidBatch("spline coefficient \(first) (interval \(first / per), term \(first % per)) is \(coefficients[first]); every coefficient must be a finite number")
        }
        if let h = sliceHeight {
            guard dimensions == 3, h >= 1 else { throw FitError.invalidBatch("a slice height belongs to a 3D spline and is at least 1 (got \(h))") }
        }
        self.dimensions = dimensions
        self.intervals = (padded[0], padded[1], padded[2])
        self.sliceHeight = sliceHeight
        self.coefficients = coefficients
        doubleStorage = .allocate(capacity: max(count, 1))
        floatStorage = .allocate(capacity: max(count, 1))
        for (i, c) in coefficients.enumerated() { doubleStorage[i] = c; floatStorage[i] = Float(c) }
    }

    deinit { doubleStorage.deallocate(); floatStorage.deallocate() }

    /// The coefficients in the precision `Scalar` (Float or Double).
    @inlinable
    public func storage<Scalar: BinaryFloatingPoint>(_ type: Scalar.Type) -> UnsafePointer<Scalar> {
        if Scalar.self == Float.self { return UnsafeRawPointer(floatStorage).assumingMemoryBound(to: Scalar.self) }
        return UnsafeRawPointer(doubleStorage).assumingMemoryBound(to: Scalar.self)
    }

    public static func == (a: SplineTable, b: SplineTable) -> Bool {
        a.dimensions == b.dimensions && a.intervals == b.intervals && a.sliceHeight == b.sliceHeight && a.coefficients == b.coefficients
    }
}
