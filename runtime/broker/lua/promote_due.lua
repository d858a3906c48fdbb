-- promote_due.lua: move scheduled and retrying jobs whose time has come onto the stream.
-- KEYS: the shard's QueueKeys (KEYS[3] scheduled, KEYS[10] retries).
-- ARGV[1] at most this many jobs per ZSET (bounded work per call).
-- Returns {promoted, ms until the next due job or -1 when none is waiting}.
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local promoted = 0
local nearest = -1
for _, zset in ipairs({KEYS[3], KEYS[10]}) do
  local due = redis.call('ZRANGEBYSCORE', zset, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
  for _, id in ipairs(due) do
    local jk = KEYS[6] .. id
    local status = redis.call('HGET', jk, 'status')
    redis.call('ZREM', zset, id)
    if status == 'scheduled' or status == 'retrying' then
      local entry = redis.call('XADD', KEYS[1], '*', 'id', id)
      redis.call('HSET', jk, 'status', 'queued', 'entry', entry, 'updated', now)
      redis.call('HDEL', jk, 'due')
      promoted = promoted + 1
    end
  end
  local nxt = redis.call('ZRANGE', zset, 0, 0, 'WITHSCORES')
  if nxt[2] then
    local wait = math.max(0, tonumber(nxt[2]) - now)
    if nearest < 0 or wait < nearest then nearest = wait end
  end
end
return {promoted, nearest}
