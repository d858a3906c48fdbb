-- cancel.lua: cancel one job in whatever state it is.
-- KEYS: the shard's QueueKeys.   ARGV[1] job id   ARGV[2] group   ARGV[3] result TTL ms
-- ARGV[4] cancel channel   ARGV[5] tenant ('' = any)
-- queued / scheduled / retrying → cancelled at once (its stream entry or ZSET member removed);
-- running → cancel flag set and the id published so the worker stops the handler.
-- Returns {code, status}: 0 not found, 1 cancelled, 2 already finished, 3 cancel requested.
local id = ARGV[1]
local jk = KEYS[6] .. id
local f = redis.call('HMGET', jk, 'status', 'entry', 'tenant')
local status = f[1]
if not status or (ARGV[5] ~= '' and f[3] ~= ARGV[5]) then return {0, ''} end
if status == 'succeeded' or status == 'dead' or status == 'cancelled' then return {2, status} end
if status == 'running' then
  redis.call('HSET', jk, 'cancel', '1')
  redis.call('PUBLISH', ARGV[4], id)
  return {3, status}
end
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
if status == 'queued' then
  redis.call('XACK', KEYS[1], ARGV[2], f[2])
  redis.call('XDEL', KEYS[1], f[2])
elseif status == 'retrying' then
  redis.call('ZREM', KEYS[10], id)
else
  redis.call('ZREM', KEYS[3], id)
end
redis.call('HSET', jk, 'status', 'cancelled', 'cancel', '1', 'finished', now, 'updated', now,
  'error', 'cancelled before it ran')
redis.call('ZADD', KEYS[7] .. 'cancelled', 0, id)
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[3]), id)
redis.call('HINCRBY', KEYS[5], 'cancelled', 1)
return {1, 'cancelled'}
