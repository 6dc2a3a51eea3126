import ArgumentParser
import CoinDailyGateway
import CoinDailyService

/// The gateway's resume and Socket.IO recovery flags (each with an environment variable).
struct DeliveryOptions: ParsableArguments {
    @Option(help: "Read the event history for positions, since and Socket.IO recovery: on/off (GATEWAY_HISTORY).")
    var history: String = Env.string("GATEWAY_HISTORY", "on")
    @Option(help: "Most events one resume replays (GATEWAY_MAX_REPLAY).")
    var maxReplay: Int = Env.int("GATEWAY_MAX_REPLAY", 5000)
    @Option(help: "Give up a resume after this long, ms (GATEWAY_RESUME_TIMEOUT_MS).")
    var resumeTimeoutMs: Int = Env.int("GATEWAY_RESUME_TIMEOUT_MS", 5000)
    @Option(help: "Live events held per connection during a resume (GATEWAY_MAX_HELD_EVENTS).")
    var maxHeldEvents: Int = Env.int("GATEWAY_MAX_HELD_EVENTS", 10_000)
    @Option(help: "Socket.IO connection state recovery: on/off (SOCKETIO_RECOVERY).")
    var socketIORecovery: String = Env.string("SOCKETIO_RECOVERY", "on")
    @Option(help: "Socket.IO recovery window, ms (SOCKETIO_RECOVERY_WINDOW_MS).")
    var socketIORecoveryWindowMs: Int = Env.int("SOCKETIO_RECOVERY_WINDOW_MS", 120_000)

    func validate() throws {
        guard ["on", "off"].contains(history), ["on", "off"].contains(socketIORecovery) else {
            throw ValidationError("--history and --socket-io-recovery take on or off")
        }
        guard maxReplay > 0, resumeTimeoutMs > 0, maxHeldEvents > 0, socketIORecoveryWindowMs > 0 else {
            throw ValidationError("delivery settings must be positive")
        }
    }

    /// The settings.
    var settings: DeliverySettings {
        var settings = DeliverySettings()
        settings.historyEnabled = history == "on"
        settings.maxReplay = maxReplay
        settings.resumeTimeout = .milliseconds(resumeTimeoutMs)
        settings.maxHeldEvents = maxHeldEvents
        settings.socketIORecovery = socketIORecovery == "on"
        settings.socketIORecoveryWindow = .milliseconds(socketIORecoveryWindowMs)
        return settings
    }
}
