/// The model's values and derivatives at every point of one fit, in float64: for simulating data
/// and for the Cramér–Rao bound.
public enum ModelEvaluation {
    /// Values (pointCount) and derivatives (pointCount x parameterCount) of `model` at `parameters`.
    /// A runtime model is evaluated by its program in float64: `runtime` (a prepared batch's), or
    /// the registered model of `model`'s id.
    public static func evaluate(_ model: ModelID, parameters: [Double], coordinates: FitCoordinates,
                                pointCount: Int, fit: Int = 0, spline: SplineTable? = nil,
                                runtime: RuntimeModel? = nil) throws -> (values: [Double], derivatives: [Double]) {
        if model.isRuntime {
            guard let runtime = runtime ?? model.runtimeModel else {
                throw FitError.invalidBatch("runtime model \(model.name) (id \(model.rawValue)) was released: compile it again for a new id")
            }
            return evaluate(runtime, parameters: parameters, coordinates: coordinates, pointCount: pointCount, fit: fit)
        }
        // The spline models need their spline: the batch's checks say which.
        try FitBatch(model: model, fitCount: 0, pointCount: max(pointCount, 1), data: [], coordinates: coordinates, spline: spline)
            .validateSpline()
        return try model.dispatch(to: Visitor(parameters: parameters, coordinates: coordinates, pointCount: pointCount, fit: fit, spline: spline))
    }

    /// A runtime model's values and derivatives, by its staged program on float64 lanes.
    public static func evaluate(_ runtime: RuntimeModel, parameters: [Double], coordinates: FitCoordinates,
                                pointCount n: Int, fit: Int = 0) -> (values: [Double], derivatives: [Double]) {
        let p = runtime.parameterCount
        var values = [Double](repeating: .nan, count: n), derivatives = [Double](repeating: .nan, count: n * p)
        let width: Int, height: Int
        if case let .grid(w, h) = coordinates { (width, height) = (w, h) } else { (width, height) = (Swift.min(n, 64), 1) }
        let evaluator = StagedEvaluator<Double>(runtime.program, width: width, height: height)
        parameters.withUnsafeBufferPointer { evaluator.beginPass(parameters: $0.baseAddress!) }
        var x = [Double](repeating: 0, count: width)
        var first = 0
        while first < n {
            let count = Swift.min(width, n - first)
            switch coordinates {
            case .grid: evaluator.evaluateRow(first / width)
            case .sharedX(let xs):
                for c in 0..<count { x[c] = xs[first + c] }
                evaluator.evaluateBlock(x: x, count: count)
            case .perFitX(let xs):
                for c in 0..<count { x[c] = Double(xs[fit * n + first + c]) }
                evaluator.evaluateBlock(x: x, count: count)
            }
            for c in 0..<count {
                values[first + c] = evaluator.value[c]
                for j in 0..<p { derivatives[(first + c) * p + j] = evaluator.derivative(j)[c] }
            }
            first += count
        }
        return (values, derivatives)
    }

    struct Visitor: ModelVisitor {
        typealias Lane = Double
        let parameters: [Double]
        let coordinates: FitCoordinates
        let pointCount: Int
        let fit: Int
        let spline: SplineTable?
        func visit<Model: FitModel>(_ model: Model.Type) throws -> ([Double], [Double]) where Model.Lane == Double {
            let p = Model.id.parameterCount
            var values = [Double](repeating: 0, count: pointCount)
            var derivatives = [Double](repeating: 0, count: pointCount * p)
            parameters.withUnsafeBufferPointer { pp in
                let instance = Model(parameters: pp.baseAddress!, spline: spline)
                var d = ParameterLanes<Double>(repeating: 0)
                do {
                    for k in 0..<pointCount {
                        let x: Double, y: Double
                        switch coordinates {
                        case let .grid(width, _): x = Double(k % width); y = Double(k / width)
                        case let .sharedX(xs): x = xs[k]; y = 0
                        case let .perFitX(xs): x = Double(xs[fit * pointCount + k]); y = 0
                        }
                        values[k] = instance.evaluate(x: x, y: y, derivatives: &d)
                        for j in 0..<p { derivatives[k * p + j] = d[j] }
                    }
                }
            }
            return (values, derivatives)
        }
    }
}
