import CoinDailyProtocol

/// The Lua script that applies one ingest batch to the queue and publishes its events, atomically.
///
/// Redis runs a script alone, so two producer instances can never interleave their changes: the
/// order of the sorted set, the item hashes and the published positions always agree, and events
/// reach subscribers in the order of the changes (the publishes happen inside the same script).
///
/// `KEYS[1]` is the queue. `ARGV` holds a header and then ``stride`` slots per item:
///
/// | ARGV | meaning |
/// |---|---|
/// | 1 | item key prefix (`cd:moderation:item:`) |
/// | 2 | event channel (`cd:ev:moderation_queue`) |
/// | 3 | now, Unix ms (the events' `timestamp`) |
/// | 4 | most shift events per change |
/// | 5 | retention of decided items, seconds |
/// | 6 | number of items |
/// | 7, 8 | history maxlen, max age (ms): events go out with `cd_publish` (``EventHistory``) |
/// | per item | `r` (report): id, sort key, head, mid, tail, userId, contentType, violationType, severity, confidence, reportedAt; `s` (status change): id, status, then empty slots |
///
/// Pass 1 validates every status change against the stored state and the batch so far and returns
/// `{0, index, "unknown"|"final", violationId, currentStatus}` on the first bad one, before any write.
/// Pass 2 applies the items in order and returns `{1, applied, ignored, published}`.
///
/// Per change it publishes the changed item's event, then the events of the items behind it whose
/// position moved (at most ARGV[4] of them, in queue order):
/// - a new report (`pending`) at position p: itself, then the items now at p+1, p+2, …;
/// - `under_review`: itself only (it keeps its place);
/// - `confirmed`/`false_positive` from position p: itself with position 0, then the items now at p, p+1, …;
/// - a repeated report, or a status change to the status an item already has: nothing (ignored).
///
/// The item hashes are addressed from ARGV (not declared in KEYS): fine on a standalone Redis, not
/// on Redis Cluster.
public enum ModerationQueueScript {
    /// Number of header arguments before the items.
    public static let headerCount = 8
    /// Arguments per item.
    public static let stride = 12

    /// The script's source.
    public static let source = EventHistory.publishFunction + #"""
    local queue = KEYS[1]
    local prefix, channel, now = ARGV[1], ARGV[2], ARGV[3]
    local cap, retention, n = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
    local maxlen, maxage = tonumber(ARGV[7]), tonumber(ARGV[8])
    local base, stride = 8, 12
    local function arg(i, j) return ARGV[base + (i - 1) * stride + j] end

    -- Pass 1: validate status changes against the stored state and the batch so far.
    local state = {}
    for i = 1, n do
      local kind, id = arg(i, 1), arg(i, 2)
      local current = state[id]
      if current == nil then
        current = redis.call('HGET', prefix .. id, 'status')
      end
      if kind == 'r' then
        if not current then current = 'pending' end
      else
        local wanted = arg(i, 3)
        if not current then return {0, i - 1, 'unknown', id, ''} end
        if (current == 'confirmed' or current == 'false_positive') and wanted ~= current then
          return {0, i - 1, 'final', id, current}
        end
        current = wanted
      end
      state[id] = current
    end

    -- Pass 2: apply and publish.
    local applied, ignored, published = 0, 0, 0
    local function publish(id, position, length, status)
      local f = redis.call('HMGET', prefix .. id, 'head', 'mid', 'tail', 'status')
      if not f[1] then return end
      cd_publish({channel}, f[1] .. length .. ',"queuePosition":' .. position .. f[2] .. (status or f[4])
        .. '","timestamp":' .. now .. f[3] .. now .. '}', maxlen, maxage)
      published = published + 1
    end
    local function publish_shifted(first_rank, length)
      if cap <= 0 then return end
      local members = redis.call('ZRANGE', queue, first_rank, first_rank + cap - 1)
      for k = 1, #members do
        publish(string.sub(members[k], 25), first_rank + k, length, nil)
      end
    end

    for i = 1, n do
      local kind, id = arg(i, 1), arg(i, 2)
      local key = prefix .. id
      if kind == 'r' then
        if redis.call('EXISTS', key) == 1 then
          ignored = ignored + 1
        else
          local sortkey = arg(i, 3)
          redis.call('HSET', key, 'status', 'pending', 'sortKey', sortkey, 'head', arg(i, 4), 'mid', arg(i, 5),
            'tail', arg(i, 6), 'userId', arg(i, 7), 'contentType', arg(i, 8), 'violationType', arg(i, 9),
            'severity', arg(i, 10), 'confidence', arg(i, 11), 'reportedAt', arg(i, 12), 'updatedAt', now)
          redis.call('ZADD', queue, 0, sortkey)
          local rank = redis.call('ZRANK', queue, sortkey)
          local length = redis.call('ZCARD', queue)
          publish(id, rank + 1, length, 'pending')
          publish_shifted(rank + 1, length)
          applied = applied + 1
        end
      else
        local wanted = arg(i, 3)
        local f = redis.call('HMGET', key, 'status', 'sortKey')
        local current, sortkey = f[1], f[2]
        if current == wanted then
          ignored = ignored + 1
        elseif wanted == 'under_review' then
          redis.call('HSET', key, 'status', wanted, 'updatedAt', now)
          local rank = redis.call('ZRANK', queue, sortkey)
          publish(id, rank and (rank + 1) or 0, redis.call('ZCARD', queue), wanted)
          applied = applied + 1
        else
          local rank = redis.call('ZRANK', queue, sortkey)
          redis.call('ZREM', queue, sortkey)
          redis.call('HSET', key, 'status', wanted, 'updatedAt', now)
          redis.call('EXPIRE', key, retention)
          local length = redis.call('ZCARD', queue)
          publish(id, 0, length, wanted)
          if rank then publish_shifted(rank, length) end
          applied = applied + 1
        end
      end
    end
    return {1, applied, ignored, published}
    """#

    /// The `EVAL` command for `items`.
    public static func command(
        items: [ModerationInput], now: Int64, channel: String, configuration: ModerationConfiguration,
        history: HistoryPolicy = .defaultPolicy(for: .moderationQueue)
    ) -> [String] {
        var command = [
            "EVAL", source, "1", ModerationKeys.queue,
            ModerationKeys.itemPrefix, channel, String(now), String(configuration.maxShiftEvents),
            String(configuration.decidedRetentionSeconds), String(items.count), String(history.maxLength),
            String(history.maxAgeMillis),
        ]
        command.reserveCapacity(command.count + items.count * stride)
        for item in items {
            switch item {
            case .report(let report):
                let template = ModerationEventTemplate(report: report)
                command += [
                    "r", report.violationId, ModerationSortKey.make(for: report), template.head, template.mid, template.tail,
                    report.userId, report.contentType, report.violationType, report.severity.rawValue,
                    String(report.confidence), String(report.timestamp),
                ]
            case .statusChange(let change):
                command += ["s", change.violationId, change.status.rawValue]
                command += Array(repeating: "", count: stride - 3)
            }
        }
        return command
    }
}
