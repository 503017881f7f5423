/// A Lua program generated from fuzz bytes, with the model of what it builds.
///
/// The program fills a few tables with `rawset` (so metatables never change what is stored),
/// may give them metatables, nest them deeply, share them and make cycles, then sets the
/// globals `value` and `name` and defines `check_status()` returning both. It also encodes
/// `value` with `beacon.json.encode` into the global `encoded` (false when refused).
struct LuaProgram {
    var source: String
    var model: LuaModel
    /// The model of `value` (what `check_status()` returns first).
    var value: LuaModel.Value
    /// The program raises before `check_status` is defined (a nil or NaN table key).
    var raises: Bool
    /// The result size limit the sandbox gets.
    var resultLimit: Int

    static let maxStatements = 48
    /// Longest run of keys `1..n` one statement sets.
    static let maxFill = 1000
    static let resultLimits = [64 << 10, 4096, 256, 16]

    init(_ input: [UInt8]) {
        var builder = LuaProgramBuilder(FuzzBytes(input))
        self.resultLimit = Self.resultLimits[builder.bytes.choice(Self.resultLimits.count)]
        builder.build()
        self.source = builder.lines.joined(separator: "\n") + "\n"
        self.model = builder.model
        self.value = builder.root
        self.raises = builder.raises
    }
}
