-- KEYS[1]: the key's stream. Entries not handed out: all of them less the pending ones.
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return 0 end
return redis.call('XLEN', s) - redis.call('XPENDING', s, 'lindy')[1]
