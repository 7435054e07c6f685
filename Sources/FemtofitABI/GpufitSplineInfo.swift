import FitCore

/// Gpufit's spline models (SPLINE_1D, SPLINE_2D, SPLINE_3D) take their sizes and coefficients
/// through `user_info`, as floats:
///     SPLINE_1D: n_intervals, then the coefficients (points at x = 0, 1, 2, ...)
///     SPLINE_2D: n_points_x, n_points_y, n_intervals_x, n_intervals_y, then the coefficients
///     SPLINE_3D: n_points_x, n_points_y, n_points_z, n_intervals_x, n_intervals_y, n_intervals_z,
///                then the coefficients
/// with the coefficients in `SplineTable`'s layout. A fit's points are its ROI row-major
/// (n_points_x columns; for SPLINE_3D, n_points_z slices of n_points_y rows each).
struct GpufitSplineInfo {
    let spline: SplineTable
    let coordinates: FitCoordinates

    /// Reads `user_info` for `model`, or says what is wrong with it in words a caller can act on.
    static func read(model: ModelID, pointCount: Int, userInfo: UnsafeMutablePointer<CChar>?, size: Int) -> Result<GpufitSplineInfo, GpufitFailure> {
        let dimensions = model == .spline1D ? 1 : model == .spline2D ? 2 : 3
        let name = model.descriptor.cName
        let headerCount = dimensions == 1 ? 1 : 2 * dimensions
        let floatCount = size / MemoryLayout<Float>.size
        guard let userInfo, floatCount >= headerCount else {
            return .failure(GpufitFailure("\(name) takes its sizes and coefficients in user_info (\(headerCount) sizes, then the coefficients); user_info holds \(floatCount) floats"))
        }
        let floats = UnsafeRawPointer(userInfo)
        func value(_ i: Int) -> Float { floats.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
        var sizes: [Int] = []
        for i in 0..<headerCount {
            let v = value(i)
            guard v.isFinite, v >= 1, v == v.rounded(), v < 1e9 else {
                return .failure(GpufitFailure("\(name): user_info[\(i)] = \(v) is not a size (a whole number of at least 1)"))
            }
            sizes.append(Int(v))
        }
        let points = dimensions == 1 ? [pointCount] : Array(sizes.prefix(dimensions))
        let intervals = dimensions == 1 ? sizes : Array(sizes.suffix(dimensions))
        if dimensions > 1 {
            let product = points.reduce(1, *)
            guard product == pointCount else {
                return .failure(GpufitFailure("\(name): user_info's points per fit (\(points.map(String.init).joined(separator: " x ")) = \(product)) differ from n_points (\(pointCount))"))
            }
        }
        let needed = intervals.reduce(1 << (2 * dimensions), *)
        guard floatCount - headerCount >= needed else {
            return .failure(GpufitFailure("\(name): \(intervals.map(String.init).joined(separator: " x ")) intervals need \(needed) coefficients after the \(headerCount) sizes; user_info holds \(floatCount - headerCount)"))
        }
        let coefficients = (0..<needed).map { Double(value(headerCount + $0)) }
        do {
            let spline = try SplineTable(dimensions: dimensions, intervals: intervals, coefficients: coefficients,
                                         sliceHeight: dimensions == 3 ? points[1] : nil)
            let coordinates: FitCoordinates = switch dimensions {
            case 1: .sharedX((0..<pointCount).map(Double.init))
            case 2: .grid(width: points[0], height: points[1])
            default: .grid(width: points[0], height: points[1] * points[2])
            }
            return .success(GpufitSplineInfo(spline: spline, coordinates: coordinates))
        } catch {
            return .failure(GpufitFailure("\(name): \(error)"))
        }
    }
}

/// A refusal's detail, for `failGpufit(.invalidArgument, ...)`.
struct GpufitFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
