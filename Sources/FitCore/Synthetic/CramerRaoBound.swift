/// The Cramér–Rao bound: the smallest variance an unbiased estimator can reach for a model, its
/// parameters and a noise model (docs/reference.md §3). The Fisher information is
/// I_ij = sum_k (1 / var_k) df_k/dθ_i df_k/dθ_j, with var_k from the noise model at f_k; the
/// bound is diag(I^-1). Fixed parameters are left out of the inversion (their bound is 0).
public enum CramerRaoBound {
    public static func variances(model: ModelID, parameters: [Double], coordinates: FitCoordinates,
                                 pointCount: Int, noise: NoiseModel, parametersToFit: [Bool]? = nil) throws -> [Double] {
        let p = model.parameterCount
        let mask = parametersToFit ?? Array(repeating: true, count: p)
        let (values, derivatives) = try ModelEvaluation.evaluate(model, parameters: parameters,
                                                                 coordinates: coordinates, pointCount: pointCount)
        var packed = [Double](repeating: 0, count: p * (p + 1) / 2)
        for k in 0..<pointCount {
            let variance = noise.variance(mean: values[k])
            guard variance > 0 else { throw FitError.invalidBatch("the noise variance at point \(k) is \(variance); the bound needs it positive") }
            for i in 0..<p where mask[i] {
                for j in 0...i where mask[j] {
                    packed[SymmetricSolve.packedIndex(i, j)] += derivatives[k * p + i] * derivatives[k * p + j] / variance
                }
            }
        }
        for i in 0..<p where !mask[i] { packed[SymmetricSolve.packedIndex(i, i)] = 1 }
        var work = [Double](repeating: 0, count: p), diagonal = [Double](repeating: 0, count: p)
        let singular = packed.withUnsafeMutableBufferPointer { SymmetricSolve.factorise($0.baseAddress!, n: p) }
        if singular { throw FitError.invalidBatch("the Fisher information is singular: the data do not determine every parameter") }
        packed.withUnsafeBufferPointer { a in
            work.withUnsafeMutableBufferPointer { w in
                diagonal.withUnsafeMutableBufferPointer {
                    SymmetricSolve.inverseDiagonal(factorised: a.baseAddress!, n: p, work: w.baseAddress!, diagonal: $0.baseAddress!)
                }
            }
        }
        return (0..<p).map { mask[$0] ? diagonal[$0] : 0 }
    }
}
