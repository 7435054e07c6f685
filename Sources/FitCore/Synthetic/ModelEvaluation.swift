/// The model's values and derivatives at every point of one fit, in float64: for simulating data
/// and for the Cramér–Rao bound.
public enum ModelEvaluation {
    /// Values (pointCount) and derivatives (pointCount x parameterCount) of `model` at `parameters`.
    public static func evaluate(_ model: ModelID, parameters: [Double], coordinates: FitCoordinates,
                                pointCount: Int, fit: Int = 0, spline: SplineTable? = nil) throws -> (values: [Double], derivatives: [Double]) {
        // The spline models need their spline: the batch's checks say which.
        try FitBatch(model: model, fitCount: 0, pointCount: max(pointCount, 1), data: [], coordinates: coordinates, spline: spline)
            .validateSpline()
        return try model.dispatch(to: Visitor(parameters: parameters, coordinates: coordinates, pointCount: pointCount, fit: fit, spline: spline))
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
