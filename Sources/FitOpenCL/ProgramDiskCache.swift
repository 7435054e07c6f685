import Foundation

/// Compiled OpenCL programs on disk, so the second run of the CLI pays no build cost. An entry
/// is keyed by a 64-bit FNV-1a hash of the device name, platform and driver versions, the build
/// options and the source; it holds the device binary, written atomically. A binary the driver
/// refuses (a driver update it did not see, a corrupt file) is rebuilt from source.
///
/// The folder is `FEMTOFIT_CACHE_DIR`, else `$XDG_CACHE_HOME/femtofit/opencl`, else
/// `~/.cache/femtofit/opencl`; `FEMTOFIT_CACHE_DIR=off` turns the cache off. It stays bounded:
/// storing an entry removes those unused for `maximumAge` and then the least recently used while
/// the folder holds more than `maximumBytes` (a load marks an entry used).
public struct ProgramDiskCache: Sendable {
    public let folder: URL
    public var maximumAge: TimeInterval = 30 * 24 * 3600
    public var maximumBytes = 256 << 20

    public init(folder: URL) { self.folder = folder }

    /// The cache the environment asks for, or nil when it is off or no folder is known.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfoEnvironment.current) -> ProgramDiskCache? {
        if let explicit = environment["FEMTOFIT_CACHE_DIR"] {
            return explicit == "off" || explicit.isEmpty ? nil : ProgramDiskCache(folder: URL(fileURLWithPath: explicit))
        }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return ProgramDiskCache(folder: URL(fileURLWithPath: xdg).appendingPathComponent("femtofit/opencl"))
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return ProgramDiskCache(folder: URL(fileURLWithPath: home).appendingPathComponent(".cache/femtofit/opencl"))
    }

    /// The file for one (device, options, source).
    public func file(device: OpenCLDevice, options: String, source: String) -> URL {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in [device.name, device.platformVersion, device.driverVersion, device.deviceVersion, options, source] {
            for byte in part.utf8 + [0] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        return folder.appendingPathComponent(String(format: "%016llx", hash) + ".bin")
    }

    public func load(_ file: URL) -> [UInt8]? {
        guard let data = try? Data(contentsOf: file), !data.isEmpty else { return nil }
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file.path)  // last use
        return [UInt8](data)
    }

    /// Writes atomically (a temporary file renamed into place), then prunes; a failure only costs
    /// the cache.
    public func store(_ binary: [UInt8], at file: URL) {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? Data(binary).write(to: file, options: .atomic)
        prune(keeping: file)
    }

    /// Removes the entries unused for `maximumAge`, then the least recently used while the
    /// folder holds more than `maximumBytes`; `kept` (the entry just stored) always stays.
    public func prune(keeping kept: URL? = nil, now: Date = Date()) {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: folder.path) else { return }
        let entries = names.filter { $0.hasSuffix(".bin") }.compactMap { name -> (url: URL, used: Date, bytes: Int)? in
            let url = folder.appendingPathComponent(name)
            guard let attributes = try? manager.attributesOfItem(atPath: url.path),
                  let used = attributes[.modificationDate] as? Date else { return nil }
            return (url, used, (attributes[.size] as? NSNumber)?.intValue ?? 0)
        }.sorted { $0.used > $1.used }
        var total = 0
        for entry in entries {
            total += entry.bytes
            let unwanted = now.timeIntervalSince(entry.used) > maximumAge || total > maximumBytes
            if unwanted && entry.url.lastPathComponent != kept?.lastPathComponent { try? manager.removeItem(at: entry.url) }
        }
    }
}
