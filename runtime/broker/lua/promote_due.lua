-- promote_due.lua: move scheduled and retrying jobs whose time has come onto the stream.
-- KEYS: the shard's QueueKeys.   ARGV[1] at most this many jobs (bounded work per call).
-- Returns {promoted, ms until the next due job or -1 when none is waiting}.
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local promoted = 0
for _, id in ipairs(due) do
  local jk = KEYS[6] .. id
  local status = redis.call('HGET', jk, 'status')
  redis.call('ZREM', KEYS[3], id)
  if status == 'scheduled' or status == 'retrying' then
    local entry = redis.call('XADD', KEYS[1], '*', 'id', id)
    redis.call('HSET', jk, 'status', 'queued', 'entry', entry, 'queued', now, 'updated', now)
    redis.call('HDEL', jk, 'due')
    redis.call('ZREM', KEYS[7] .. status, id)
    redis.call('ZADD', KEYS[7] .. 'queued', 0, id)
    promoted = promoted + 1
  end
end
local nxt = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if nxt[2] then return {promoted, math.max(0, tonumber(nxt[2]) - now)} end
return {promoted, -1}
