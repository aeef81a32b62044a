-- One step of building the key set (`keys`: the non-empty keys, which pattern takes list).
-- ARGV: cursor, match pattern (the glob-escaped prefix + 'q:*'). Returns -1 once the set is
-- complete (`ix` = ready), else the cursor of the next step.
--
-- A space keeps the set only once something needs it. The first step marks `ix` = building:
-- from then on every out/take keeps the set up to date, and a full SCAN adds the keys that
-- were non-empty before. Any full scan that starts after `ix` was set completes the set (SCAN
-- returns every key present from its start to its end), so concurrent builders are harmless.
local ix = redis.call('GET', P .. 'ix')
if ix == 'ready' then return -1 end
if not ix then
  redis.call('SET', P .. 'ix', 'building')
  if ARGV[1] ~= '0' then return '0' end -- the set was dropped mid-build: scan again
end
local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', 512)
local skip = string.len(P) + 2
for i = 1, #r[2] do
  redis.call('SADD', P .. 'keys', string.sub(r[2][i], skip + 1))
end
if r[1] == '0' then
  redis.call('SET', P .. 'ix', 'ready')
  return -1
end
return r[1]
