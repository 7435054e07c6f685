#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Compiled OpenCL programs on disk, so the second run of the CLI pays no build cost. An entry
/// is keyed by a 64-bit FNV-1a hash of the device name, platform and driver versions, the build
/// options and the source; it holds the device binary, written atomically. A binary the driver
/// refuses (a driver update it did not see, a corrupt file) is rebuilt from source.
///
/// The folder is `FEMTOFIT_CACHE_DIR`, else `$XDG_CACHE_HOME/femtofit/opencl`, else
/// `~/.cache/femtofit/opencl`; `FEMTOFIT_CACHE_DIR=off` turns the cache off. It stays bounded:
/// storing an entry removes those unused for `maximumAge` and then the least recently used while
/// the folder holds more than `maximumBytes` (a load marks an entry used).
///
/// Plain POSIX file calls, not Foundation: the engine and the C library do without it
/// (docs/c-api.md). Paths are strings; times are seconds since 1970.
public struct ProgramDiskCache: Sendable {
    public let folder: String
    /// Seconds an entry may stay unused.
    public var maximumAge: Double = 30 * 24 * 3600
    public var maximumBytes = 256 << 20

    public init(folder: String) { self.folder = folder }

    /// The cache the environment asks for, or nil when it is off or no folder is known.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfoEnvironment.current) -> ProgramDiskCache? {
        if let explicit = environment["FEMTOFIT_CACHE_DIR"] {
            return explicit == "off" || explicit.isEmpty ? nil : ProgramDiskCache(folder: explicit)
        }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return ProgramDiskCache(folder: xdg + "/femtofit/opencl") }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return ProgramDiskCache(folder: home + "/.cache/femtofit/opencl")
    }

    /// The file for one (device, options, source).
    public func file(device: OpenCLDevice, options: String, source: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in [device.name, device.platformVersion, device.driverVersion, device.deviceVersion, options, source] {
            for byte in part.utf8 + [0] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)  // 16 hex digits, zero-padded
        return folder + "/" + String(repeating: "0", count: 16 - hex.count) + hex + ".bin"
    }

    /// The entry's bytes (nil when missing or empty), marking it used.
    public func load(_ file: String) -> [UInt8]? {
        let descriptor = open(file, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        guard !bytes.isEmpty else { return nil }
        _ = utimes(file, nil)  // last use: now
        return bytes
    }

    /// Writes atomically (a temporary file renamed into place), then prunes; a failure only costs
    /// the cache.
    public func store(_ binary: [UInt8], at file: String) {
        Self.makeFolders(folder)
        // A name no other process or thread uses (mkstemp), so two contexts storing the same
        // entry at once never write into one temporary file.
        var template = Array((file + ".tmp-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { return }
        let temporary = String(cString: template)
        var done = 0
        while done < binary.count {
            let count = binary.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            done += count
        }
        _ = fchmod(descriptor, 0o644)
        close(descriptor)
        guard done == binary.count, rename(temporary, file) == 0 else {
            unlink(temporary)
            return
        }
        prune(keeping: file)
    }

    /// Removes the entries unused for `maximumAge`, then the least recently used while the
    /// folder holds more than `maximumBytes`; `kept` (the entry just stored) always stays.
    /// `now`: seconds since 1970.
    public func prune(keeping kept: String? = nil, now: Double = Self.now()) {
        guard let directory = opendir(folder) else { return }
        var entries: [(name: String, used: Double, bytes: Int)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".bin") else { continue }
            var status = stat()
            guard stat(folder + "/" + name, &status) == 0 else { continue }
            #if os(Linux)
            let modified = status.st_mtim
            #else
            let modified = status.st_mtimespec
            #endif
            entries.append((name, Self.seconds(modified), Int(status.st_size)))
        }
        closedir(directory)
        let keptName = kept.map { String($0.split(separator: "/").last ?? "") }
        var total = 0
        for entry in entries.sorted(by: { $0.used > $1.used }) {
            total += entry.bytes
            let unwanted = now - entry.used > maximumAge || total > maximumBytes
            if unwanted && entry.name != keptName { unlink(folder + "/" + entry.name) }
        }
    }

    /// Seconds since 1970, now.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return seconds(time)
    }

    static func seconds(_ time: timespec) -> Double { Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9 }

    /// `mkdir -p`.
    static func makeFolders(_ path: String) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            _ = mkdir(prefix, 0o755)
        }
    }
}
