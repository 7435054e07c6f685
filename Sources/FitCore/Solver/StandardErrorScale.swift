extension PreparedFits {
    /// What the diagonal of the inverse curvature (or of the sandwich) is multiplied by before its
    /// square root becomes a standard error, the same in every solver:
    /// - robust (sandwich) errors: n / (n - p), the HC1 small-sample correction;
    /// - unweighted least squares, or weights that only mask: the reduced chi^2, chi^2 / (n - p),
    ///   because the noise level is unknown;
    /// - MLE, or weights that are inverse variances: 1.
    /// NaN when there are no more counted points n than free parameters p.
    public func standardErrorFactor(chiSquare: Double, usedPoints: Double) -> Double {
        let free = Double(freeParameterCount)
        if settings.robustErrors { return usedPoints > free ? usedPoints / (usedPoints - free) : .nan }
        let weighted = batch.weights != nil && settings.weightsAreInverseVariances
        if settings.estimator == .poissonMLE || weighted { return 1 }
        let dof = usedPoints - free
        return dof > 0 ? chiSquare / dof : .nan
    }
}
