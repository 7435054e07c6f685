// swift-tools-version:6.0
// libFuzzer targets for femtofit's readers and its C API, built by scripts/hardening with
//   swift build --package-path Fuzz -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
// (swiftc keeps only its last -sanitize=, so the combined flag is what gives Swift code coverage).
// Each target depends on the fewest femtofit modules it needs. This package is never built by
// `swift build` or `swift test` of the main package (CI), only by scripts/hardening.
import PackageDescription

let package = Package(
    name: "femtofit-fuzz",
    dependencies: [.package(name: "femtofit", path: "..")],
    targets: [
        .executableTarget(name: "FuzzTIFF", dependencies: [.product(name: "TAMData", package: "femtofit")]),
        .executableTarget(name: "FuzzDataset", dependencies: [.product(name: "TAMData", package: "femtofit")]),
        .executableTarget(name: "FuzzConfig", dependencies: [.product(name: "Acquisition", package: "femtofit")]),
        .executableTarget(name: "FuzzText", dependencies: [.product(name: "Transport", package: "femtofit"),
                                                           .product(name: "TAMData", package: "femtofit")]),
        .executableTarget(name: "FuzzCAPI", dependencies: [.product(name: "femtofit_c", package: "femtofit")]),
        .executableTarget(name: "FuzzModel", dependencies: [.product(name: "ModelLanguage", package: "femtofit"),
                                                            .product(name: "FitEngine", package: "femtofit")]),
    ],
    swiftLanguageModes: [.v5]
)
