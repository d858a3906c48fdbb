-- reclaim.lua: take over stream entries idle past the visibility timeout (their worker died or
-- stalled) with XAUTOCLAIM. The scan is a cursor: at most 8 XAUTOCLAIM steps per call (bounded
-- work), continuing from ARGV[5]; the caller passes the returned cursor back next time.
-- KEYS: the shard's QueueKeys.   ARGV[1] group   ARGV[2] consumer   ARGV[3] min idle ms
-- ARGV[4] at most this many entries   ARGV[5] cursor ('0-0' = from the start)
-- A running job becomes owned by this consumer and is returned as lost (the caller settles the
-- attempt as failed: "worker lost"); a queued job never started is returned as fresh (the caller
-- starts it); anything else (finished, cancelled, purged) is acked and deleted.
-- Returns {lost, fresh, cursor}: lost = list of {entry, id, attempt, type, deliveries, max_retries,
-- backoff}; fresh = list of {entry, id}.
local group, consumer = ARGV[1], ARGV[2]
local budget = tonumber(ARGV[4])
local cursor = ARGV[5]
local steps = 0
local lost, fresh = {}, {}
repeat
  steps = steps + 1
  local r = redis.call('XAUTOCLAIM', KEYS[1], group, consumer, ARGV[3], cursor, 'COUNT', budget)
  cursor = r[1]
  for _, e in ipairs(r[2]) do
    budget = budget - 1
    local entry, id = e[1], e[2][2]
    local jk = KEYS[6] .. id
    local f = redis.call('HMGET', jk, 'status', 'entry', 'attempts', 'type', 'max_retries',
      'backoff')
    if f[2] ~= entry then f[1] = false end
    if f[1] == 'running' then
      local deliveries = redis.call('HINCRBY', jk, 'deliveries', 1)
      redis.call('HSET', jk, 'owner', consumer)
      lost[#lost + 1] = {entry, id, f[3], f[4], deliveries, f[5], f[6] or ''}
    elseif f[1] == 'queued' then
      fresh[#fresh + 1] = {entry, id}
    else
      redis.call('XACK', KEYS[1], group, entry)
      redis.call('XDEL', KEYS[1], entry)
    end
  end
until cursor == '0-0' or budget <= 0 or steps >= 8
return {lost, fresh, cursor}
