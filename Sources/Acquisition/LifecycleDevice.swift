/// The lifecycle bookkeeping the simulated devices and the replay camera share: each step only
/// moves `lifecycle` (refusing one out of order); a subclass adds its own `configure` and
/// whatever its device does.
public class LifecycleDevice {
    /// How errors and dataset.json name it ("camera", "delay stage").
    public let name: String
    public internal(set) var lifecycle: Lifecycle

    init(name: String) {
        self.name = name
        lifecycle = Lifecycle(device: name)
    }

    public func connect() throws { try lifecycle.take(.connect) }
    public func arm() throws { try lifecycle.take(.arm) }
    public func start() throws { try lifecycle.take(.start) }
    public func stop() throws { try lifecycle.take(.stop) }
    public func close() throws { try lifecycle.take(.close) }
}
