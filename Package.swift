// swift-tools-version:6.0
// femtofit: batch Levenberg–Marquardt fitting for transient absorption microscopy.
import PackageDescription
import Foundation

// The SIMD backend needs the host CPU's vector units: without a target CPU, Swift lowers
// `addingProduct` to calls to `fmaf` and the engine runs ~50x slower. `-target-cpu native` is an
// unsafe flag, which SwiftPM refuses in a package used as a versioned dependency, so it is
// applied unless this package lies in a dependency checkout (SwiftPM's `.build/checkouts`, or
// Xcode's `SourcePackages/checkouts`). That depends only on where the package is, never on the
// folder SwiftPM runs in, so `swift build --package-path` from anywhere builds the same thing and
// rebuilds nothing. A dependent gets the portable build; README.md ("Building and using femtofit
// from another package") says how it gets the fast one.
// FEMTOFIT_PORTABLE=1 forces the portable build, FEMTOFIT_NATIVE=1 forces the native one.
let environment = ProcessInfo.processInfo.environment
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().standardizedFileURL.path
let isDependencyCheckout = ["/.build/checkouts/", "/SourcePackages/checkouts/"].contains { packageRoot.contains($0) }
let buildNative: Bool = {
    if environment["FEMTOFIT_PORTABLE"] == "1" { return false }
    if environment["FEMTOFIT_NATIVE"] == "1" { return true }
    return !isDependencyCheckout
}()
let fastMath: [SwiftSetting] = buildNative
    ? [.unsafeFlags(["-target-cpu", "native"])]
    : []

// The C library carries the Swift runtime, so it loads where no Swift toolchain is installed.
// `-static-stdlib` links the standard library statically, and Dispatch is named here. The engine
// and the C library use no Foundation (pthread locks, POSIX files), so neither Foundation nor its
// ICU data (tens of megabytes) is linked: stripped, the library is about 10 MB (CABITests holds
// it within 15 MB). Linux only: on macOS the runtime is part of the system.
// FEMTOFIT_SHARED_RUNTIME=1 links the shared runtime instead: scripts/hardening does for
// ThreadSanitizer, which sees the library's threads join only through the shared Dispatch its
// interceptors wrap (a static copy's joins are invisible, so every result read after a parallel
// fit is reported as a race).
#if os(Linux)
let staticRuntime = environment["FEMTOFIT_SHARED_RUNTIME"] == "1" ? [] : ["-static-stdlib", "-lswiftDispatch"]
#else
let staticRuntime: [String] = []
#endif

