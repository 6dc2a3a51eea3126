import Logging
import Metrics
import ServiceLifecycle

/// A bounded, ordered queue of things a producer made while Redis could not take them (periodic and
/// simulated events), sent in order once Redis answers again.
///
/// ``submit(_:)`` appends and then drains; ``drain()`` sends the oldest elements in chunks through the
/// `send` closure (a chunk that fails goes back in front), and stops at the first failure (the
/// chunk stays first in line). Only one drain runs at a time, so elements go out in submission order.
/// Beyond the capacity the oldest elements are dropped, counted in
/// `coindaily_producer_outbox_dropped_total` and logged; `coindaily_producer_outbox_size` shows the
/// length. ``run()`` retries every `retryInterval` while something waits.
public actor Outbox<Element: Sendable>: Service {
    /// Most elements kept.
    public nonisolated let capacity: Int
    private let chunkSize: Int
    private let retryInterval: Duration
    private let send: @Sendable ([Element]) async throws -> Void
    private let logger: Logger
    private let sizeGauge: Gauge
    private let droppedCounter: Counter
    private var queue: [Element] = []
    private var head = 0
    private var draining = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Elements dropped from a full outbox since the start.
    public private(set) var dropped = 0

    /// Creates an outbox.
    ///
    /// - Parameters:
    ///   - producer: the producer's name (metrics dimension); `name` tells several outboxes apart.
    ///   - capacity: most elements kept (at least 1; default 10 000).
    ///   - chunkSize: most elements per `send` call.
    ///   - send: publishes elements, in order; throws when Redis did not take them all.
    public init(
        producer: String, name: String, capacity: Int = 10_000, chunkSize: Int = 100, retryInterval: Duration = .milliseconds(500),
        logger: Logger, send: @escaping @Sendable ([Element]) async throws -> Void
    ) {
        self.capacity = max(1, capacity)
        self.chunkSize = max(1, chunkSize)
        self.retryInterval = retryInterval
        self.send = send
        self.logger = logger
        let dimensions = [("producer", producer), ("outbox", name)]
        self.sizeGauge = Gauge(label: "coindaily_producer_outbox_size", dimensions: dimensions)
        self.droppedCounter = Counter(label: "coindaily_producer_outbox_dropped_total", dimensions: dimensions)
    }

    /// Elements waiting.
    public var count: Int { queue.count - head }

    /// Appends `elements` (dropping the oldest beyond the capacity) and sends what waits.
    ///
    /// - Returns: whether the outbox is empty afterwards (everything went out).
    @discardableResult
    public func submit(_ elements: [Element]) async -> Bool {
        queue.append(contentsOf: elements)
        trim()
        return await drain()
    }

    /// Sends what waits, oldest first, until the outbox is empty or a send fails.
    ///
    /// - Returns: whether the outbox is empty afterwards. While another drain runs, waits for it and
    ///   answers what it achieved.
    @discardableResult
    public func drain() async -> Bool {
        if draining {
            await withCheckedContinuation { waiters.append($0) }
            return count == 0
        }
        draining = true
        defer {
            draining = false
            for waiter in waiters { waiter.resume() }
            waiters.removeAll()
        }
        while count > 0 {
            // The chunk leaves the queue while it is out; on failure it goes back in front.
            let end = min(queue.count, head + chunkSize)
            let chunk = Array(queue[head..<end])
            head = end
            do {
                try await send(chunk)
            } catch {
                queue.replaceSubrange(head..<head, with: chunk)
                trim()
                logger.debug("outbox not drained, retrying", metadata: ["waiting": "\(count)", "error": "\(error)"])
                return false
            }
            compact()
            sizeGauge.record(count)
        }
        sizeGauge.record(0)
        return true
    }

    /// Retries every retry interval while something waits, until graceful shutdown.
    public func run() async throws {
        let interval = retryInterval
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if await self.count > 0 { await self.drain() }
            }
        }
    }

    private func trim() {
        let excess = count - capacity
        if excess > 0 {
            head += excess
            dropped += excess
            droppedCounter.increment(by: excess)
            logger.warning("outbox full, oldest dropped", metadata: ["dropped": "\(excess)", "capacity": "\(capacity)"])
        }
        compact()
        sizeGauge.record(count)
    }

    private func compact() {
        if head > 0, head >= queue.count / 2 {
            queue.removeFirst(head)
            head = 0
        }
    }
}
