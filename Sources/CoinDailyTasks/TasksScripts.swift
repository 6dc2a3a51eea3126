import CoinDailyProtocol

/// The Lua scripts the tasks producer runs with `EVAL`: each is one atomic step in Redis.
///
/// Sent in full with every call (`EVAL`): Redis caches the compiled script by its SHA1, so the cost is
/// the bytes on the wire, and a Redis that restarted empty needs no `SCRIPT LOAD` dance. Keys are
/// passed in `KEYS` (one hash per task, two per pipeline), so the scripts name every key they touch.
public enum TasksScripts {
    /// Applies a batch of task and pipeline events, all or nothing.
    ///
    /// Pass 1 checks every item against the stored state *and the items before it* (a batch may hold a
    /// task's whole lifecycle); the first item that breaks a rule ends the script with
    /// `{0, index, field, message}` and nothing is written. Pass 2 publishes every event (in item
    /// order, each with `cd_publish` from ``EventHistory``: a task update goes to the owner's and the
    /// all-tasks channel with one id), writes the task and pipeline state (with the TTL) and marks each agent of a task event
    /// active in the registry. Returns `{1, published, duplicates}`.
    ///
    /// `KEYS[1]` the agent registry; then per item: a task's hash, or a pipeline's hash and its stages
    /// hash. `ARGV[1]` now (Unix ms), `ARGV[2]` state TTL (s), `ARGV[3]` the all-tasks channel,
    /// `ARGV[4]` the pipeline channel, `ARGV[5]`/`ARGV[6]` the task updates' history maxlen / max age (ms),
    /// `ARGV[7]`/`ARGV[8]` the pipeline updates', `ARGV[9…]` one JSON record per item (``TasksScriptRecord``).
    public static let apply = EventHistory.publishFunction + #"""
        local now = tonumber(ARGV[1])
        local ttl = tonumber(ARGV[2])
        local taskMaxlen, taskMaxage = tonumber(ARGV[5]), tonumber(ARGV[6])
        local pipeMaxlen, pipeMaxage = tonumber(ARGV[7]), tonumber(ARGV[8])
        local taskNext = {
          queued = {queued = true, processing = true, cancelled = true, failed = true},
          processing = {processing = true, completed = true, failed = true, cancelled = true},
        }
        local taskOrder = {'queued', 'processing', 'completed', 'failed', 'cancelled'}
        local stageNext = {
          pending = {pending = true, processing = true, completed = true, failed = true},
          processing = {processing = true, completed = true, failed = true},
        }
        local stageOrder = {'pending', 'processing', 'completed', 'failed'}
        local function num(n)
          if n == math.floor(n) and math.abs(n) < 1e15 then return string.format('%d', n) end
          return string.format('%.14g', n)
        end
        local function successors(rules, order, status)
          local out = {}
          for _, s in ipairs(order) do
            if rules[status][s] then out[#out + 1] = s end
          end
          return table.concat(out, ', ')
        end
        local function fail(index, field, message) return {0, index, field, message} end

        local tasks, pipes, plan, agents, agentOrder = {}, {}, {}, {}, {}
        local k = 2
        for n = 9, #ARGV do
          local index = n - 9
          local r = cjson.decode(ARGV[n])
          local dup = false
          if r.kind == 'task' then
            local key = KEYS[k]
            k = k + 1
            local t = tasks[key]
            if t == nil then
              local v = redis.call('HMGET', key, 'status', 'progress', 'userId', 'agentId')
              if v[1] then t = {status = v[1], progress = tonumber(v[2]), userId = v[3], agentId = v[4]} else t = {} end
              tasks[key] = t
            end
            if t.status then
              if t.userId ~= r.userId then
                return fail(index, 'userId', 'userId cannot change: task ' .. r.taskId .. ' belongs to ' .. tostring(t.userId))
              end
              if taskNext[t.status] == nil then
                if t.status == r.status then
                  dup = true
                else
                  return fail(index, 'status', 'status cannot go from ' .. t.status .. ' to ' .. r.status .. ': task ' .. r.taskId .. ' has finished')
                end
              elseif not taskNext[t.status][r.status] then
                return fail(index, 'status', 'status cannot go from ' .. t.status .. ' to ' .. r.status .. ' (task ' .. r.taskId ..
                  ' may go to: ' .. successors(taskNext, taskOrder, t.status) .. ')')
              elseif r.progress and t.progress and r.progress < t.progress then
                return fail(index, 'progress', 'progress cannot go back from ' .. num(t.progress) .. ' to ' .. num(r.progress) ..
                  ' (task ' .. r.taskId .. ')')
              end
            end
            if dup then
              plan[#plan + 1] = false
            else
              t.status = r.status
              if r.progress then t.progress = r.progress end
              t.userId = r.userId
              t.agentId = r.agentId
              t.dirty = true
              plan[#plan + 1] = {r.envelope, {r.userChannel, ARGV[3]}, taskMaxlen, taskMaxage}
            end
            local a = agents[r.agentId]
            if a == nil then
              a = {}
              agents[r.agentId] = a
              agentOrder[#agentOrder + 1] = r.agentId
            end
            if r.agentName then a.name = r.agentName end
            a.default = r.defaultName
          else
            local key, skey = KEYS[k], KEYS[k + 1]
            k = k + 2
            local p = pipes[key]
            if p == nil then
              local v = redis.call('HMGET', key, 'articleId', 'totalStages', 'completedStages', 'stageCount', 'failed', 'started')
              p = {articleId = v[1], total = tonumber(v[2]), completed = tonumber(v[3]) or 0, count = tonumber(v[4]) or 0,
                   failed = v[5] == '1', started = v[6] == '1', stages = {}, skey = skey}
              pipes[key] = p
            end
            if p.articleId and p.articleId ~= r.articleId then
              return fail(index, 'articleId', 'articleId cannot change: pipeline ' .. r.pipelineId .. ' produces ' .. p.articleId)
            end
            if p.total and p.total ~= r.totalStages then
              return fail(index, 'totalStages', 'totalStages cannot change: pipeline ' .. r.pipelineId .. ' has ' .. num(p.total) .. ' stages')
            end
            local s = p.stages[r.stage]
            if s == nil then
              local v = redis.call('HGET', skey, r.stage)
              if v then
                local sep = string.find(v, '|', 1, true)
                s = {status = string.sub(v, 1, sep - 1), progress = tonumber(string.sub(v, sep + 1))}
              else
                s = false
              end
              p.stages[r.stage] = s
            end
            local what = 'stage ' .. r.stage .. ' of pipeline ' .. r.pipelineId
            if not s then
              if p.count >= r.totalStages then
                return fail(index, 'stage.name', 'stage.name ' .. r.stage .. ' would be stage ' .. num(p.count + 1) .. ' of pipeline ' ..
                  r.pipelineId .. ', which has ' .. num(r.totalStages) .. ' stages')
              end
            elseif stageNext[s.status] == nil then
              if s.status == r.status then
                dup = true
              else
                return fail(index, 'stage.status', 'stage.status cannot go from ' .. s.status .. ' to ' .. r.status .. ': ' .. what .. ' has finished')
              end
            elseif not stageNext[s.status][r.status] then
              return fail(index, 'stage.status', 'stage.status cannot go from ' .. s.status .. ' to ' .. r.status .. ' (' .. what ..
                ' may go to: ' .. successors(stageNext, stageOrder, s.status) .. ')')
            elseif r.progress < s.progress then
              return fail(index, 'stage.progress', 'stage.progress cannot go back from ' .. num(s.progress) .. ' to ' .. num(r.progress) ..
                ' (' .. what .. ')')
            end
            if dup then
              plan[#plan + 1] = false
            else
              if not s then
                p.count = p.count + 1
                s = {}
                p.stages[r.stage] = s
              end
              if r.status == 'completed' and s.status ~= 'completed' then p.completed = p.completed + 1 end
              if r.status == 'failed' then p.failed = true end
              if r.status ~= 'pending' then p.started = true end
              s.status = r.status
              s.progress = r.progress
              s.dirty = true
              p.articleId = r.articleId
              p.total = r.totalStages
              p.dirty = true
              local status = 'pending'
              if p.failed then status = 'failed'
              elseif p.completed >= p.total then status = 'completed'
              elseif p.started then status = 'processing' end
              plan[#plan + 1] = {r.head .. num(p.completed) .. r.middle .. status .. r.tail, {ARGV[4]}, pipeMaxlen, pipeMaxage}
            end
          end
        end

        local published, duplicates = 0, 0
        for _, e in ipairs(plan) do
          if e then
            cd_publish(e[2], e[1], e[3], e[4])
            published = published + 1
          else
            duplicates = duplicates + 1
          end
        end
        for key, t in pairs(tasks) do
          if t.dirty then
            redis.call('HSET', key, 'status', t.status, 'userId', t.userId, 'agentId', t.agentId, 'updatedAt', ARGV[1])
            if t.progress then redis.call('HSET', key, 'progress', string.format('%.17g', t.progress)) end
            redis.call('EXPIRE', key, ttl)
          end
        end
        for key, p in pairs(pipes) do
          if p.dirty then
            redis.call('HSET', key, 'articleId', p.articleId, 'totalStages', num(p.total), 'completedStages', num(p.completed),
              'stageCount', num(p.count), 'failed', p.failed and '1' or '0', 'started', p.started and '1' or '0', 'updatedAt', ARGV[1])
            for name, s in pairs(p.stages) do
              if s and s.dirty then redis.call('HSET', p.skey, name, s.status .. '|' .. string.format('%.17g', s.progress)) end
            end
            redis.call('EXPIRE', key, ttl)
            redis.call('EXPIRE', p.skey, ttl)
          end
        end
        for _, id in ipairs(agentOrder) do
          local a = agents[id]
          local name = a.name
          if not name then
            local current = redis.call('HGET', KEYS[1], id)
            if current then
              local ok, obj = pcall(cjson.decode, current)
              if ok and type(obj) == 'table' and type(obj.name) == 'string' then name = obj.name end
            end
          end
          redis.call('HSET', KEYS[1], id, cjson.encode({agentId = id, name = name or a.default, status = 'active', lastSeen = now}))
        end
        return {1, published, duplicates}
        """#

    /// Marks every registry agent whose `lastSeen` is before `ARGV[1]` (Unix ms) `inactive`; returns how
    /// many changed. `KEYS[1]` the agent registry. Entries that are not valid JSON are left alone.
    public static let sweepAgents = #"""
        local cutoff = tonumber(ARGV[1])
        local all = redis.call('HGETALL', KEYS[1])
        local changed = 0
        for i = 1, #all, 2 do
          local ok, obj = pcall(cjson.decode, all[i + 1])
          if ok and type(obj) == 'table' and obj.status == 'active' and tonumber(obj.lastSeen) and tonumber(obj.lastSeen) < cutoff then
            obj.status = 'inactive'
            redis.call('HSET', KEYS[1], all[i], cjson.encode(obj))
            changed = changed + 1
          end
        end
        return changed
        """#
}
