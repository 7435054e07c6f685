import FitEngine
import ModelLanguage

/// libFuzzer target: any bytes as a model file (`ModelText`, as `--model-file`,
/// `femtofit_model_compile` and `femtofit.Model` read it) and as an expression in a, b, c of a
/// curve's t and of a ROI's x and y. What compiles is registered, fitted for a few iterations on
/// the SIMD CPU backend and the float64 reference (the staged program, the start statistics and
/// the sums on real data), and released. Refusals are the expected outcome; a crash, a hang or
/// a leak is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let definition = try? ModelText.parse(text) { exercise(definition) }
    // Parameters that occur in the text, so that more expressions get past the unused-parameter rule.
    let names: [String] = ["a", "b", "c"]
    let parameters = names.filter { text.contains($0) }
    for coordinates in [["t"], ["x", "y"]] {
        exercise(ModelDefinition(name: "fuzz", coordinates: coordinates, parameters: parameters.isEmpty ? ["a"] : parameters,
                                 expression: text))
    }
    return 0
}

/// Compiles, registers, fits two small fits with each backend, and releases `definition`.
func exercise(_ definition: ModelDefinition) {
    guard let compiled = try? definition.compile(), let model = try? compiled.register() else { return }
    defer { RuntimeModels.release(model.id) }
    let grid = definition.coordinates.count == 2
    let pointCount = grid ? 25 : 16, fits = 2, p = model.parameterCount
    // A bump on a baseline, different in each fit, with one NaN point.
    var values = (0..<(fits * pointCount)).map { k -> Float in
        let i = k % pointCount, fit = k / pointCount
        let r = grid ? Float((i % 5 - 2) * (i % 5 - 2) + (i / 5 - 2) * (i / 5 - 2)) : Float((i - 6) * (i - 6)) / 4
        return 3 + Float(fit) + 40 / (1 + r)
    }
    values[pointCount + 3] = .nan
    let coordinates: FitCoordinates = grid ? .grid(width: 5, height: 5) : .sharedX((0..<pointCount).map { Double($0) * 0.5 })
    var batch = FitBatch(model: model.modelID, fitCount: fits, pointCount: pointCount, data: values, coordinates: coordinates)
    if definition.start.count < p { batch.initialParameters = (0..<(fits * p)).map { Double($0 % p) * 0.5 + 1 } }
    let settings = FitSettings(tolerance: 1e-6, maxIterations: 8)
    let backends: [any FitBackend] = [CPUBackend(threadCount: 1), ReferenceBackend()]
    for backend in backends {
        _ = try? FitEngine(backend: backend).fit(batch, settings: settings)
    }
}
