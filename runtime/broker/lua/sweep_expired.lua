-- sweep_expired.lua: delete finished jobs whose retention ran out, with their index entries, so
-- memory is bounded by retention, not by history.
-- KEYS: the shard's QueueKeys.   ARGV[1] at most this many per call
-- Returns the number of jobs deleted.
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, id in ipairs(ids) do
  local jk = KEYS[6] .. id
  local status = redis.call('HGET', jk, 'status')
  if status == 'succeeded' or status == 'cancelled' or not status then
    redis.call('DEL', jk)
    if status then redis.call('ZREM', KEYS[7] .. status, id) end
    redis.call('ZREM', KEYS[7] .. 'all', id)
  end
  redis.call('ZREM', KEYS[4], id)
end
return #ids
