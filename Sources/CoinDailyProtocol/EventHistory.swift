/// The Redis side of message ids, history and resume, shared by producers (which append) and gateways
/// (which replay). See `docs/delivery.md`.
///
/// Layout (all keys in ``RedisKeys``):
/// - `cd:hist:clock` (hash `epoch`, `ms`, `seq`, `run`): the last id handed out, the history's epoch and the
///   `run_id` of the Redis process that holds it. A new epoch is made when the hash is missing (Redis lost
///   its data) and when Redis restarted from anything but an append-only file (``incarnationScript``).
/// - `cd:hist:<channel>` (stream): the channel's recent events; entry id `<ms>-<seq>` (the event's
///   position), fields `p` (the position of the channel's previous event) and `m` (the published JSON).
///   Trimmed by count and by age on every append, and expires when the channel is quiet for the age.
/// - `cd:hist:last:<channel>` (string, position): the channel's last event, kept when its stream expires or
///   is trimmed, so a resume can tell "nothing happened" from "what happened is gone". It expires
///   ``lastPositionTTLMillis`` (or the history's age, if longer) after the channel's last event, so quiet
///   channels (per-user task channels of users long gone) do not stay in Redis for ever; a resume whose
///   `since` is older than that and finds no `last` cannot know what it missed and is a gap.
///
/// Appending, trimming and publishing happen in one Lua script, so a subscriber can never see a live
/// event that is not in the history, nor the other way round.
public enum EventHistory {
    /// How long a channel's last position outlives its last event (24 h): within it a resume tells exactly
    /// whether anything was missed; beyond it a resume of a channel that has been quiet since is a gap
    /// (`recovered: false`), never a silent loss. Written out as `86400000` in both scripts (kept plain
    /// Lua text, which the interop tests read from this file); a unit test checks they agree.
    public static let lastPositionTTLMillis = 86_400_000

    /// A Lua function to paste at the top of a producer's script:
    /// `cd_publish(channels, json, maxlen, maxage_ms)` gives the event the next position, appends it to
    /// each channel's history, publishes it (with `"id"` and `"room"` added to the JSON object) and
    /// returns the id `<epoch>:<ms>-<seq>`. `json` must be a JSON object text (ending in `}`); `maxage_ms`
    /// 0 keeps entries until the count trims them.
    public static let publishFunction = """
        local function cd_publish(channels, json, maxlen, maxage)
          local clock = redis.call('HMGET', 'cd:hist:clock', 'epoch', 'ms', 'seq')
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local epoch = clock[1]
          if not epoch then epoch = string.format('%x%05x', tonumber(t[1]), tonumber(t[2])) end
          local ms = tonumber(clock[2]) or 0
          if now > ms then ms = now end
          local seq = (tonumber(clock[3]) or 0) + 1
          redis.call('HSET', 'cd:hist:clock', 'epoch', epoch, 'ms', string.format('%d', ms), 'seq', string.format('%d', seq))
          local sid = string.format('%d-%d', ms, seq)
          local id = epoch .. ':' .. sid
          local body = string.sub(json, 1, -2)
          for _, channel in ipairs(channels) do
            local msg = body .. ',"id":"' .. id .. '","room":"' .. string.sub(channel, 7) .. '"}'
            local key = 'cd:hist:' .. channel
            local lastkey = 'cd:hist:last:' .. channel
            local prev = redis.call('GET', lastkey) or '0-0'
            redis.call('XADD', key, 'MAXLEN', '~', maxlen, sid, 'p', prev, 'm', msg)
            if maxage > 0 then
              redis.call('XTRIM', key, 'MINID', '~', string.format('%d-0', math.max(ms - maxage, 0)))
              redis.call('PEXPIRE', key, maxage)
            end
            redis.call('SET', lastkey, sid, 'PX', math.max(86400000, maxage))
            redis.call('PUBLISH', channel, msg)
          end
          return id
        end

        """

    /// A whole script publishing one event: `KEYS` none; `ARGV[1]` the JSON, `ARGV[2]` maxlen, `ARGV[3]`
    /// max age in ms, `ARGV[4…]` the channels. Returns the id.
    public static let publishScript = publishFunction + """
        local channels = {}
        for i = 4, #ARGV do channels[#channels + 1] = ARGV[i] end
        return cd_publish(channels, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
        """

