import NIOCore

/// A producer's domain logic as the runtime sees it: validate a batch, apply it, publish the result.
public protocol IngestHandler: Sendable {
    /// Validates every item of `body` (one JSON object or an array), applies them and publishes what
    /// they cause, all or nothing.
    ///
    /// - Returns: the number of items accepted.
    /// - Throws: ``IngestError``.
    func ingest(_ body: ByteBuffer) async throws(IngestError) -> Int
}
