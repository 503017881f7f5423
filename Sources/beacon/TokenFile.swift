import Foundation

/// `--token-file`: bearer tokens, one per line; blank lines and lines starting with `#` are skipped.
enum TokenFile {
    static func read(path: String) -> Result<[String], TokenFileError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(TokenFileError(message: "cannot read the token file \(path); check that it exists and is readable"))
        }
        let tokens = String(decoding: data, as: UTF8.self)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !tokens.isEmpty else {
            return .failure(TokenFileError(message: "the token file \(path) holds no token; put one per line"))
        }
        return .success(tokens)
    }
}

struct TokenFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
