/// Why a store cannot be used, in words that name the file and what to do.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Equatable {
        /// The file or its folder cannot be created.
        case cannotCreate
        /// The file exists but cannot be written (permissions, read-only or full disk, size limit).
        case unwritable
        /// The file is not a Beacon store (another program's database, or not a database at all).
        case notAStore
        /// A newer Beacon wrote it with a schema this one does not know.
        case newerSchema
        /// The file is damaged.
        case corrupt
        /// A read or write failed while running.
        case io
        /// The database server cannot be reached, refuses the login, or has no such database.
        case cannotConnect
    }

    public var kind: Kind
    /// The whole message: the file, what is wrong, what to do.
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
