import LuaKit

/// The Lua → JSON fuzz target: a ``LuaProgram`` generated from the bytes runs in a real
/// sandbox; its `check_status()` result is encoded by ``LuaSandbox/call(_:deadline:)`` and
/// must match the model's JSON byte for byte, or be refused with a typed error exactly when the
/// model says so. The same value read as a global and encoded with ``LuaJSON``, and
/// `beacon.json.encode` inside Lua, must give JSON or a typed error. The bytes are also parsed
/// as JSON text by ``LuaJSON/decode(_:)``.
public enum LuaJSONFuzz {
    /// Runs `input`; throws the first broken invariant.
    public static func check(_ input: [UInt8]) throws(FuzzViolation) {
        try self.checkDecode(input)
        let program = LuaProgram(input)
        let sandbox: LuaSandbox
        do {
            sandbox = try LuaSandbox(
                limits: LuaLimits(memoryBytes: 64 << 20, maxResultBytes: program.resultLimit), environment: LuaEnvironment())
        } catch {
            throw FuzzViolation("cannot create a sandbox: \(error)")
        }
        defer { sandbox.close(deadline: .after(seconds: 1)) }
        do {
            try sandbox.run(source: Array(program.source.utf8), chunkName: "fuzz.lua", deadline: .after(seconds: 5))
            if program.raises { throw FuzzViolation("the program ran, but the model expected a nil or NaN key error") }
        } catch let error as LuaError {
            guard error.kind == .error, program.raises else {
                throw FuzzViolation("the program failed unexpectedly: \(error)\n\(program.source.prefix(4000))")
            }
            return
        } catch let error as FuzzViolation {
            throw error
        } catch {
            throw FuzzViolation("unexpected error \(error)")
        }
        do {
            try self.checkResult(sandbox, program)
            try self.checkGlobal(sandbox)
        } catch {
            throw FuzzViolation("\(error.message)\nthe program (limit \(program.resultLimit) bytes):\n\(program.source.prefix(4000))")
        }
    }

    /// `check_status()`'s result against the model.
    private static func checkResult(_ sandbox: LuaSandbox, _ program: LuaProgram) throws(FuzzViolation) {
        let expected = LuaModelJSON.expected(program.value, in: program.model, limit: program.resultLimit)
        let json: [UInt8]
        do {
            json = try sandbox.call("check_status", deadline: .after(seconds: 5)).json
        } catch {
            guard error.kind == .badResult else { throw FuzzViolation("check_status() failed with \(error)") }
            if let expected {
                throw FuzzViolation(
                    "refused (\(error.message)) but the model encodes it as \(ResponseScanner.show(expected[...]))")
            }
            return
        }
        guard let expected else {
            throw FuzzViolation("encoded as \(ResponseScanner.show(json[...])) but the model refuses it")
        }
        guard json == expected else {
            throw FuzzViolation(
                "encoded as \(ResponseScanner.show(json[...])), the model says \(ResponseScanner.show(expected[...]))")
        }
        try self.checkJSON(json, limit: program.resultLimit, "the result")
    }

    /// The same value through the host-function path: read as a `LuaValue`, encoded by `LuaJSON`.
    private static func checkGlobal(_ sandbox: LuaSandbox) throws(FuzzViolation) {
        do {
            let json = try LuaJSON.encode(sandbox.global("value"))
            try self.checkJSON(json, limit: Int.max, "LuaJSON.encode(value)")
        } catch let error as LuaError {
            guard error.kind == .badResult else { throw FuzzViolation("LuaJSON.encode failed with \(error)") }
        } catch let error as FuzzViolation {
            throw error
        } catch {
            throw FuzzViolation("unexpected error \(error)")
        }
        switch sandbox.global("encoded") {
        case .string(let text):
            try self.checkJSON(Array(text.utf8), limit: Int.max, "beacon.json.encode(value)")
        case .boolean(false):
            break
        case let other:
            throw FuzzViolation("beacon.json.encode gave \(other)")
        }
    }

    /// Past this, the JSON of the unlimited paths is not parsed back (it costs more than it finds).
    static let maxCheckedBytes = 256 << 10

    /// Compact, valid JSON within the limit, that decodes and encodes back to the same bytes.
    private static func checkJSON(_ json: [UInt8], limit: Int, _ what: String) throws(FuzzViolation) {
        guard json.count <= limit else { throw FuzzViolation("\(what) is \(json.count) bytes; the limit is \(limit)") }
        guard json.count <= self.maxCheckedBytes else { return }
        guard !json.contains(where: { $0 == 0x0A || $0 == 0x0D }) else {
            throw FuzzViolation("\(what) holds a raw line break")
        }
        guard JSONCheck.isValid(json) else { throw FuzzViolation("\(what) is not JSON: \(ResponseScanner.show(json[...]))") }
        do {
            let again = try LuaJSON.encode(LuaJSON.decode(json))
            guard again == json else {
                throw FuzzViolation("\(what) decodes and encodes to \(ResponseScanner.show(again[...]))")
            }
        } catch let error as LuaError {
            throw FuzzViolation("\(what) does not go through LuaJSON.decode and encode: \(error)")
        } catch let error as FuzzViolation {
            throw error
        } catch {
            throw FuzzViolation("unexpected error \(error)")
        }
    }

    /// The input as JSON text: Beacon's parser accepts it or says where it is wrong; what it
    /// accepts encodes to JSON (or is refused, e.g. for numbers past a double) and reaches a
    /// fixed point after one round.
    private static func checkDecode(_ input: [UInt8]) throws(FuzzViolation) {
        guard let value = try? LuaJSON.decode(input) else { return }
        guard let json = try? LuaJSON.encode(value) else { return }
        guard JSONCheck.isValid(json) else {
            throw FuzzViolation("decoded JSON re-encodes to invalid JSON: \(ResponseScanner.show(json[...]))")
        }
        guard let again = try? LuaJSON.decode(json), again == value else {
            throw FuzzViolation("decoded JSON does not survive a second round: \(ResponseScanner.show(json[...]))")
        }
    }
}