    /// The script every client that appends to or resumes from the history runs when it (re)connects
    /// (``incarnationCommand``, a handshake command of its Redis connection, so it runs before anything else).
    ///
    /// It notices a Redis that restarted: its `run_id` (`INFO server`) is not the one recorded in the clock.
    /// Unless the data came back from an append-only file (`aof_enabled:1`, which keeps every write the
    /// process made), it may be an older snapshot: events published after it are gone, and new positions
    /// would continue from before them, so a resume across the restart could look complete. The epoch
    /// changes instead, and every such resume is `recovered: false` (`epoch`), never a silent loss.
    /// The first client back does this once per restart; the others find the `run_id` recorded.
    ///
    /// Replies 0 (same Redis), 1 (restarted from an append-only file, or no clock yet: recorded), 2 (restarted
    /// without one: new epoch), -1 (`INFO` not permitted to this Redis user: no check). 2 and -1 also write a
    /// warning to the Redis server's log.
    public static let incarnationScript = """
        local ok, server = pcall(redis.call, 'INFO', 'server')
        local run = ok and string.match(server, 'run_id:(%x+)')
        if not run then
          redis.log(redis.LOG_WARNING, 'coindaily: INFO not permitted: the history cannot notice a restart from an older snapshot')
          return -1
        end
        local clock = redis.call('HMGET', 'cd:hist:clock', 'run', 'epoch')
        if clock[1] == run then return 0 end
        local persistence = redis.call('INFO', 'persistence')
        local aof = string.match(persistence, 'aof_enabled:(%d)') == '1'
        -- A clock written by an earlier Redis process ('run' recorded and not this one), data not from an AOF.
        if clock[1] and clock[2] and not aof then
          local t = redis.call('TIME')
          redis.call('HSET', 'cd:hist:clock', 'epoch', string.format('%x%05x', tonumber(t[1]), tonumber(t[2])), 'run', run)
          redis.log(redis.LOG_WARNING, 'coindaily: Redis restarted without an append-only file: new history epoch (resumes across the restart are not recovered)')
          return 2
        end
        redis.call('HSET', 'cd:hist:clock', 'run', run)
        return 1
        """

    /// ``incarnationScript`` as a command, for ``RedisConfiguration``'s handshake commands.
    public static let incarnationCommand = ["EVAL", incarnationScript, "0"]

    /// The handshake of a client that publishes: the incarnation check, then ``publishScript`` loaded into the
    /// script cache, so that a batch of `EVALSHA`s after a Redis restart is never answered `NOSCRIPT` for some
    /// calls and not others (their retries would publish out of order).
    public static let publisherHandshake: [[String]] = [incarnationCommand, ["SCRIPT", "LOAD", publishScript]]

