import Dispatch
import FitCore
import TAMData

/// fits.csv, streamed: each chunk's rows are formatted on all cores, a slice per core, and
/// appended in fit order.
public final class CSVFitSink: FitSink {
    let file: StreamFile
    let columns: FitColumns
    let single: Bool

    /// `single`: the fits ran in float32, so numbers are written with float32's digits.
    public init(outputs: OutputSet, columns: FitColumns, single: Bool) throws {
        file = try StreamFile("fits.csv", in: outputs)
        self.columns = columns
        self.single = single
        try file.write(columns.names.joined(separator: ",") + "\n")
    }

    public func write(_ chunk: FitChunk, shape: [SpotShapeOutput.Row]) throws {
        let (values, errors) = columns.scaled(chunk)
        let slices = chunk.count < 4096 ? 1 : min(64, chunk.count / 1024)
        var texts = [[UInt8]](repeating: [], count: slices)
        let p = columns.model.parameterCount, grid = columns.isGrid, single = self.single
        let stateNames = FitState.allCases.reduce(into: [Int32: [UInt8]]()) { $0[$1.rawValue] = Array($1.description.utf8) }
        texts.withUnsafeMutableBufferPointer { output in
            let out = output
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                let range = (slice * chunk.count / slices)..<((slice + 1) * chunk.count / slices)
                var bytes: [UInt8] = []
                bytes.reserveCapacity(range.count * (24 + 20 * 2 * p))
                for i in range {
                    CSVNumber.append(chunk.frames[i], to: &bytes)
                    if grid, let label = chunk.series {
                        bytes.append(0x2C); CSVNumber.append(label.fluence, single: false, to: &bytes)
                        bytes.append(0x2C); CSVNumber.append(label.wavelengthNm, single: false, to: &bytes)
                        bytes.append(0x2C); CSVNumber.append(label.spot, to: &bytes)
                    }
                    if let delays = chunk.delays { bytes.append(0x2C); CSVNumber.append(delays[i], single: false, to: &bytes) }
                    for j in 0..<p { bytes.append(0x2C); CSVNumber.append(values[i * p + j], single: single, to: &bytes) }
                    for j in 0..<p { bytes.append(0x2C); CSVNumber.append(errors[i * p + j], single: single, to: &bytes) }
                    bytes.append(0x2C); bytes.append(contentsOf: stateNames[chunk.stateCodes[i]] ?? Array("invalid_input".utf8))
                    bytes.append(0x2C); CSVNumber.append(chunk.chiSquares[i], single: single, to: &bytes)
                    bytes.append(0x2C); CSVNumber.append(Int(chunk.iterations[i]), to: &bytes)
                    bytes.append(0x0A)
                }
                out[slice] = bytes
            }
        }
        for text in texts { try file.write(text) }
        file.startWriteback()
    }

    public func finish() throws {}
}

/// shape.csv (the Gaussian-ness check, `SpotShapeOutput`), streamed.
public final class ShapeCSVSink: FitSink {
    let file: StreamFile
    let pixelSize: Double?
    let grid: Bool
    let hasDelays: Bool
    private var wroteHeader = false

    public init(outputs: OutputSet, pixelSize: Double?, grid: Bool, hasDelays: Bool) throws {
        file = try StreamFile("shape.csv", in: outputs)
        self.pixelSize = pixelSize; self.grid = grid; self.hasDelays = hasDelays
        try file.write(SpotShapeOutput.header(pixelSize: pixelSize, grid: grid, hasDelays: hasDelays) + "\n")
    }

    public func write(_ chunk: FitChunk, shape: [SpotShapeOutput.Row]) throws {
        guard !shape.isEmpty else { return }
        let slices = shape.count < 2048 ? 1 : min(64, shape.count / 1024)
        var texts = [[UInt8]](repeating: [], count: slices)
        let (pixelSize, grid) = (self.pixelSize, self.grid)
        texts.withUnsafeMutableBufferPointer { output in
            let out = output
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                let range = (slice * shape.count / slices)..<((slice + 1) * shape.count / slices)
                out[slice] = SpotShapeOutput.bytes(shape[range], pixelSize: pixelSize, grid: grid)
            }
        }
        for text in texts { try file.write(text) }
        file.startWriteback()
    }

    public func finish() throws {}
}
