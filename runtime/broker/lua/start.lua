-- start.lua: turn entries a consumer just read (XREADGROUP) into running attempts.
-- KEYS: the shard's QueueKeys.   ARGV[1] consumer   ARGV[2] group   ARGV[3] n, then n pairs
--   entry id, job id.
-- A job that is no longer queued (cancelled, purged, expired) has its entry acked and deleted
-- and is returned as {entry, id, 0}. Otherwise the attempt counter, owner and history change
-- together and {entry, id, attempt, type, payload, timeout_ms, max_retries, backoff, deliveries,
-- cancel} is returned.
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local consumer, group = ARGV[1], ARGV[2]
local out = {}
local wait_sum, started = 0, 0
for j = 1, tonumber(ARGV[3]) do
  local entry, id = ARGV[2 + 2 * j], ARGV[3 + 2 * j]
  local jk = KEYS[6] .. id
  local st = redis.call('HMGET', jk, 'status', 'entry', 'queued')
  if st[1] ~= 'queued' or st[2] ~= entry then
    redis.call('XACK', KEYS[1], group, entry)
    redis.call('XDEL', KEYS[1], entry)
    out[j] = {entry, id, 0}
  else
    local attempt = redis.call('HINCRBY', jk, 'attempts', 1)
    local deliveries = redis.call('HINCRBY', jk, 'deliveries', 1)
    redis.call('HSET', jk, 'status', 'running', 'owner', consumer, 'started', now,
      'updated', now, 'h:' .. attempt, cjson.encode({w = consumer, s = now}))
    if attempt > 20 then redis.call('HDEL', jk, 'h:' .. (attempt - 20)) end
    redis.call('ZREM', KEYS[7] .. 'queued', id)
    redis.call('ZADD', KEYS[7] .. 'running', 0, id)
    local f = redis.call('HMGET', jk, 'type', 'payload', 'timeout_ms', 'max_retries', 'backoff',
      'cancel')
    out[j] = {entry, id, attempt, f[1], f[2], f[3], f[4], f[5] or '', deliveries, f[6] or '0'}
    wait_sum = wait_sum + now - tonumber(st[3] or now)
    started = started + 1
  end
end
if started > 0 then
  local bucket = KEYS[9] .. math.floor(now / 10000)
  redis.call('HINCRBY', bucket, 'wait_ms', wait_sum)
  redis.call('HINCRBY', bucket, 'started', started)
  redis.call('EXPIRE', bucket, 3600)
end
return out
