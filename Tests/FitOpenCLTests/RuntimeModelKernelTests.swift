import FitCore
import FitEngine
import FitOpenCL
import ModelLanguage
import XCTest
import FemtofitTestSupport

/// A runtime model's OpenCL form (`OpenCLModelSource`), compiled by the device (PoCL here)
/// behind common.cl as the kernels compile a model file, gives the expression graph's float64
/// values and derivatives, in float64 and float32.
final class RuntimeModelKernelTests: XCTestCase {
    /// Evaluates `model` on the device at `inputs` (per point: the parameters, then x and y).
    func deviceValues(_ model: ModelExpression, inputs: [[Double]], double: Bool) throws -> [[Double]] {
        let context = try OpenCLBackend(device: nil, precision: double ? .double : .single).solver.context
        let p = model.parameters.count
        guard let common = KernelSource.embedded("common.cl") else { XCTFail("common.cl missing"); return [] }
        let suffix = double ? "" : "f"
        let literals = inputs.flatMap { $0 }.map { "\($0)\(suffix)" }.joined(separator: ", ")
        var text = (double ? "#define FF_DOUBLE 1\n" : "") + "#define FF_PARAMETERS \(p)\n#define FF_POINTS 1\n#define FF_FIXED_MASK 0\n"
        text += common + "\n" + OpenCLModelSource.source(model) + """

            __constant real inputs[] = { \(literals) };
            __kernel void ff_runtime_model_harness(__global real* out) {
                const int i = (int)get_global_id(0);
                real parameters[\(p)], d[\(p)];
                for (int j = 0; j < \(p); j++) parameters[j] = inputs[i * \(p + 2) + j];
                const real x = inputs[i * \(p + 2) + \(p)], y = inputs[i * \(p + 2) + \(p + 1)];
                out[i * \(p + 1)] = ff_model(parameters, x, y, d);
                for (int j = 0; j < \(p); j++) out[i * \(p + 1) + 1 + j] = d[j];
            }
            """
        let program = try context.program(text)
        let size = double ? 8 : 4
        let (bytes, _) = try context.run(program, kernel: "ff_runtime_model_harness", workItems: inputs.count,
                                         outputBytes: inputs.count * (p + 1) * size)
        let values: [Double] = bytes.withUnsafeBytes { raw in
            (0..<(inputs.count * (p + 1))).map { double ? raw.load(fromByteOffset: $0 * 8, as: Double.self) : Double(raw.load(fromByteOffset: $0 * 4, as: Float.self)) }
        }
        return (0..<inputs.count).map { Array(values[($0 * (p + 1))..<(($0 + 1) * (p + 1))]) }
    }

    func check(_ text: String, parameters: [String], coordinates: [String], ranges: [ClosedRange<Double>],
               coordinateRange: ClosedRange<Double>, random r: inout SeededRandom) throws {
        let model = try ModelExpression(expression: text, parameters: parameters, coordinates: coordinates)
        let inputs = (0..<32).map { _ in ranges.map { r.uniform($0) } + [r.uniform(coordinateRange), r.uniform(coordinateRange)] }
        for double in [true, false] {
            let device = try deviceValues(model, inputs: inputs, double: double)
            for (i, input) in inputs.enumerated() {
                let (value, derivatives) = model.evaluate(parameters: Array(input.prefix(parameters.count)),
                                                          coordinates: Array(input.suffix(2).prefix(coordinates.count)))
                let expected = [value] + derivatives
                guard expected.allSatisfy(\.isFinite) else { continue }
                let scale = expected.map(abs).max()! + 1
                for k in expected.indices {
                    XCTAssertEqual(device[i][k], expected[k], accuracy: (double ? 1e-7 : 3e-4) * scale,
                                   "\(text) \(double ? "float64" : "float32") point \(i) output \(k)")
                }
            }
        }
    }

    func testGeneratedModelsMatchTheGraphOnTheDevice() throws {
        var r = SeededRandom(seed: freshSeed(401))
        try check("A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0) + gy * (y - y0)",
                  parameters: ["A", "x0", "y0", "s", "B", "gx", "gy"], coordinates: ["x", "y"],
                  ranges: [10...100, 3...6, 3...6, 1...3, -5...5, -1...1, -1...1], coordinateRange: 0...10, random: &r)
        for text in ["a * exp(-t / b) + c", "a * log(t + b) + c", "a * sqrt(t + b) + c", "a * abs(t - b) + c",
                     "a * sin(b * t) + c * cos(t)", "a * tan(b * t / 4) + c", "a * atan(b * t) + c", "a * erf(b * t - 1) + c",
                     "a * erfc(b * t - 1) + c", "a * erfcx(b * t - 0.5) + c", "a * pow(t + 1, b) + c", "min(a * t, b) + max(c, t)",
                     "(a - t)^3 * b + c", "a * exp(-(t / b)^c)"] {
            try check(text, parameters: ["a", "b", "c"], coordinates: ["t"], ranges: [0.5...2, 0.5...2, 0.5...2],
                      coordinateRange: 0...3, random: &r)
        }
    }
}