let package = Package(
    name: "femtofit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "FitCore", targets: ["FitCore"]),
        .library(name: "FitEngine", targets: ["FitEngine"]),
        .library(name: "FitOpenCL", targets: ["FitOpenCL"]),
        .library(name: "ModelLanguage", targets: ["ModelLanguage"]),
        .library(name: "TAMData", targets: ["TAMData"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "Physics", targets: ["Physics"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Acquisition", targets: ["Acquisition"]),
        .executable(name: "femtofit", targets: ["femtofit"]),
        // The C library (libfemtofit_c.so): femtofit's C API and Gpufit's entry points, with the
        // Swift runtime linked in. scripts/install-library installs it as libfemtofit.so and libGpufit.so.
        .library(name: "femtofit_c", type: .dynamic, targets: ["FemtofitABI"]),
        .executable(name: "femtofit-bench", targets: ["FemtofitBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        // C dependencies, settled once. OpenCL is headers only: the library is loaded at run time.
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL",
                       providers: [.apt(["opencl-headers", "ocl-icd-opencl-dev"])]),
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CTIFF", path: "Sources/CTIFF", providers: [.apt(["libtiff-dev"])]),
        // HDF5 (fits.h5, HDF5 input): the formats module and the pipeline only, never the C library.
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),

        // Vector compare/select/min/max as inline C on clang vectors (see its header for why).
        .target(name: "CLaneMath"),
        // posix_openpt and friends, for the pseudo-terminals the serial-driver tests run on.
        .target(name: "CPseudoTerminal"),
        // femtofit's version: a leaf, so the file formats record it without the engine.
        .target(name: "FemtofitRelease"),
        .target(name: "FitCore", dependencies: ["CLaneMath", "FemtofitRelease"], swiftSettings: fastMath),
        .target(name: "CSystemInfo"),
        // Models defined at run time (issue 20): the expression language, its graph and symbolic
        // derivatives. Above FitCore only, so it builds beside the backends.
        .target(name: "ModelLanguage", dependencies: ["FitCore"], swiftSettings: fastMath),
        .target(name: "FitCPU", dependencies: ["FitCore", "CSystemInfo"], swiftSettings: fastMath),
        .target(name: "FitOpenCL", dependencies: ["FitCore", "COpenCL"], swiftSettings: fastMath),
        .target(name: "FitEngine", dependencies: ["FitCore", "FitCPU", "FitOpenCL"], swiftSettings: fastMath),
        .target(name: "TAMData", dependencies: ["FemtofitRelease", "Physics", "TextInput", "CTIFF", "CFFTW", "CHDF5"], swiftSettings: fastMath),
        // The streaming fit pipeline above the engine: sources (raw ROIs, TIFF, HDF5, datasets),
        // preprocessing, ROI cutting, the engine, and the sinks (fits.h5, fits.csv, shape.csv,
        // fits.json), written as one atomic set. What the CLI and the live fitter call.
        .target(name: "Pipeline", dependencies: ["FitCore", "TAMData", "Transport", "TextInput"], swiftSettings: fastMath),
        .target(name: "Transport", dependencies: ["FitCore", "Physics", "TextInput"], swiftSettings: fastMath),
        // The physics the analysis, the simulators and the instrument share: a leaf.
        .target(name: "Physics", swiftSettings: fastMath),
        // The simulators: TAM image stacks and datasets, transient-absorption traces.
        .target(name: "Simulation", dependencies: ["FitCore", "Physics", "TAMData"], swiftSettings: fastMath),
        // Text files from any platform (a byte-order mark, CRLF or CR line ends) and RFC 4180 CSV.
        .target(name: "TextInput"),
        // Device protocols, simulated instrument, drivers and the sequencer (the acquisition issue).
        .target(name: "Acquisition", dependencies: ["FitCore", "Physics", "Simulation", "TAMData", "TextInput", "Pipeline", "CPseudoTerminal",
                                                   .product(name: "TOMLKit", package: "TOMLKit")]),
        // The C API: its headers (femtofit.h, gpufit.h) and the per-thread last error, then the
        // Swift that implements it. The Swift runtime is linked statically, so the library loads
        // on machines without a Swift toolchain.
        .target(name: "CFemtofit"),
        .target(name: "FemtofitABI", dependencies: ["CFemtofit", "FitCore", "FitEngine", "FitOpenCL", "ModelLanguage"],
                swiftSettings: fastMath, linkerSettings: [.unsafeFlags(staticRuntime)]),
        // Workloads, the FMA peak and timed runs, shared by `femtofit bench` and `femtofit-bench`.
        .target(name: "FitBench", dependencies: ["FitCore", "FitCPU", "FitEngine", "FitOpenCL", "ModelLanguage"], swiftSettings: fastMath),
        .executableTarget(
            name: "femtofit",
            dependencies: ["FitCore", "FitEngine", "FitOpenCL", "FitBench", "TAMData", "Pipeline", "Transport", "Acquisition", "Simulation", "TextInput", "ModelLanguage",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: fastMath),
        // Throughput benchmarks with their targets (see benchmarks/README.md). They live in
        // benchmarks/ and depend on nothing a user of the library would inherit.
        .executableTarget(
            name: "FemtofitBenchmarks",
            dependencies: ["FitCore", "FitCPU", "FitEngine", "FitOpenCL", "FitBench", "Acquisition", "TAMData", "Pipeline", "Simulation",
                           "ModelLanguage", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "benchmarks/Sources/FemtofitBenchmarks",
            swiftSettings: fastMath),

        // Helpers the test targets share (fresh seeds); not part of any product.
        .target(name: "FemtofitTestSupport", dependencies: ["FitCore", "ModelLanguage"], path: "Tests/FemtofitTestSupport"),
        .testTarget(name: "FitCoreTests", dependencies: ["FitCore", "FemtofitTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "ModelLanguageTests", dependencies: ["ModelLanguage", "FitCore", "FemtofitTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "FitCPUTests", dependencies: ["FitCore", "FitCPU", "FitEngine", "ModelLanguage", "FemtofitTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "FitOpenCLTests", dependencies: ["FitCore", "FitOpenCL", "FitEngine", "ModelLanguage", "FemtofitTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "TAMDataTests", dependencies: ["TAMData", "Pipeline", "Simulation", "FitCore", "FitEngine", "FemtofitTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Simulation", "TAMData", "Transport", "FitCore", "FitEngine", "FemtofitTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "AcquisitionTests", dependencies: ["Acquisition", "TAMData", "Pipeline", "FitEngine"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TextInput", "FitCore", "FemtofitTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "femtofitTests", dependencies: ["femtofit", "TAMData", "FemtofitTestSupport"]),
        // Compiles a C program against the C API's headers and runs it on the built library.
        .testTarget(name: "CABITests", dependencies: ["FitCore", "FitEngine", "FemtofitTestSupport"],
                    exclude: ["c"], swiftSettings: fastMath),
        // The built C library loaded in-process (dlopen), its contexts used across threads (run
        // under the sanitizers by scripts/hardening). Not linked: FemtofitABI links the Swift
        // runtime statically, which the test binary cannot.
        .testTarget(name: "CAPIThreadTests", dependencies: ["CFemtofit", "FemtofitTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
