/// Why a transport analysis cannot be made, in words that say what to do.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    case notEnoughFrames(String)
    case badSetting(String)
    case badInput(String)
    /// An output could not be written (exit 74, not the input's fault).
    case cannotWrite(String)
    public var description: String {
        switch self {
        case .notEnoughFrames(let m), .badSetting(let m), .badInput(let m), .cannotWrite(let m): return m
        }
    }
}
