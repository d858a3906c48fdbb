-- remove_consumer.lua: delete consumers of the group that have no pending entries and have been
-- idle longer than ARGV[2] ms (ARGV[3] = one consumer name to check alone, or '' for all).
-- KEYS: the shard's QueueKeys.   ARGV[1] group
-- A consumer that still holds pending entries is never deleted (that would orphan them).
-- Returns the number of consumers deleted.
local deleted = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for k = 1, #c, 2 do info[c[k]] = c[k + 1] end
  local chosen = ARGV[3] == '' or info.name == ARGV[3]
  if chosen and tonumber(info.pending) == 0 and tonumber(info.idle) >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info.name)
    deleted = deleted + 1
  end
end
return deleted
