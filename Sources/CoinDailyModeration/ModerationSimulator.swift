import CoinDailyProtocol

/// A deterministic synthetic moderation feed: detectors reporting violations and two moderators
/// working through the queue.
///
/// Each call of ``next(now:)`` (about once a second) may add a report (probability
/// ``reportProbability``; severities low 40 %, medium 33 %, high 20 %, critical 7 %; confidence
/// around 0.75; violation types that fit the severity) and lets each of the two moderators either take
/// the first pending item of the queue (`under_review`) or decide the item they hold after a few
/// seconds: `confirmed` with probability equal to the detector's confidence, otherwise
/// `false_positive`. New reports pause while more than ``maxOpen`` items are open, so the queue stays
/// bounded. Violation ids are `sim-<runId>-<n>`; the same seed, `runId` and `now` values always give
/// the same inputs.
///
/// The simulator assumes every input it returns is applied; a caller that fails to deliver a batch
/// should keep the copy from before the call (it is a value type).
public struct ModerationSimulator: Sendable {
    /// The seed.
    public let seed: UInt64
    /// Distinguishes the ids of this run from a previous run's.
    public let runId: String
    /// Chance of a new report per call (default 0.35).
    public var reportProbability: Double = 0.35
    /// New reports pause while this many items are open (default 40).
    public var maxOpen: Int = 40

    private var rng: SplitMix64
    private var counter = 0
    private var open: [SimulatedViolation] = []
    private var moderators: [String?] = [nil, nil]
    private var heldSince: [Int64] = [0, 0]

    /// Creates a simulator.
    public init(seed: UInt64, runId: String) {
        self.seed = seed
        self.runId = runId
        self.rng = SplitMix64(seed: seed)
    }

    /// The violations the simulator believes are queued, in queue order.
    public var openViolationIds: [String] { open.sorted(by: SimulatedViolation.queueOrder).map(\.id) }

    static let contentTypes = ["comment", "post", "article", "message", "profile"]
    static let contentWeights: [Double] = [40, 35, 10, 10, 5]
    static let violationTypes: [Severity: [String]] = [
        .low: ["spam", "off_topic", "self_promotion"],
        .medium: ["misinformation", "harassment", "nsfw"],
        .high: ["scam", "hate_speech", "pump_and_dump", "impersonation"],
        .critical: ["phishing_link", "doxxing", "violent_threat"],
    ]

    /// The inputs of the elapsed second.
    public mutating func next(now: Int64) -> [ModerationInput] {
        var inputs: [ModerationInput] = []
        if open.count < maxOpen, rng.uniform() < reportProbability {
            inputs.append(.report(makeReport(now: now)))
        }
        for moderator in moderators.indices {
            if let held = moderators[moderator] {
                guard now - heldSince[moderator] >= 3_000, rng.uniform() < 0.4,
                    let index = open.firstIndex(where: { $0.id == held })
                else { continue }
                let violation = open.remove(at: index)
                let status: ModerationStatus = rng.uniform() < violation.confidence ? .confirmed : .falsePositive
                inputs.append(.statusChange(ModerationStatusChange(violationId: held, status: status)))
                moderators[moderator] = nil
            } else if rng.uniform() < 0.5 {
                let taken = Set(moderators.compactMap { $0 })
                guard let next = open.sorted(by: SimulatedViolation.queueOrder).first(where: { !taken.contains($0.id) })
                else { continue }
                inputs.append(.statusChange(ModerationStatusChange(violationId: next.id, status: .underReview)))
                moderators[moderator] = next.id
                heldSince[moderator] = now
            }
        }
        return inputs
    }

    private mutating func makeReport(now: Int64) -> ViolationReport {
        counter += 1
        let severity = Severity.allCases[rng.pick(weights: [40, 33, 20, 7])]
        let types = Self.violationTypes[severity] ?? ["spam"]
        let violationType = types[Int(rng.uniform() * Double(types.count))]
        let contentType = Self.contentTypes[rng.pick(weights: Self.contentWeights)]
        // A triangular-ish spread around 0.75, rounded to 3 decimals.
        let spread = (rng.uniform() + rng.uniform() - 1) * 0.45
        let confidence = ((min(0.999, max(0.3, 0.75 + spread))) * 1000).rounded() / 1000
        // Repeat offenders: low user numbers are drawn more often.
        let user = 1 + Int(rng.uniform() * rng.uniform() * 5000)
        let report = ViolationReport(
            violationId: "sim-\(runId)-\(counter)", userId: "user-\(user)", contentType: contentType,
            violationType: violationType, severity: severity, confidence: confidence, timestamp: now)
        open.append(SimulatedViolation(id: report.violationId, severity: severity, confidence: confidence, reportedAt: now))
        return report
    }
}
