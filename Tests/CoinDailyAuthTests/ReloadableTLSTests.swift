import CoinDailyAuthService
import CoinDailyService
import Foundation
import Logging
import Testing

@Suite("TLS for the auth service: HTTPS and certificate reload", .serialized)
struct ReloadableTLSTests {
    /// Writes a self-signed P-256 certificate for `name` into `directory` (cert.pem, key.pem).
    static func makeCertificate(_ name: String, in directory: URL) async throws -> TLSFiles {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let tmpCert = cert + ".new", tmpKey = key + ".new"
        let result = try await ProcessRunner.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", tmpKey, "-out", tmpCert, "-days", "1", "-subj", "/CN=\(name)",
        ])
        #expect(result.status == 0)
        // Replace both files by rename, as certificate tools do.
        #expect(rename(tmpKey, key) == 0 && rename(tmpCert, cert) == 0)
        return TLSFiles(certificatePath: cert, privateKeyPath: key)
    }

    /// The subject of the certificate a new connection to `port` is served.
    static func servedSubject(port: Int) async throws -> String {
        let result = try await ProcessRunner.run([
            "sh", "-c", "openssl s_client -connect 127.0.0.1:\(port) </dev/null 2>/dev/null | openssl x509 -noout -subject",
        ])
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("HTTPS is served; new files are used by the next connection; bad files keep the previous certificate")
    func servesAndReloads() async throws {
        let directory = TemporaryDirectory()
        let files = try await Self.makeCertificate("auth-one", in: directory.url)
        try await AuthServiceHarness.with { harness in
            try await harness.withApp(harness.configuration(tls: files)) { service, client in
                let tls = try #require(service.tlsContext)
                let port = try #require(client.port)
                let curl = try await ProcessRunner.run(["curl", "-ks", "https://127.0.0.1:\(port)/healthz"])
                #expect(curl.output == "ok\n")
                let plain = try await ProcessRunner.run(["curl", "-s", "http://127.0.0.1:\(port)/healthz"])
                #expect(plain.output != "ok\n")
                #expect(try await Self.servedSubject(port: port).contains("CN = auth-one"))

                // New files: picked up by the poll (200 ms in the test configuration).
                _ = try await Self.makeCertificate("auth-two", in: directory.url)
                try await harness.eventually(5, "the reload") { tls.generation == 2 }
                #expect(try await Self.servedSubject(port: port).contains("CN = auth-two"))
                let again = try await ProcessRunner.run(["curl", "-ks", "https://127.0.0.1:\(port)/healthz"])
                #expect(again.output == "ok\n")

                // Bad files: the reload fails and the previous certificate stays.
                try "not a certificate".write(toFile: files.certificatePath, atomically: true, encoding: .utf8)
                #expect(!tls.reload())
                #expect(tls.generation == 2)
                #expect(try await Self.servedSubject(port: port).contains("CN = auth-two"))
            }
        }
    }

    @Test("missing or half-configured TLS files are refused at start")
    func refusesBadConfiguration() throws {
        #expect(throws: TLSContextError.incompleteConfiguration) {
            try TLSFiles.from(certificatePath: "/tmp/cert.pem", privateKeyPath: nil)
        }
        #expect(try TLSFiles.from(certificatePath: "", privateKeyPath: nil) == nil)
        let missing = TLSFiles(certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        #expect(throws: TLSContextError.self) { try ReloadableTLSContext(files: missing, logger: Logger(label: "test")) }
    }
}
