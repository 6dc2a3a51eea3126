import Foundation

/// A name for this process instance: `<hostname>-<pid>`, unless configured.
public enum InstanceName {
    /// The default instance name.
    public static var `default`: String {
        "\(ProcessInfo.processInfo.hostName.split(separator: ".").first ?? "host")-\(ProcessInfo.processInfo.processIdentifier)"
    }
}
