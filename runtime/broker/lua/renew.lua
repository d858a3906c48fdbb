-- renew.lua: renew the lease on a consumer's long-running attempts (reset their idle time) so
-- no other worker reclaims them, and report which of them had a cancel requested.
-- KEYS: the shard's QueueKeys.   ARGV[1] group   ARGV[2] consumer   ARGV[3..] job ids
-- Only entries this consumer still owns are renewed: XCLAIM never steals back a taken-over job.
-- Returns {renewed count, ids whose cancel flag is set}.
local group, consumer = ARGV[1], ARGV[2]
local entries, cancelled = {}, {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local f = redis.call('HMGET', KEYS[6] .. id, 'status', 'owner', 'entry', 'cancel')
  if f[1] == 'running' and f[2] == consumer then
    entries[#entries + 1] = f[3]
    if f[4] == '1' then cancelled[#cancelled + 1] = id end
  end
end
if #entries > 0 then
  redis.call('XCLAIM', KEYS[1], group, consumer, 0, unpack(entries))
end
return {#entries, cancelled}
