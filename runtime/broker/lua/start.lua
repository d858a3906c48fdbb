#!lua flags=allow-oom
-- start.lua: turn stream entries into running attempts of this consumer.
-- allow-oom: work already accepted must be startable on a full server (noeviction refuses
-- intake, not draining); it adds a few fields per attempt.
-- KEYS: the shard's QueueKeys.   ARGV[1] consumer   ARGV[2] group   ARGV[3] n, then n pairs
--   entry id, job id (entries the consumer already read with a blocking XREADGROUP); or n = 0 and
--   ARGV[4] = count: read up to count new entries here (non-blocking XREADGROUP), so a worker
--   with a backlog claims and starts a batch in one round trip.
-- A job that is no longer queued on this entry (cancelled, handed back, purged, expired) has the
-- entry acked and deleted and is returned as {entry, id, 0}. Otherwise the attempt counter,
-- owner and history change together and {entry, id, attempt, type, payload, timeout_ms,
-- max_retries, backoff, deliveries, cancel} is returned. History entry h:<attempt> is
-- "worker|started_ms", completed by settle.lua to "worker|started_ms|finished_ms|outcome|error"
-- (compact, so small jobs stay in the server's listpack encoding).
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
-- formatted once: every number handed to redis.call is otherwise printf-formatted again
local now_s = now_t[1] .. string.format('%03d', math.floor(tonumber(now_t[2]) / 1000))
local consumer, group = ARGV[1], ARGV[2]
local out = {}
local wait_sum, started = 0, 0
local batch = {}
if tonumber(ARGV[3]) == 0 then
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', ARGV[4],
    'STREAMS', KEYS[1], '>')
  if read then
    for _, e in ipairs(read[1][2]) do batch[#batch + 1] = {e[1], e[2][2]} end
  end
else
  for j = 1, tonumber(ARGV[3]) do batch[j] = {ARGV[2 + 2 * j], ARGV[3 + 2 * j]} end
end
for j = 1, #batch do
  local entry, id = batch[j][1], batch[j][2]
  local jk = KEYS[6] .. id
  local f = redis.call('HMGET', jk, 'status', 'entry', 'attempts', 'deliveries', 'type',
    'payload', 'timeout_ms', 'max_retries', 'backoff', 'cancel', 'owner')
  if f[1] == 'running' and f[2] == entry and f[11] == consumer then
    -- a resend of a start that already ran (its reply was lost): the same attempt again
    out[j] = {entry, id, tonumber(f[3]), f[5], f[6], f[7], f[8], f[9] or '', tonumber(f[4]),
      f[10] or '0'}
  elseif f[1] ~= 'queued' or f[2] ~= entry then
    redis.call('XACK', KEYS[1], group, entry)
    redis.call('XDEL', KEYS[1], entry)
    out[j] = {entry, id, 0}
  else
    local attempt = tonumber(f[3] or 0) + 1
    local deliveries = tonumber(f[4] or 0) + 1
    redis.call('HSET', jk, 'status', 'running', 'owner', consumer, 'started', now_s,
      'updated', now_s, 'attempts', attempt, 'deliveries', deliveries,
      'h:' .. attempt, consumer .. '|' .. now_s)
    if attempt > 20 then redis.call('HDEL', jk, 'h:' .. (attempt - 20)) end
    out[j] = {entry, id, attempt, f[5], f[6], f[7], f[8], f[9] or '', deliveries, f[10] or '0'}
    -- a stream entry id starts with the ms it was added: the time the job became runnable
    wait_sum = wait_sum + now - tonumber(string.match(entry, '^%d+'))
    started = started + 1
  end
end
if started > 0 then
  local bucket = KEYS[9] .. math.floor(now / 10000)
  redis.call('HINCRBY', bucket, 'wait_ms', wait_sum)
  if redis.call('HINCRBY', bucket, 'started', started) == started then
    redis.call('EXPIRE', bucket, 3600)
  end
end
return out
