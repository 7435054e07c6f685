import COpenCL

/// One OpenCL device and what `femtofit devices` shows of it.
public struct OpenCLDevice: Sendable, Equatable {
    public enum Kind: String, Sendable { case gpu, cpu, accelerator, other }
    public let index: Int
    public let platformName: String
    public let platformVersion: String
    public let name: String
    public let vendor: String
    public let kind: Kind
    public let computeUnits: Int
    public let globalMemoryBytes: UInt64
    public let maxAllocationBytes: UInt64
    public let supportsDouble: Bool
    public let localMemoryBytes: UInt64
    public let maxWorkGroupSize: Int
    /// The maximum clock frequency, MHz (0 when the driver does not say).
    public let clockMHz: Int
    /// Whether the device works in host memory (CPU devices, integrated GPUs): buffers are then
    /// mapped rather than copied (`ChunkSlot.Transfer`).
    public let hostUnifiedMemory: Bool
    public let driverVersion: String
    public let deviceVersion: String
    let id: UInt  // cl_device_id as a number: devices are process-lifetime objects

    var handle: cl_device_id? { cl_device_id(bitPattern: id) }

    /// Every device of every platform, numbered from 0 in that order.
    public static func all(_ library: OpenCLLibrary) throws(OpenCLError) -> [OpenCLDevice] {
        var count: cl_uint = 0
        let status = library.getPlatformIDs(0, nil, &count)
        if status == -1001 || count == 0 { throw OpenCLError.noPlatform }
        try OpenCLLibrary.check(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(count))
        try OpenCLLibrary.check(library.getPlatformIDs(count, &platforms, nil), "clGetPlatformIDs")
        var devices: [OpenCLDevice] = []
        for platform in platforms {
            let platformName = platformString(library, platform, cl_platform_info(CL_PLATFORM_NAME))
            let platformVersion = platformString(library, platform, cl_platform_info(CL_PLATFORM_VERSION))
            var deviceCount: cl_uint = 0
            guard library.getDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount) == CL_SUCCESS, deviceCount > 0 else { continue }
            var ids = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            try OpenCLLibrary.check(library.getDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &ids, nil), "clGetDeviceIDs")
            for id in ids {
                let type: cl_device_type = value(library, id, cl_device_info(CL_DEVICE_TYPE), 0)
                let kind: Kind = type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 ? .gpu
                    : type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 ? .cpu
                    : type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 ? .accelerator : .other
                let fp64: cl_device_fp_config = value(library, id, cl_device_info(CL_DEVICE_DOUBLE_FP_CONFIG), 0)
                let units: cl_uint = value(library, id, cl_device_info(CL_DEVICE_MAX_COMPUTE_UNITS), 0)
                devices.append(OpenCLDevice(
                    index: devices.count, platformName: platformName, platformVersion: platformVersion,
                    name: deviceString(library, id, cl_device_info(CL_DEVICE_NAME)),
                    vendor: deviceString(library, id, cl_device_info(CL_DEVICE_VENDOR)),
                    kind: kind, computeUnits: Int(units),
                    globalMemoryBytes: value(library, id, cl_device_info(CL_DEVICE_GLOBAL_MEM_SIZE), 0),
                    maxAllocationBytes: value(library, id, cl_device_info(CL_DEVICE_MAX_MEM_ALLOC_SIZE), 0),
                    supportsDouble: fp64 != 0,
                    localMemoryBytes: value(library, id, cl_device_info(CL_DEVICE_LOCAL_MEM_SIZE), 0),
                    maxWorkGroupSize: value(library, id, cl_device_info(CL_DEVICE_MAX_WORK_GROUP_SIZE), 0),
                    clockMHz: Int(value(library, id, cl_device_info(CL_DEVICE_MAX_CLOCK_FREQUENCY), cl_uint(0))),
                    hostUnifiedMemory: value(library, id, cl_device_info(CL_DEVICE_HOST_UNIFIED_MEMORY), cl_bool(0)) != 0,
                    driverVersion: deviceString(library, id, cl_device_info(CL_DRIVER_VERSION)),
                    deviceVersion: deviceString(library, id, cl_device_info(CL_DEVICE_VERSION)),
                    id: UInt(bitPattern: id)))
            }
        }
        if devices.isEmpty { throw OpenCLError.noPlatform }
        return devices
    }

    /// The device `auto` picks: the first GPU with the most compute units, else the first device.
    public static func automatic(among devices: [OpenCLDevice]) -> OpenCLDevice? {
        devices.filter { $0.kind == .gpu }.max { $0.computeUnits < $1.computeUnits } ?? devices.first
    }

    /// Chooses a device by index ("1"), type ("gpu", "cpu") or a case-insensitive part of its name.
    public static func select(_ selector: String?, among devices: [OpenCLDevice]) throws(OpenCLError) -> OpenCLDevice {
        guard let selector, !selector.isEmpty, selector != "auto" else {
            guard let device = automatic(among: devices) else { throw OpenCLError.noPlatform }
            return device
        }
        if let index = Int(selector) {
            guard devices.indices.contains(index) else { throw OpenCLError.noDevice("index \(index) (there are \(devices.count))") }
            return devices[index]
        }
        if let kind = Kind(rawValue: selector.lowercased()), let device = devices.first(where: { $0.kind == kind }) { return device }
        if let device = devices.first(where: { $0.name.lowercased().contains(selector.lowercased()) }) { return device }
        throw OpenCLError.noDevice("\"\(selector)\"")
    }

    static func platformString(_ library: OpenCLLibrary, _ platform: cl_platform_id?, _ info: cl_platform_info) -> String {
        var size = 0
        guard library.getPlatformInfo(platform, info, 0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        _ = library.getPlatformInfo(platform, info, size, &bytes, nil)
        return String(cString: bytes).trimmingWhitespace
    }

    static func deviceString(_ library: OpenCLLibrary, _ device: cl_device_id?, _ info: cl_device_info) -> String {
        var size = 0
        guard library.getDeviceInfo(device, info, 0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        _ = library.getDeviceInfo(device, info, size, &bytes, nil)
        return String(cString: bytes).trimmingWhitespace
    }

    static func value<T>(_ library: OpenCLLibrary, _ device: cl_device_id?, _ info: cl_device_info, _ fallback: T) -> T {
        var result = fallback
        let status = withUnsafeMutableBytes(of: &result) { library.getDeviceInfo(device, info, $0.count, $0.baseAddress, nil) }
        return status == CL_SUCCESS ? result : fallback
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" { s.removeLast() }
        return String(s)
    }
}
