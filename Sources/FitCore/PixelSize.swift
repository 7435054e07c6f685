/// A pixel size turns results into nanometres at the API edge: fits run in pixels (the ROI's own
/// coordinates), and only lengths (positions and widths, `ModelID.lengthParameters`) scale.
extension ModelID {
    /// One fit's parameters (or their standard errors), model order, with lengths times `pixelSize`.
    public func scalingLengths<Values: Collection<Double>>(_ values: Values, by pixelSize: Double) -> [Double] {
        let lengths = Set(lengthParameters)
        return values.enumerated().map { lengths.contains($0.offset) ? $0.element * pixelSize : $0.element }
    }
}

extension FitResults {
    /// These results with positions, widths and their standard errors in nm (`pixelSize` nm per
    /// pixel); everything else unchanged.
    public func inNanometres(pixelSize: Double) -> FitResults {
        var scaled = self
        for fit in 0..<fitCount {
            let range = fit * parameterCount ..< (fit + 1) * parameterCount
            scaled.parameters.replaceSubrange(range, with: model.scalingLengths(parameters[range], by: pixelSize))
            scaled.standardErrors.replaceSubrange(range, with: model.scalingLengths(standardErrors[range], by: pixelSize))
        }
        return scaled
    }
}
