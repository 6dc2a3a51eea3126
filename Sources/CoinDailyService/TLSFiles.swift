import NIOSSL

/// Where a server's TLS certificate chain and private key live: two PEM files.
///
/// A value type only naming the files; ``ReloadableTLSContext`` reads them (and re-reads them when
/// they change).
public struct TLSFiles: Sendable, Hashable {
    /// The certificate chain, PEM (the server certificate first, then intermediates).
    public var certificatePath: String
    /// The private key of the first certificate, PEM (unencrypted).
    public var privateKeyPath: String

    /// Names the two files.
    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }

    /// The files from two optional settings (flags or environment variables): `nil` when neither is set.
    ///
    /// - Throws: ``TLSContextError/incompleteConfiguration`` when only one of them is set.
    public static func from(certificatePath: String?, privateKeyPath: String?) throws(TLSContextError) -> TLSFiles? {
        let cert = certificatePath.flatMap { $0.isEmpty ? nil : $0 }
        let key = privateKeyPath.flatMap { $0.isEmpty ? nil : $0 }
        switch (cert, key) {
        case (nil, nil): return nil
        case (let cert?, let key?): return TLSFiles(certificatePath: cert, privateKeyPath: key)
        default: throw .incompleteConfiguration
        }
    }

    /// Reads both files into a server `NIOSSLContext` (TLS 1.2 and 1.3, NIOSSL's default ciphers).
    ///
    /// - Throws: ``TLSContextError`` naming the file that could not be used.
    public func makeServerContext() throws(TLSContextError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw .unreadable(path: certificatePath, reason: "\(error)")
        }
        guard !chain.isEmpty else { throw .unreadable(path: certificatePath, reason: "no certificate in the file") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw .unreadable(path: privateKeyPath, reason: "\(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            // For example a key that does not belong to the certificate.
            throw .invalid(reason: "\(error)")
        }
    }
}
