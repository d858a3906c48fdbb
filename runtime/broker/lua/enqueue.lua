-- enqueue.lua: create jobs and make each runnable (stream entry) or scheduled (delayed ZSET).
-- KEYS: the shard's QueueKeys (stream dead delayed expiry stats job: idx: idem: ts: retries).
-- ARGV[1] idempotency TTL s   ARGV[2] the jobs as one JSON array (one argument, not ~15 per job:
--   packing arguments cost more than the rest of a batch's client work), per job
--   [id, idempotency key ('' = none), fingerprint, delay_ms, [field, value, ...]].
-- Returns per job {code, id, created_ms}: 1 created, 2 replay of an earlier job (its id),
-- 3 the key was used with another body (the earlier id), 4 the id is taken by another job (the
-- caller retries with a new id; a job is never overwritten). A resend of a call that already
-- ran answers 1 again for its jobs. Nothing is written for 2, 3, 4 and resends.
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local jobs = cjson.decode(ARGV[2])
local out = {}
local created = 0
local listed = {}  -- ZADD arguments for the 'all' index, sent once for the batch
for j = 1, #jobs do
  local job = jobs[j]
  local id, idem, digest, delay, fields = job[1], job[2], job[3], job[4], job[5]
  local code, earlier = 1, nil
  local taken = redis.call('HMGET', KEYS[6] .. id, 'type', 'payload')
  if taken[1] then
    -- the same id, type and payload: this call is a resend of one that already ran (a lost
    -- reply); anything else is another job that happens to have the id
    if taken[1] == fields[2] and taken[2] == fields[4] then code = 5 else code = 4 end
    earlier = id
  elseif idem ~= '' then
    local prev = redis.call('GET', KEYS[8] .. idem)
    if prev then
      local sep = string.find(prev, '|', 1, true)
      earlier = string.sub(prev, 1, sep - 1)
      code = (string.sub(prev, sep + 1) == digest) and 2 or 3
    else
      redis.call('SET', KEYS[8] .. idem, id .. '|' .. digest, 'EX', ttl)
    end
  end
  if code == 5 then
    out[j] = {1, id, tonumber(redis.call('HGET', KEYS[6] .. id, 'created'))}
  elseif code == 1 then
    local jk = KEYS[6] .. id
    if delay > 0 then
      redis.call('HSET', jk, 'created', now, 'updated', now, 'status', 'scheduled',
        'due', now + delay, unpack(fields))
      redis.call('ZADD', KEYS[3], now + delay, id)
    else
      local entry = redis.call('XADD', KEYS[1], '*', 'id', id)
      redis.call('HSET', jk, 'created', now, 'updated', now, 'status', 'queued', 'entry', entry,
        unpack(fields))
    end
    listed[#listed + 1], listed[#listed + 2] = 0, id
    created = created + 1
    out[j] = {1, id, now}
  else
    out[j] = {code, earlier, now}
  end
end
if created > 0 then
  redis.call('ZADD', KEYS[7] .. 'all', unpack(listed))
  redis.call('HINCRBY', KEYS[5], 'created', created)
  local bucket = KEYS[9] .. math.floor(now / 10000)
  if redis.call('HINCRBY', bucket, 'created', created) == created then
    redis.call('EXPIRE', bucket, 3600)
  end
end
return out
