import Foundation
import Testing

/// `--token-file`: bearer tokens on every route but /healthz.
@Suite struct TokenFileTests {
    @Test func routesNeedATokenFromTheFile() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("p.lua", #"schedule = "1h" function check_status() return 1 end"#)
        let tokens = folder.url.appendingPathComponent("tokens.txt")
        try "# operators\n\nsecret-one\n  secret-two  \n".write(to: tokens, atomically: true, encoding: .utf8)
        let server = try BeaconProcess(plugins: folder.url, extraArguments: ["--token-file", tokens.path])
        defer { server.stop() }

        #expect(try httpGet(port: server.port, "/healthz").status == 200)
        let refused = try httpGet(port: server.port, "/plugins")
        #expect(refused.status == 401)
        #expect(refused.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(try httpGet(port: server.port, "/plugins", headers: ["Authorization: Bearer secret-one"]).status == 200)
        #expect(try httpGet(port: server.port, "/plugins", headers: ["Authorization: Bearer secret-two"]).status == 200)
        #expect(try httpGet(port: server.port, "/plugins", headers: ["Authorization: Bearer secret"]).status == 401)

        let stream = try TestConnection(port: server.port)
        try stream.get("/events/p?access_token=secret-one")
        #expect(try stream.readHead().status == 200)
        #expect(stream.nextEvent(seconds: 5)?.data == "1")
    }

    @Test func aMissingTokenFileStopsTheStart() throws {
        let result = try BeaconCommand.run(["serve", "--port", "0", "--plugins", NSTemporaryDirectory(),
                                            "--token-file", "/nonexistent/tokens"])
        #expect(result.status != 0)
        #expect(result.errors.contains("/nonexistent/tokens"), "\(result.errors)")
    }
}
