import Testing

/// Every suite of this target, one test at a time: they start servers, hundreds of connections
/// and dozens of children, and the tests of the other targets run beside them in the same
/// process.
@Suite(.serialized) enum HostFunctionTests {}
