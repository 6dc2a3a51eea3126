import ArgumentParser
import CoinDailyClient
import CoinDailyProtocol
import Foundation
import NIOCore
import Synchronization

/// `coindaily`: the project's command-line client.
@main
struct CoinDailyCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily", abstract: "CoinDaily Realtime command-line client.",
        subcommands: [TokenCommand.self, ListenCommand.self])
}

/// `coindaily token`: mints a token from the running auth service and prints it.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Print a token from the auth service.")

    @Option(help: "User id (sub).") var sub: String
    @Option(help: "Comma-separated roles.") var roles: String = "user"
    @Option(help: "Lifetime in seconds.") var ttl: Int = 3600
    @Option(help: "Auth service URL (COINDAILY_AUTH_URL).")
    var authURL: String = ProcessInfo.processInfo.environment["COINDAILY_AUTH_URL"] ?? "http://127.0.0.1:4001"
    @Option(name: .customLong("admin-key"), help: "Admin API key (COINDAILY_ADMIN_KEY; default the dev key of `make run`).")
    var adminKeyFlag: String?
    /// `--admin-key`, else `COINDAILY_ADMIN_KEY`, else `make run`'s dev key (read here: `--help` prints defaults).
    var adminKey: String { adminKeyFlag ?? ProcessInfo.processInfo.environment["COINDAILY_ADMIN_KEY"] ?? "dev-admin-key" }
    @Flag(help: "Print the whole JSON answer (token, refreshToken, expiresAt).") var json = false

    func run() async throws {
        let roleList = roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let body: JSONValue = ["sub": .string(sub), "roles": .strings(roleList), "ttl": .number(Double(ttl))]
        let response = try await SimpleHTTPClient.request(
            .POST, authURL.trimmingSuffix("/") + "/v1/tokens",
            headers: [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")],
            body: JSONWriter.string(body))
        guard response.status == 200 else {
            FileHandle.standardError.write(Data("coindaily: auth service answered \(response.status): \(response.body)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            print(response.body)
        } else if let token = (try? JSONValue.parse(response.body))?["token"]?.stringValue {
            print(token)
        } else {
            throw ExitCode.failure
        }
    }
}

/// `coindaily listen`: authenticates, subscribes and prints every event as one JSON line.
struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen", abstract: "Subscribe through the gateway and print events as JSON lines.")

    @Option(help: "Gateway WebSocket URL.") var url: String = "ws://127.0.0.1:4000/ws"
    @Option(name: .customLong("token"), help: "Token (COINDAILY_TOKEN).") var tokenFlag: String?
    /// `--token`, else `COINDAILY_TOKEN` (read here, not as the flag's default, which `--help` would print).
    var token: String? { tokenFlag ?? ProcessInfo.processInfo.environment["COINDAILY_TOKEN"] }
    @Option(help: "Channel: market_sentiment, whale_activity, task_updates, pipeline_updates, budget_alerts, moderation_queue, system_health, trending_memecoins.")
    var channel: String = "market_sentiment"
    @Option(help: "Comma-separated token symbols (market_sentiment, whale_activity).") var tokens: String?
    @Option(help: "Subscription data as a JSON object, instead of --tokens.") var data: String?
    @Option(help: "Stop after this many events (0 = never).") var count: Int = 0

    func run() async throws {
        guard let token else { throw ValidationError("--token (or COINDAILY_TOKEN) is required") }
        guard ChannelKind(rawValue: channel) != nil else { throw ValidationError("unknown channel '\(channel)'") }
        var subscription: JSONValue = [:]
        if let data {
            guard let parsed = try? JSONValue.parse(data), parsed.objectValue != nil else {
                throw ValidationError("--data must be a JSON object")
            }
            subscription = parsed
        } else if let tokens {
            subscription = ["tokens": .strings(tokens.split(separator: ",").map { String($0) })]
        } else if channel == "market_sentiment" {
            subscription = ["tokens": ["BTC", "ETH", "SOL"]]
        }
        let (lines, continuation) = AsyncStream.makeStream(of: String?.self)
        let client = try await SimpleWebSocketClient.connect(
            url,
            onText: { buffer in continuation.yield(String(buffer: buffer)) },
            onClose: { code in
                FileHandle.standardError.write(Data("coindaily: connection closed (\(code.map(String.init) ?? "no code"))\n".utf8))
                continuation.yield(nil)
            })
        try await client.send(JSONWriter.string(["type": "auth", "token": .string(token)]))
        try await client.send(JSONWriter.string(["type": .string("subscribe_" + channel), "data": subscription]))
        var seen = 0
        for await line in lines {
            guard let line else { throw ExitCode.failure }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
            if let type = (try? JSONValue.parse(line))?["type"]?.stringValue, type.hasSuffix("_update") || type.hasSuffix("_alert") {
                seen += 1
                if count > 0 && seen >= count { break }
            }
        }
        await client.close()
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
