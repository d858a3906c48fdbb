-- hand_back.lua: on shutdown, return a consumer's unfinished attempts to the stream at once,
-- instead of leaving them to be reclaimed after the visibility timeout.
-- KEYS: the shard's QueueKeys.   ARGV[1] group   ARGV[2] consumer   ARGV[3] at most this many
-- entries (call again while it returns a full batch).
-- The interrupted attempt is not counted: attempts goes back by one. Entries the consumer read
-- but never started are re-added too. Returns the number of jobs handed back.
local group, consumer = ARGV[1], ARGV[2]
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local handed = 0
local pending = redis.call('XPENDING', KEYS[1], group, '-', '+', tonumber(ARGV[3]), consumer)
for _, p in ipairs(pending) do
  local entry = p[1]
  local e = redis.call('XRANGE', KEYS[1], entry, entry)
  redis.call('XACK', KEYS[1], group, entry)
  redis.call('XDEL', KEYS[1], entry)
  if e[1] then
    local id = e[1][2][2]
    local jk = KEYS[6] .. id
    local f = redis.call('HMGET', jk, 'status', 'owner', 'entry', 'attempts')
    if f[3] == entry and (f[1] == 'queued' or (f[1] == 'running' and f[2] == consumer)) then
      local fresh = redis.call('XADD', KEYS[1], '*', 'id', id)
      redis.call('HSET', jk, 'status', 'queued', 'entry', fresh, 'updated', now)
      if f[1] == 'running' then
        redis.call('HDEL', jk, 'h:' .. f[4])
        redis.call('HINCRBY', jk, 'attempts', -1)
      end
      handed = handed + 1
    end
  end
end
return handed
