/// Why TLS files could not be used.
public enum TLSContextError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Only one of the certificate and the key was configured.
    case incompleteConfiguration
    /// A file could not be read or parsed as PEM.
    case unreadable(path: String, reason: String)
    /// The files parsed but do not make a usable server context (for example the key does not match).
    case invalid(reason: String)

    public var description: String {
        switch self {
        case .incompleteConfiguration: "TLS needs both a certificate file and a private key file"
        case .unreadable(let path, let reason): "TLS file \(path) unusable: \(reason)"
        case .invalid(let reason): "TLS certificate and key unusable together: \(reason)"
        }
    }
}
