-- The non-empty keys, or nil if the key set is not complete yet (the client runs
-- space_index, then asks again).
if redis.call('GET', P .. 'ix') ~= 'ready' then return false end
return redis.call('SMEMBERS', P .. 'keys')
