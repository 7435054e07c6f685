import FitCore
import FitCPU
import FitOpenCL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The OpenCL backend on one device. Models or settings its kernels do not cover yet throw
/// `OpenCLError.unsupported` (under `auto` the CPU backend takes them instead).
public struct OpenCLBackend: FitBackend {
    public let solver: OpenCLSolver
    public var name: String { "opencl" }
    public var precision: FitPrecision { solver.precision }
    public var device: OpenCLDevice { solver.context.device }
    public var deviceDescription: String {
        "\(device.name) (\(device.kind.rawValue), \(device.platformName), driver \(device.driverVersion))"
    }

    /// `device`: an index, a type (`gpu`, `cpu`) or part of a name; nil reads `FEMTOFIT_DEVICE`,
    /// and without it picks as `femtofit devices` says `auto` would.
    /// `library`: another OpenCL library than the process's (tests run the kernels under Oclgrind
    /// this way); `extraBuildOptions` are added to the kernels' compiler options; `strategy`
    /// overrides the one chosen by device type.
    public init(device selector: String? = nil, precision: FitPrecision = .single, maximumChunk: Int = 1 << 18,
                library: OpenCLLibrary? = nil, extraBuildOptions: String = "", strategy: KernelStrategy? = nil) throws {
        let library = try library ?? OpenCLLibrary.shared.get()
        let devices = try OpenCLDevice.all(library)
        let chosen = try OpenCLDevice.select(selector ?? ProcessInfoEnvironment.current["FEMTOFIT_DEVICE"], among: devices)
        var solver = try OpenCLSolver(context: try OpenCLContext.shared(library: library, device: chosen),
                                      precision: precision, maximumChunk: maximumChunk)
        if !extraBuildOptions.isEmpty { solver.buildOptions += " " + extraBuildOptions }
        if let strategy { solver.strategy = strategy }
        self.solver = solver
    }

    /// A backend around a solver made by hand (tests inject failures through its library).
    public init(solver: OpenCLSolver) { self.solver = solver }

    public func solve(_ prepared: PreparedFits, into results: inout FitResults) throws {
        try solver.solve(prepared, into: &results)
    }
}

/// `--backend auto`: an OpenCL GPU when there is one, the SIMD CPU backend otherwise. When the
/// GPU cannot take a batch (no kernel for the model yet, a failed build or launch) it warns once
/// on standard error and fits on the CPU instead.
public struct AutomaticBackend: FitBackend {
    public let gpu: OpenCLBackend?
    public let cpu: CPUBackend
    public var name: String { gpu == nil ? cpu.name : "auto" }
    public var precision: FitPrecision { cpu.precision }
    public var deviceDescription: String { gpu.map { "\($0.deviceDescription), else \(cpu.deviceDescription)" } ?? cpu.deviceDescription }

    private let fallback: FallbackWarning

    public init(precision: FitPrecision, threadCount: Int?) {
        let gpu = try? OpenCLBackend(device: ProcessInfoEnvironment.current["FEMTOFIT_DEVICE"] ?? "gpu", precision: precision)
        self.init(gpu: gpu?.device.kind == .gpu ? gpu : nil, cpu: CPUBackend(precision: precision, threadCount: threadCount))
    }

    /// `warn` receives the one fallback warning (default: standard error).
    public init(gpu: OpenCLBackend?, cpu: CPUBackend,
                warn: @escaping @Sendable (String) -> Void = { fputs($0 + "\n", stderr) }) {
        self.gpu = gpu
        self.cpu = cpu
        fallback = FallbackWarning(warn)
    }

    public func solve(_ prepared: PreparedFits, into results: inout FitResults) throws {
        if let gpu {
            do { return try gpu.solve(prepared, into: &results) } catch {
                fallback.once("femtofit: warning: OpenCL could not fit this batch (\(error)); using the CPU backend")
            }
        }
        // The CPU writes every fit again, so nothing a failed device run left behind survives.
        try cpu.solve(prepared, into: &results)
    }
    /// The CPU's single-thread workers when there is no GPU to fit on.
    public func singleThreadWorkers() -> [any FitBackend]? { gpu == nil ? cpu.singleThreadWorkers() : nil }
}

/// Says its message once per backend, however many batches fall back.
final class FallbackWarning: @unchecked Sendable {
    private let warn: @Sendable (String) -> Void
    private var warned = false
    private let lock = FitLock()

    init(_ warn: @escaping @Sendable (String) -> Void) { self.warn = warn }

    func once(_ message: String) {
        lock.lock()
        let first = !warned
        warned = true
        lock.unlock()
        if first { warn(message) }
    }
}
