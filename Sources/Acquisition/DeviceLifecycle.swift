/// The lifecycle every device goes through, in the order of the acquisition frameworks labs use
/// (PyMoDAQ, Micro-Manager, ophyd; docs/reference.md §6): connect, configure, arm, start, stop, close.
/// A device may be configured again after it is stopped, and closed from any state.
public enum LifecycleState: String, Sendable, Equatable, CaseIterable {
    case closed, connected, configured, armed, running

    /// The states from which `step` may be taken, and where it leads.
    static func transition(_ step: LifecycleStep, from state: LifecycleState) -> LifecycleState? {
        switch (step, state) {
        case (.connect, .closed): return .connected
        case (.configure, .connected), (.configure, .configured), (.configure, .armed): return .configured
        case (.arm, .configured): return .armed
        case (.start, .armed): return .running
        case (.stop, .running), (.stop, .armed): return .configured
        case (.close, _): return .closed
        default: return nil
        }
    }
}

public enum LifecycleStep: String, Sendable, CaseIterable {
    case connect, configure, arm, start, stop, close
}

/// A device's place in its lifecycle; refuses a step out of order with an error naming the
/// device, the step and the state, so a sequencer bug cannot move hardware that is not ready.
public struct Lifecycle: Sendable, Equatable {
    public let device: String
    public private(set) var state: LifecycleState = .closed

    public init(device: String) { self.device = device }

    /// Takes `step`, or throws without changing the state.
    public mutating func take(_ step: LifecycleStep) throws {
        guard let next = LifecycleState.transition(step, from: state) else {
            throw AcquisitionError(device, "cannot \(step.rawValue) while \(state.rawValue); the order is connect, configure, arm, start, stop, close")
        }
        state = next
    }

    /// Throws unless the device is in one of `states` (for operations such as moves or reads).
    public func require(_ states: Set<LifecycleState>, for operation: String) throws {
        guard states.contains(state) else {
            let allowed = LifecycleState.allCases.filter { states.contains($0) }.map(\.rawValue).joined(separator: " or ")
            throw AcquisitionError(device, "cannot \(operation) while \(state.rawValue); it must be \(allowed)")
        }
    }
}

/// What every device protocol shares: a name and the lifecycle steps.
public protocol Device: AnyObject {
    /// How errors and dataset.json name it ("camera", "delay stage").
    var name: String { get }
    var lifecycle: Lifecycle { get }
    /// Its settings, typed, with units and limits, for dataset.json.
    var settings: [Setting] { get }
    func connect() throws
    /// Applies `values` (by setting name), each checked against its limits first.
    func configure(_ values: [String: SettingValue]) throws
    func arm() throws
    func start() throws
    func stop() throws
    func close() throws
}
