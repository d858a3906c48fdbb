-- list_jobs.lua: one page of jobs, newest first, from a lex-ordered id index (ids are
-- time-ordered), optionally filtered by task type, partition key, tenant and status.
-- KEYS: the shard's QueueKeys.   ARGV[1] index ('all' or a terminal status)   ARGV[2] exclusive
-- upper bound id ('' = newest)   ARGV[3] limit   ARGV[4] task type   ARGV[5] partition key
-- ARGV[6] tenant   ARGV[7] status ('' = no filter for 4..7)   ARGV[8] at most this many ids
-- examined (non-terminal statuses have no index of their own: they are scanned for in 'all')
-- Returns {frontier, jobs}: frontier = last id examined when the scan stopped early ('' when the
-- index was exhausted); jobs = list of {id, flat hash}.
local index = KEYS[7] .. ARGV[1]
local upper = ARGV[2] == '' and '+' or ('(' .. ARGV[2])
local limit, budget = tonumber(ARGV[3]), tonumber(ARGV[8])
local filtered = ARGV[4] ~= '' or ARGV[5] ~= '' or ARGV[6] ~= '' or ARGV[7] ~= ''
local jobs, frontier = {}, ''
local chunk = filtered and math.min(budget, 500) or limit
while #jobs < limit and budget > 0 do
  local want = math.min(chunk, budget)
  local ids = redis.call('ZREVRANGEBYLEX', index, upper, '-', 'LIMIT', 0, want)
  if #ids == 0 then frontier = ''; break end
  for _, id in ipairs(ids) do
    budget = budget - 1
    frontier = id
    local h = redis.call('HGETALL', KEYS[6] .. id)
    if #h > 0 then
      local keep = true
      if filtered then
        local m = {}
        for k = 1, #h, 2 do m[h[k]] = h[k + 1] end
        keep = (ARGV[4] == '' or m.type == ARGV[4]) and (ARGV[5] == '' or m.pkey == ARGV[5])
          and (ARGV[6] == '' or m.tenant == ARGV[6]) and (ARGV[7] == '' or m.status == ARGV[7])
      end
      if keep then jobs[#jobs + 1] = {id, h} end
    end
    if #jobs >= limit then break end
  end
  upper = '(' .. frontier
  if #ids < want then
    if #jobs < limit then frontier = '' end
    break
  end
end
return {frontier, jobs}
