-- purge_dead.lua: delete dead jobs (oldest first) with their DLQ entries and index entries.
-- KEYS: the shard's QueueKeys.   ARGV[1] at most this many per call (call again while full)
-- Returns the number of dead jobs deleted.
local entries = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', tonumber(ARGV[1]))
for _, e in ipairs(entries) do
  local id = e[2][2]
  local jk = KEYS[6] .. id
  if redis.call('HGET', jk, 'status') == 'dead' then
    redis.call('DEL', jk)
    redis.call('ZREM', KEYS[7] .. 'dead', id)
    redis.call('ZREM', KEYS[7] .. 'all', id)
  end
  redis.call('XDEL', KEYS[2], e[1])
end
return #entries
