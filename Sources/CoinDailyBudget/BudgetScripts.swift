import CoinDailyProtocol

/// The Lua script the budget producer runs with `EVAL`: a whole batch is one atomic step in Redis.
///
/// Sent in full with every call: Redis caches the compiled script by its SHA1, and a Redis that restarted
/// empty needs no reload.
public enum BudgetScripts {
    /// Applies a batch of spend records and limits, in order, and publishes the alerts they cause.
    ///
    /// - spend: `SET <prefix>seen:<id> NX EX` (a record seen before is a duplicate and changes nothing);
    ///   then `INCRBYFLOAT` of the agent's and the all-agents sum of the record's day, week and month;
    ///   then every limit covering the agent is evaluated for the period of the record.
    /// - limit: stored in the limits hash (the revision grows when agentId, amount or period change), then
    ///   evaluated for its current period.
    /// - evaluating: for each threshold in ascending order that the period's spend has reached,
    ///   `SADD` to the marker set of (limit, revision, period); only when it was not there yet, a
    ///   `budget_alert` is published. Markers expire with the period's state.
    ///
    /// `KEYS[1]` the limits hash, `KEYS[2]` the agent registry (names). `ARGV[1]` now (Unix ms), `ARGV[2]`
    /// the alerts channel, `ARGV[3]` the thresholds (comma-separated, ascending), `ARGV[4]` how long a
    /// redelivery marker lives (s), `ARGV[5]` the key prefix (`cd:budget:`), `ARGV[6]`/`ARGV[7]` the alerts'
    /// history maxlen / max age in ms (alerts go out with `cd_publish`, ``EventHistory``), `ARGV[8…]` one JSON record per
    /// item (``BudgetScriptRecord``). Sum, marker and redelivery keys are built from the prefix (this
    /// script assumes one Redis, not a cluster). Returns `{accepted, duplicates, alerts}`.
    public static let apply = EventHistory.publishFunction + #"""
        local now = tonumber(ARGV[1])
        local channel = ARGV[2]
        local seenTTL = tonumber(ARGV[4])
        local prefix = ARGV[5]
        local maxlen, maxage = tonumber(ARGV[6]), tonumber(ARGV[7])
        local thresholds = {}
        for t in string.gmatch(ARGV[3], '[^,]+') do thresholds[#thresholds + 1] = tonumber(t) end

        local function num(n)
          if n == math.floor(n) and math.abs(n) < 9007199254740992 then return string.format('%d', n) end
          for p = 1, 17 do
            local s = string.format('%.' .. p .. 'g', n)
            if tonumber(s) == n then return s end
          end
          return string.format('%.17g', n)
        end
        local function jstr(s)
          local escaped = string.gsub(s, '[%c"\\]', function(c)
            if c == '"' then return '\\"' elseif c == '\\' then return '\\\\'
            elseif c == '\n' then return '\\n' elseif c == '\r' then return '\\r' elseif c == '\t' then return '\\t'
            elseif c == '\127' then return c
            else return string.format('\\u%04x', string.byte(c)) end
          end)
          return '"' .. escaped .. '"'
        end
        local function round6(x) return math.floor(x * 1000000 + 0.5) / 1000000 end
        local function money(x)
          local s = string.format('%.2f', x)
          local int, frac = string.match(s, '^(%d+)(%.%d+)$')
          if not int then return '$' .. s end
          int = string.reverse((string.gsub(string.reverse(int), '(%d%d%d)', '%1,')))
          if string.sub(int, 1, 1) == ',' then int = string.sub(int, 2) end
          return '$' .. int .. frac
        end

        local limits, ids = {}, {}
        local raw = redis.call('HGETALL', KEYS[1])
        for i = 1, #raw, 2 do
          local ok, l = pcall(cjson.decode, raw[i + 1])
          if ok and type(l) == 'table' and type(l.amount) == 'number' and type(l.period) == 'string' and type(l.revision) == 'number' then
            if type(l.agentId) ~= 'string' then l.agentId = nil end
            limits[raw[i]] = l
            ids[#ids + 1] = raw[i]
          end
        end
        table.sort(ids)

        local names = {}
        local function agentName(id)
          if names[id] == nil then
            names[id] = false
            local v = redis.call('HGET', KEYS[2], id)
            if v then
              local ok, obj = pcall(cjson.decode, v)
              if ok and type(obj) == 'table' and type(obj.name) == 'string' then names[id] = obj.name end
            end
          end
          return names[id] or nil
        end

        local function sumKey(agentId, window)
          if agentId then return prefix .. 'spend:agent:' .. agentId .. ':' .. window.key end
          return prefix .. 'spend:all:' .. window.key
        end

        local alerts = 0
        local function evaluate(l, window, spend)
          local marker = prefix .. 'alerted:' .. l.budgetLimitId .. ':r' .. num(l.revision) .. ':' .. window.key
          for _, t in ipairs(thresholds) do
            if spend * 100 + 1e-9 * l.amount >= t * l.amount and redis.call('SADD', marker, num(t)) == 1 then
              redis.call('EXPIREAT', marker, window.expireAt)
              local name = l.agentId and agentName(l.agentId)
              local current = round6(spend)
              local remaining = round6(math.max(0, l.amount - spend))
              local message
              if l.agentId then
                message = 'Agent ' .. (name or l.agentId) .. ' has used ' .. num(t) .. '% of its ' .. l.period .. ' budget ('
              else
                message = 'All agents have used ' .. num(t) .. '% of the ' .. l.period .. ' budget ('
              end
              message = message .. money(current) .. ' of ' .. money(l.amount) .. ')'
              local data = '{'
              if l.agentId then data = data .. '"agentId":' .. jstr(l.agentId) .. ',' end
              if name then data = data .. '"agentName":' .. jstr(name) .. ',' end
              data = data .. '"amount":' .. num(l.amount) .. ',"budgetLimitId":' .. jstr(l.budgetLimitId) ..
                ',"currentSpend":' .. num(current) .. ',"message":' .. jstr(message) .. ',"period":' .. jstr(l.period) ..
                ',"remainingBudget":' .. num(remaining) .. ',"thresholdReached":' .. num(t) .. ',"timestamp":' .. num(now) .. '}'
              cd_publish({channel}, '{"type":"budget_alert","data":' .. data .. ',"timestamp":' .. num(now) .. '}', maxlen, maxage)
              alerts = alerts + 1
            end
          end
        end

        local accepted, duplicates = 0, 0
        for n = 8, #ARGV do
          local r = cjson.decode(ARGV[n])
          accepted = accepted + 1
          if r.kind == 'spend' then
            local seen = r.dedupe
            if string.sub(seen, 1, 5) == 'hash:' then seen = 'sha1:' .. redis.sha1hex(string.sub(seen, 6)) end
            if redis.call('SET', prefix .. 'seen:' .. seen, '1', 'NX', 'EX', seenTTL) then
              local totals = {}
              for _, p in ipairs({'daily', 'weekly', 'monthly'}) do
                local window = r.windows[p]
                local ak, gk = sumKey(r.agentId, window), sumKey(nil, window)
                totals['agent:' .. p] = tonumber(redis.call('INCRBYFLOAT', ak, r.cost))
                redis.call('EXPIREAT', ak, window.expireAt)
                totals['all:' .. p] = tonumber(redis.call('INCRBYFLOAT', gk, r.cost))
                redis.call('EXPIREAT', gk, window.expireAt)
              end
              for _, id in ipairs(ids) do
                local l = limits[id]
                if l.agentId == nil or l.agentId == r.agentId then
                  local scope = l.agentId and 'agent:' or 'all:'
                  evaluate(l, r.windows[l.period], totals[scope .. l.period])
                end
              end
            else
              duplicates = duplicates + 1
            end
          else
            local old = limits[r.budgetLimitId]
            local revision = 1
            local changed = true
            if old then
              if old.amount == r.amount and old.period == r.period and old.agentId == r.agentId then
                changed = false
                revision = tonumber(old.revision) or 1
              else
                revision = (tonumber(old.revision) or 0) + 1
              end
            else
              ids[#ids + 1] = r.budgetLimitId
              table.sort(ids)
            end
            local l = {budgetLimitId = r.budgetLimitId, agentId = r.agentId, amount = r.amount, period = r.period, revision = revision}
            if changed then
              local text = '{'
              if r.agentId then text = text .. '"agentId":' .. jstr(r.agentId) .. ',' end
              text = text .. '"amount":' .. num(r.amount) .. ',"budgetLimitId":' .. jstr(r.budgetLimitId) .. ',"period":' ..
                jstr(r.period) .. ',"revision":' .. num(revision) .. ',"updatedAt":' .. num(now) .. '}'
              redis.call('HSET', KEYS[1], r.budgetLimitId, text)
            else
              duplicates = duplicates + 1
            end
            limits[r.budgetLimitId] = l
            evaluate(l, r.window, tonumber(redis.call('GET', sumKey(r.agentId, r.window)) or '0'))
          end
        end
        return {accepted, duplicates, alerts}
        """#
}
