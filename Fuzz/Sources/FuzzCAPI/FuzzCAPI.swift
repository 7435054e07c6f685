import CFemtofit
import FemtofitABI

/// libFuzzer target: the C API's argument space. The first bytes choose the model id, the counts
/// (small ones, or sizes that overflow and must be refused before any data are read), the value
/// type, the ROI shape, the settings and which optional arrays are present; the rest are the
/// data. Arrays are always as large as the counts the call is given, since the API cannot check
/// a caller's buffer sizes; everything else is fair game. Destroyed and made-up handles too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCAPI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 16 else { return 0 }
    var reader = ByteReader(data: data, size: size)
    let models: [Int32] = [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 0, 7, -1, 12345]
    let model = models[Int(reader.byte()) % models.count]
    let huge = reader.byte()
    var fits = 1 + Int(reader.byte() % 8), points = 1 + Int(reader.byte() % 64)
    let width = Int(reader.byte() % 10), height = Int(reader.byte() % 10)
    if width * height > 0 && reader.byte() % 2 == 0 { points = width * height }
    let isDouble = reader.byte() % 2 == 1
    let flags = reader.byte()
    var settings = femtofit_settings()
    femtofitSettingsInit(&settings)
    settings.tolerance = [1e-4, 0, -1, .nan, .infinity, 1e300][Int(reader.byte()) % 6]
    settings.max_iterations = [20, 0, -5, 100_000, 100_001, Int32.max][Int(reader.byte()) % 6]
    settings.estimator = Int32(reader.byte() % 3)
    settings.robust_errors = Int32(reader.byte() % 2)
    settings.weights_are_inverse_variances = Int32(reader.byte() % 2)

    let n = fits * points
    let values = (0..<n).map { _ in reader.value() }
    let parameterCount = Int(max(0, femtofitModelParameterCount(model)))
    let p = max(parameterCount, 1)
    let starts = (0..<(fits * p)).map { _ in reader.value() }
    let lower = (0..<(fits * p)).map { _ in flags & 16 != 0 ? reader.value() : -.infinity }
    let upper = (0..<(fits * p)).map { _ in flags & 16 != 0 ? reader.value() : .infinity }
    let weights = (0..<n).map { _ in abs(reader.value()) }
    let xs = (0..<n).map { _ in reader.value() }
    let mask = (0..<p).map { _ in Int32(reader.byte() % 2) }
    let parameters = [Double](repeating: .nan, count: fits * p), errors = parameters
    let states = [Int32](repeating: -1, count: fits), iterations = states
    let chi = [Double](repeating: .nan, count: fits)

    // Sizes that overflow: refused before the data are touched (the arrays above are small).
    var claimedFits = fits, claimedPoints = points
    switch huge % 8 {
    case 0: claimedFits = Int(bitPattern: UInt(bitPattern: -1))  // SIZE_MAX
    case 1: claimedPoints = 1 << 62
    case 2: claimedFits = 0
    default: break
    }
    fits = claimedFits
    points = claimedPoints

    let backend = FEMTOFIT_BACKEND_CPU
    guard let context = femtofitContextCreate(backend, isDouble ? FEMTOFIT_PRECISION_DOUBLE : FEMTOFIT_PRECISION_SINGLE, nil, 1) else { return 0 }
    // Stable copies of every array for the call, freed after it.
    var owned: [UnsafeMutableRawPointer] = []
    defer { owned.forEach { $0.deallocate() } }
    func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(values.count, 1))
        _ = buffer.initialize(from: values)
        owned.append(UnsafeMutableRawPointer(buffer.baseAddress!))
        return buffer.baseAddress!
    }
    func typed(_ values: [Double]) -> UnsafeRawPointer {
        isDouble ? UnsafeRawPointer(copy(values)) : UnsafeRawPointer(copy(values.map(Float.init)))
    }
    var batch = femtofit_batch()
    batch.model = model
    batch.n_fits = fits
    batch.n_points = points
    batch.roi_width = width
    batch.roi_height = height
    batch.value_type = isDouble ? FEMTOFIT_FLOAT64 : FEMTOFIT_FLOAT32
    batch.data = typed(values)
    if flags & 1 != 0 { batch.weights = typed(weights) }
    if flags & 2 != 0 { batch.x = typed(xs); batch.x_per_fit = Int32(flags >> 7) }
    if flags & 4 != 0 { batch.initial_parameters = UnsafePointer(copy(starts)) }
    if flags & 8 != 0 { batch.parameters_to_fit = UnsafePointer(copy(mask)) }
    if flags & 16 != 0 { batch.lower_bounds = UnsafePointer(copy(lower)); batch.upper_bounds = UnsafePointer(copy(upper)) }
    // A model whose parameter count is unknown gets no output arrays to overrun.
    var results = femtofit_results()
    if parameterCount > 0 {
        results = femtofit_results(parameters: copy(parameters), standard_errors: copy(errors), states: copy(states),
                                   chi_squares: copy(chi), iterations: copy(iterations))
    }
    if flags & 32 != 0 {
        _ = femtofitFit(context, &batch, nil, &results)
    } else {
        _ = femtofitFit(context, &batch, &settings, &results)
    }
    _ = femtofitContextDestroy(context)
    // A destroyed handle, twice, and one that never was a context.
    _ = femtofitCancel(context)
    _ = femtofitContextDestroy(context)
    _ = femtofitContextDescription(OpaquePointer(bitPattern: 0x1234_5670))
    return 0
}

/// Bytes in, read front to back; zeros once they run out.
struct ByteReader {
    let data: UnsafePointer<UInt8>
    let size: Int
    var offset = 0
    mutating func byte() -> UInt8 {
        defer { offset += 1 }
        return offset < size ? data[offset] : 0
    }
    /// A value from 8 bytes: mostly ordinary numbers, sometimes NaN, infinities, huge or tiny.
    mutating func value() -> Double {
        var bits: UInt64 = 0
        for _ in 0..<8 { bits = bits << 8 | UInt64(byte()) }
        let raw = Double(bitPattern: bits)
        return bits % 5 == 0 ? raw : Double(Int64(bitPattern: bits) % 2000) / 10
    }
}
