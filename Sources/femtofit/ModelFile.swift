import Acquisition
import ModelLanguage

/// A runtime model's TOML file (docs/models.md) read into a `ModelDefinition`; unknown keys and
/// wrong types are refused with the file and key.
enum ModelFile {
    static func read(_ path: String) throws -> ModelDefinition {
        let config = try ConfigTable.load(path)
        func required(_ key: String) throws -> String {
            guard let value = try config.text(key) else { throw config.error(key, "is missing") }
            return value
        }
        func names(_ key: String) throws -> [String] {
            guard let value = config.raw(key) else { throw config.error(key, "is missing; give a list of names in quotes") }
            guard case .array(let items) = value else { throw config.error(key, "must be a list of names in quotes, not \(value)") }
            return try items.map { item in
                guard case .text(let name) = item else { throw config.error(key, "must be a list of names in quotes") }
                return name
            }
        }
        var definition = ModelDefinition(name: try required("name"), coordinates: try names("coordinates"),
                                         parameters: try names("parameters"), expression: try required("expression"))
        if let start = try config.table("start") {
            for key in start.keys { definition.start[key] = try start.text(key) }
        }
        if let bounds = try config.table("bounds") {
            for key in bounds.keys {
                guard case .array(let items)? = bounds.raw(key), items.count == 2 else {
                    throw bounds.error(key, "must be [lower, upper], numbers or \"inf\" / \"-inf\"")
                }
                let values = try items.map { item -> Double in
                    switch item {
                    case .integer(let n): return Double(n)
                    case .real(let x) where !x.isNaN: return x
                    case .text("inf"), .text("+inf"): return .infinity
                    case .text("-inf"): return -.infinity
                    default: throw bounds.error(key, "must be [lower, upper], numbers or \"inf\" / \"-inf\"")
                    }
                }
                guard values[0] <= values[1] else { throw bounds.error(key, "has its lower bound \(values[0]) above its upper \(values[1])") }
                definition.bounds[key] = values[0]...values[1]
            }
        }
        if let positions = try config.table("positions") {
            var named: [String: String] = [:]
            for key in positions.keys { named[key] = try positions.text(key) }
            definition.positions = named
        }
        try config.rejectUnknownKeys()
        return definition
    }
}
