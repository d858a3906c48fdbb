-- replay.lua: put dead jobs back on the stream with their attempts reset.
-- KEYS: the shard's QueueKeys.   ARGV[1] tenant ('' = any)   ARGV[2..] job ids
-- Returns per id 1 replayed, 0 not found, 2 not dead.
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local jk = KEYS[6] .. id
  local f = redis.call('HMGET', jk, 'status', 'dlq', 'tenant')
  if not f[1] or (ARGV[1] ~= '' and f[3] ~= ARGV[1]) then
    out[#out + 1] = 0
  elseif f[1] ~= 'dead' then
    out[#out + 1] = 2
  else
    if f[2] then redis.call('XDEL', KEYS[2], f[2]) end
    local entry = redis.call('XADD', KEYS[1], '*', 'id', id)
    redis.call('HSET', jk, 'status', 'queued', 'entry', entry, 'updated', now,
      'attempts', 0, 'deliveries', 0)
    redis.call('HDEL', jk, 'dlq', 'finished', 'cancel')
    redis.call('ZREM', KEYS[7] .. 'dead', id)
    redis.call('HINCRBY', KEYS[5], 'replayed', 1)
    out[#out + 1] = 1
  end
end
return out