    /// The gateway's resume script (it starts the epoch when there is none, so every position it hands out
    /// names one). `ARGV[1]` the epoch the client knows, `ARGV[2]` the position it saw last
    /// (`<ms>-<seq>`, or empty for "no resume, just tell me where the history is"), `ARGV[3]` the most entries
    /// to return, `ARGV[4…]` the channels.
    ///
    /// Replies `{"ok", epoch, top, pos1, json1, pos2, json2, …}` (each channel's entries after the position,
    /// channel by channel), or `{"epoch" | "gap" | "limit", epoch, top, channel?}` when the history cannot give
    /// exactly what was missed: another epoch, entries trimmed or expired, or more than the limit. `top` is
    /// the last position handed out (`<ms>-<seq>`).
    public static let resumeScript = """
        local function pos(id)
          local a, b = string.match(id, '^(%d+)-(%d+)$')
          return tonumber(a) or 0, tonumber(b) or 0
        end
        local function after(x, y)
          local xm, xs = pos(x)
          local ym, ys = pos(y)
          return xm > ym or (xm == ym and xs > ys)
        end
        local function field(fields, name)
          for f = 1, #fields, 2 do if fields[f] == name then return fields[f + 1] end end
          return nil
        end
        local clock = redis.call('HMGET', 'cd:hist:clock', 'epoch', 'ms', 'seq')
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local epoch = clock[1]
        if not epoch then
          -- No history yet (or it was lost): start the epoch here, as the first publish would.
          epoch = string.format('%x%05x', tonumber(t[1]), tonumber(t[2]))
          redis.call('HSETNX', 'cd:hist:clock', 'epoch', epoch)
        end
        -- Nothing is known of a channel before its last position expired: a 'since' older than that
        -- expiry cannot be told apart from a loss. Nothing of this epoch is older than its start (the
        -- epoch is its start time: hex seconds, five hex digits of microseconds), so '0-0' counts from there.
        local started = (tonumber(string.sub(epoch, 1, -6), 16) or 0) * 1000
        local function unknown(since)
          local ms = pos(since)
          if started > ms then ms = started end
          return now - ms >= 86400000
        end
        local top = (clock[2] or '0') .. '-' .. (clock[3] or '0')
        local since = ARGV[2]
        if since == '' then return {'ok', epoch, top} end
        if epoch ~= ARGV[1] then return {'epoch', epoch, top} end
        -- The client saw more than the history has: Redis came back from an older snapshot (same epoch).
        if after(since, top) then return {'epoch', epoch, top} end
        local limit = tonumber(ARGV[3])
        local out = {'ok', epoch, top}
        local count = 0
        for i = 4, #ARGV do
          local channel = ARGV[i]
          local entries = redis.call('XRANGE', 'cd:hist:' .. channel, '(' .. since, '+', 'COUNT', limit + 1)
          if #entries == 0 then
            local last = redis.call('GET', 'cd:hist:last:' .. channel)
            if last then
              if after(last, since) then return {'gap', epoch, top, channel} end
            elseif unknown(since) then
              return {'gap', epoch, top, channel}
            end
          else
            local prev = field(entries[1][2], 'p') or '0-0'
            if after(prev, since) then return {'gap', epoch, top, channel} end
            -- '0-0': no event within the last position's lifetime before this one.
            if prev == '0-0' and unknown(since) then return {'gap', epoch, top, channel} end
            count = count + #entries
            if count > limit then return {'limit', epoch, top, channel} end
            for _, e in ipairs(entries) do
              out[#out + 1] = e[1]
              out[#out + 1] = field(e[2], 'm') or ''
            end
          end
        end
        return out
        """
}

/// How much history one kind of channel keeps (``EventHistory``): the newest `maxLength` entries of at most
/// `maxAgeMillis` age (0: no age limit). Resume works within both bounds.
public struct HistoryPolicy: Sendable, Equatable {
    /// Most entries per channel (trimmed approximately: Redis may keep a few more).
    public var maxLength: Int
    /// Oldest entry kept, in ms; 0 for no age limit.
    public var maxAgeMillis: Int

    /// Creates a policy.
    public init(maxLength: Int, maxAgeMillis: Int) {
        self.maxLength = maxLength
        self.maxAgeMillis = maxAgeMillis
    }

    /// The default window: five minutes, and a count that a busy channel of the kind does not pass in that time.
    public static func defaultPolicy(for kind: ChannelKind) -> HistoryPolicy {
        let fiveMinutes = 300_000
        switch kind {
        case .marketSentiment: return HistoryPolicy(maxLength: 1_000, maxAgeMillis: fiveMinutes)
        case .whaleActivity: return HistoryPolicy(maxLength: 2_000, maxAgeMillis: fiveMinutes)
        case .taskUpdates: return HistoryPolicy(maxLength: 5_000, maxAgeMillis: fiveMinutes)
        case .pipelineUpdates: return HistoryPolicy(maxLength: 2_000, maxAgeMillis: fiveMinutes)
        case .budgetAlerts: return HistoryPolicy(maxLength: 500, maxAgeMillis: fiveMinutes)
        case .moderationQueue: return HistoryPolicy(maxLength: 2_000, maxAgeMillis: fiveMinutes)
        case .systemHealth: return HistoryPolicy(maxLength: 100, maxAgeMillis: fiveMinutes)
        case .trendingMemecoins: return HistoryPolicy(maxLength: 100, maxAgeMillis: fiveMinutes)
        }
    }
}
