#!lua flags=allow-oom
-- settle.lua: record how finished attempts ended, for a whole batch in one call.
-- allow-oom: a full server must still record finished work, or nothing ever drains (intake is
-- what noeviction refuses); it adds the results of attempts already run.
-- KEYS: the shard's QueueKeys.   ARGV[1] consumer   ARGV[2] group   ARGV[3] result TTL ms
-- ARGV[4] n, then per attempt 5 values: job id, attempt, outcome, value, delay_ms
--   outcome s = succeeded (value: result JSON), r = retry after delay_ms (value: error),
--   d = dead-letter (value: error), c = cancelled (value: error or '').
-- Fence: only the consumer that owns the running attempt may settle it (a stale worker whose job
-- was taken over changes nothing: code 0, counted as 'stale'). A job whose cancel was requested
-- ends cancelled instead of being retried or dead-lettered. Ack + delete of the stream entry
-- happen in the same call, so a crash either re-runs the job or records it, never loses it.
-- Acks, deletes and index writes are gathered and sent as one command each for the batch.
-- Returns per attempt 1 settled, 0 stale.
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
-- formatted once: every number handed to redis.call is otherwise printf-formatted again
local now_s = now_t[1] .. string.format('%03d', math.floor(tonumber(now_t[2]) / 1000))
local consumer, group, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local expire_s = string.format('%d', now + ttl)  -- one expiry time for the whole batch
local count = {completed = 0, failed = 0, retried = 0, dead = 0, cancelled = 0, stale = 0}
local run_ms = 0
local out = {}
local entries, expiring, indexed = {}, {}, {dead = {}, cancelled = {}}
local status_of = {s = 'succeeded', r = 'retrying', d = 'dead', c = 'cancelled'}
for j = 1, tonumber(ARGV[4]) do
  local b = 5 * j
  local id, attempt, outcome, value, delay = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3],
    tonumber(ARGV[b + 4])
  local jk = KEYS[6] .. id
  local f = redis.call('HMGET', jk, 'status', 'owner', 'attempts', 'entry', 'cancel', 'started',
    'h:' .. attempt)
  if f[1] ~= 'running' or f[2] ~= consumer or f[3] ~= attempt then
    count.stale = count.stale + 1
    out[j] = 0
  else
    if f[5] == '1' and outcome ~= 's' then outcome = 'c' end
    local status = status_of[outcome]
    local ended = (outcome == 's' and 'succeeded') or (outcome == 'c' and 'cancelled') or 'failed'
    local h = (f[7] or (consumer .. '|' .. now_s)) .. '|' .. now_s .. '|' .. ended
    if outcome ~= 's' and value ~= '' then h = h .. '|' .. string.sub(value, 1, 500) end
    local fields = {'status', status, 'updated', now_s, 'h:' .. attempt, h}
    entries[#entries + 1] = f[4]
    -- dead and cancelled jobs have an index; succeeded ones are counted by the expiry ZSET
    if outcome == 'd' or outcome == 'c' then
      local ix = indexed[status]
      ix[#ix + 1], ix[#ix + 2] = 0, id
    end
    run_ms = run_ms + now - tonumber(f[6] or now)
    if outcome == 's' then
      fields[7], fields[8], fields[9], fields[10] = 'result', value, 'finished', now_s
      expiring[#expiring + 1], expiring[#expiring + 2] = expire_s, id
      count.completed = count.completed + 1
    elseif outcome == 'r' then
      fields[7], fields[8], fields[9], fields[10] = 'error', value, 'due', now + delay
      redis.call('ZADD', KEYS[10], now + delay, id)
      count.failed = count.failed + 1
      count.retried = count.retried + 1
    elseif outcome == 'd' then
      local dl = redis.call('XADD', KEYS[2], '*', 'id', id, 'error', string.sub(value, 1, 500))
      fields[7], fields[8], fields[9], fields[10] = 'error', value, 'finished', now_s
      fields[11], fields[12] = 'dlq', dl
      count.failed = count.failed + 1
      count.dead = count.dead + 1
    else
      fields[7], fields[8] = 'error', value ~= '' and value or 'cancelled'
      fields[9], fields[10] = 'finished', now_s
      expiring[#expiring + 1], expiring[#expiring + 2] = expire_s, id
      count.cancelled = count.cancelled + 1
    end
    redis.call('HSET', jk, unpack(fields))
    out[j] = 1
  end
end
if #entries > 0 then
  redis.call('XACK', KEYS[1], group, unpack(entries))
  redis.call('XDEL', KEYS[1], unpack(entries))
end
if #expiring > 0 then redis.call('ZADD', KEYS[4], unpack(expiring)) end
for status, ix in pairs(indexed) do
  if #ix > 0 then redis.call('ZADD', KEYS[7] .. status, unpack(ix)) end
end
for name, c in pairs(count) do
  if c > 0 then redis.call('HINCRBY', KEYS[5], name, c) end
end
local settled = count.completed + count.failed + count.cancelled
if settled > 0 then
  local bucket = KEYS[9] .. math.floor(now / 10000)
  redis.call('HINCRBY', bucket, 'completed', count.completed)
  redis.call('HINCRBY', bucket, 'failed', count.failed)
  redis.call('HINCRBY', bucket, 'run_ms', run_ms)
  if redis.call('HINCRBY', bucket, 'finished', settled) == settled then
    redis.call('EXPIRE', bucket, 3600)
  end
end
return out
