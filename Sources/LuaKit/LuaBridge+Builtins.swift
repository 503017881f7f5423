import CLua
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LuaBridge {
    /// beacon.json.encode(value) → string, raising on a value JSON cannot hold.
    func jsonEncode(_ state: OpaquePointer) -> Int32 {
        let limit = limits.memoryBytes > 0 ? limits.memoryBytes : Int.max
        var encoder = LuaStackEncoder(state: state, limit: limit)
        do {
            try encoder.encode(at: 1)
        } catch {
            return raise("beacon.json.encode: " + error.message(root: "value"))
        }
        var tape = LuaTapeWriter(count: 1)
        encoder.writer.bytes.withUnsafeBytes { tape.appendString(bytes: $0) }
        return answer(tape.bytes)
    }

    /// beacon.json.decode(text) → value, or nil and a message.
    func jsonDecode(_ state: OpaquePointer) -> Int32 {
        guard lua_type(state, 1) == LUA_TSTRING else {
            let got = LuaStack.typeName(state, lua_type(state, 1))
            return answer(failure("beacon.json.decode: expected a string, got \(got)"))
        }
        let value: LuaValue
        do {
            value = try LuaJSON.decode(Array(LuaStack.stringBytes(state, 1)))
        } catch {
            return answer(failure(error.message))
        }
        guard let tape = LuaTapeWriter.tape([value]) else {
            return answer(failure("invalid JSON: nested too deeply"))
        }
        return answer(tape)
    }

    /// beacon.read_file(path) → contents, or nil and a message.
    func readFile(_ state: OpaquePointer) -> Int32 {
        guard lua_type(state, 1) == LUA_TSTRING else {
            let got = LuaStack.typeName(state, lua_type(state, 1))
            return raise("bad argument #1 to 'read_file' (string expected, got \(got))")
        }
        let pathBytes = LuaStack.stringBytes(state, 1)
        let path = String(decoding: pathBytes, as: UTF8.self)
        guard !pathBytes.contains(0) else { return answer(failure("\(path): invalid file name")) }
        let limit = limits.memoryBytes > 0 ? limits.memoryBytes : Int.max
        switch Self.contents(of: path, limit: limit) {
        case .success(let bytes):
            var tape = LuaTapeWriter(count: 1)
            bytes.withUnsafeBytes { tape.appendString(bytes: $0) }
            return answer(tape.bytes)
        case .failure(let reason):
            return answer(failure("\(path): \(reason.text)"))
        }
    }

    private func failure(_ message: String) -> [UInt8] {
        LuaTapeWriter.tape([.nil, .string(message)]) ?? []
    }

    private struct ReadFailure: Error {
        var text: String
    }

    /// Reads a regular file without blocking on FIFOs or devices, refusing files over `limit`.
    private static func contents(of path: String, limit: Int) -> Result<[UInt8], ReadFailure> {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(ReadFailure(text: systemError())) }
        defer { _ = close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(ReadFailure(text: systemError())) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return .failure(ReadFailure(text: "not a regular file")) }
        guard status.st_size <= limit else {
            return .failure(ReadFailure(text: "file is \(status.st_size) bytes; the limit is \(limit)"))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(text: systemError()))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { return .failure(ReadFailure(text: "file is larger than \(limit) bytes")) }
        }
        return .success(bytes)
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
