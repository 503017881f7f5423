/// The plugin-name rule, written out again on purpose (not Beacon's own check).
enum PluginNames {
    /// `[A-Za-z0-9_-]+`.
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "_", "-": return true
                default: return false
                }
            }
    }
}
