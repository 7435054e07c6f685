import FitCore
import FitEngine
import Foundation
import TAMData

/// `femtofit kinetics --model-file`: every trace fitted with a runtime curve model (coordinates
/// ["t"] or ["x"], the delay in fs), a block of traces at a time so memory does not grow with
/// their number. A point that is NaN (missing) is masked from its trace's fit. Writes
/// `kinetics_model.csv` atomically: the trace's label, each parameter and its standard error, the
/// state, chi^2 and the iterations.
struct KineticsModelFit {
    let model: RuntimeModel
    let settings: FitSettings
    let engine: FitEngine
    /// Traces per fit call.
    static let block = 4096

    struct Summary { var traces = 0; var states: [FitState: Int] = [:] }

    /// Fits every trace of `source`, `labelName` naming its labels' column (wavelength_nm, pixel).
    func run(_ source: TraceSource, labelName: String, into path: String, progress: (Int, Int) -> Void) throws -> Summary {
        let p = model.parameterCount, n = source.delays.count
        let names = model.descriptor.parameterNames
        var summary = Summary()
        try AtomicFile.write(to: path) { temporary in
            guard let file = fopen(temporary, "w") else { throw OutputError(path, "cannot write: \(String(cString: strerror(errno)))") }
            defer { fclose(file) }
            func put(_ line: String) throws {
                guard fputs(line, file) >= 0 else { throw OutputError(path, "cannot write: \(String(cString: strerror(errno)))") }
            }
            try put(([labelName] + names + names.map { $0 + "_err" } + ["state", "chi2", "iterations"]).joined(separator: ",") + "\n")
            var first = 0
            while first < source.traceCount {
                let range = first..<min(first + Self.block, source.traceCount)
                let data = try source.read(range), labels = try source.labels(range)
                var batch = FitBatch(model: model.modelID, fitCount: range.count, pointCount: n, data: data, coordinates: .sharedX(source.delays))
                if data.contains(where: { !$0.isFinite }) { batch.weights = data.map { $0.isFinite ? 1 : 0 } }
                let results = try engine.fit(batch, settings: settings)
                var text = ""
                for i in 0..<range.count {
                    let state = results.state(i) ?? .invalidInput
                    summary.states[state, default: 0] += 1
                    var fields = ["\(labels[i])"]
                    fields += (0..<p).map { "\(Float(results.parameters[i * p + $0]))" }
                    fields += (0..<p).map { "\(Float(results.standardErrors[i * p + $0]))" }
                    fields += [state.description, "\(Float(results.chiSquares[i]))", "\(results.iterations[i])"]
                    text += fields.joined(separator: ",") + "\n"
                }
                try put(text)
                summary.traces += range.count
                first = range.upperBound
                progress(first, source.traceCount)
            }
            guard fflush(file) == 0 else { throw OutputError(path, "cannot write: \(String(cString: strerror(errno)))") }
        }
        return summary
    }
}

/// A TIFF stack's pixels as traces over its frames (the delays), labelled by pixel index.
struct StackTraces: TraceSource {
    let stack: ImageStack
    let delays: [Double]
    var traceCount: Int { stack.width * stack.height }
    func labels(_ range: Range<Int>) -> [Double] { range.map(Double.init) }
    func read(_ range: Range<Int>) -> [Float] { stack.traces(pixels: range) }
}
